from django import forms
from django.utils.translation import gettext_lazy as _

from missions.models import AREA_LEVEL_SEPARATOR, Mission


class AreaLevelsField(forms.CharField):
    """Area level names typed as `Region > City`, stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return AREA_LEVEL_SEPARATOR.join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        levels = [part.strip() for part in value.split(">")]
        if any(not level for level in levels):
            raise forms.ValidationError(_("Every level needs a name, e.g. Region > City."))
        if len({level.lower() for level in levels}) != len(levels):
            raise forms.ValidationError(_("Each level name may appear only once."))
        return levels


class MissionForm(forms.ModelForm):
    area_levels = AreaLevelsField(
        label=_("Area levels"),
        help_text=_("Largest first, separated by '>', e.g. Region > City or State > LGA > Ward."),
    )

    class Meta:
        model = Mission
        fields = [
            "code",
            "name",
            "organization",
            "election",
            "country",
            "election_date",
            "observation_start",
            "observation_end",
            "status",
            "area_levels",
            "statement_level",
        ]
        widgets = {
            "election_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "observation_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "observation_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    statement_level_name = forms.CharField(
        label=_("Statement names places by"),
        required=False,
        help_text=_("One of the area levels, e.g. City. Empty means the largest level."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["statement_level"]
        if self.instance.pk:
            # The code is in every address and command: it does not change once the mission exists.
            self.fields["code"].disabled = True
            self.fields["statement_level_name"].initial = self.instance.statement_level_name

    def clean(self):
        cleaned = super().clean()
        levels = cleaned.get("area_levels") or []
        wanted = (cleaned.get("statement_level_name") or "").strip()
        if not wanted:
            self.instance.statement_level = 1
        else:
            matches = [i for i, name in enumerate(levels, start=1) if name.lower() == wanted.lower()]
            if matches:
                self.instance.statement_level = matches[0]
            else:
                self.add_error(
                    "statement_level_name",
                    _("“%(name)s” is not one of the area levels (%(levels)s).")
                    % {"name": wanted, "levels": AREA_LEVEL_SEPARATOR.join(levels)},
                )
        return cleaned
