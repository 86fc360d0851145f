"""Visits and revisions: no index that another one covers (polling/models.py, Visit, says why). Every
filing adds an entry to each index of the visit and revision tables; these four served no query the
others cannot: the mission's key leads three composite indexes, nothing looks visits up by creation
time, the reviewer's key is indexed only where it is set, and (visit, number) is unique already.
The partial index is built before the full one goes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('missions', '0004_audit_trail_indexes'),
        ('polling', '0007_answer_one_unique_index_no_visit_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('reviewed_by__isnull', False)), fields=['reviewed_by'], name='visit_reviewed_by'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name='visit',
            name='mission',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='missions.mission'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='visitrevision',
            name='visit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='polling.visit'),
        ),
    ]
