"""Answers: one unique index instead of two partial ones and the visit's own index, and no database
check of the visit key (polling/models.py, Answer, says why). The new index is built before the old
ones go, so answers are never without a uniqueness rule."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('polling', '0006_file_visit_function'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.UniqueConstraint(models.F('visit'), models.F('question'), django.db.models.functions.comparison.Coalesce('option', 0), name='answer_once'),
        ),
        migrations.RemoveConstraint(
            model_name='answer',
            name='answer_option_once',
        ),
        migrations.RemoveConstraint(
            model_name='answer',
            name='answer_value_once',
        ),
        migrations.AlterField(
            model_name='answer',
            name='visit',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='polling.visit'),
        ),
    ]
