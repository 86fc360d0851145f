from django import forms
from django.utils.translation import gettext_lazy as _

from missions.models import Mission
from polling.stations.importing import FIELD_LABELS, Mapping, guess_mapping

# A mission without area levels yet gets this many area selects (Romania's lists have five levels).
AREA_SELECTS_WITHOUT_LEVELS = 5


class StationSearchForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    area = forms.CharField(label=_("Area"), required=False, max_length=1000)


class StationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Station list"),
        help_text=_("A .csv file (UTF-8) or an .xlsx workbook (the first sheet is read)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class StationMappingForm(forms.Form):
    """Which column holds which field: one select per field, one per area level (largest first).

    Choices are column positions, so two columns with the same header are still told apart.
    """

    def __init__(self, *args, headers: list[str], mission: Mission, **kwargs):
        self.headers = headers
        self.level_names = list(mission.area_levels or [])
        area_selects = len(self.level_names) or AREA_SELECTS_WITHOUT_LEVELS
        kwargs.setdefault("initial", self.initial_for(guess_mapping(headers), area_selects))
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —")), *((str(i), header) for i, header in enumerate(headers))]

        def select(label, *, required=False, help_text=""):
            return forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=required,
                help_text=help_text,
                widget=forms.Select(attrs={"class": "form-select"}),
                error_messages={"required": _("Choose the column that holds this.")},
            )

        self.fields["code"] = select(FIELD_LABELS["code"], required=True)
        self.fields["code_prefix"] = select(
            _("Code prefix"),
            help_text=_(
                "Only when codes repeat from place to place (e.g. stations numbered per municipality): "
                "the code becomes “prefix/code”."
            ),
        )
        self.fields["name"] = select(FIELD_LABELS["name"], required=True)
        for name in ("address", "latitude", "longitude", "registered_voters"):
            self.fields[name] = select(FIELD_LABELS[name])
        for level in range(area_selects):
            label = (
                self.level_names[level]
                if self.level_names
                else _("Area level %(number)s") % {"number": level + 1}
            )
            self.fields[f"area_{level}"] = select(label)
        self.area_field_names = [f"area_{level}" for level in range(area_selects)]

    @staticmethod
    def initial_for(mapping: Mapping, area_selects: int) -> dict:
        initial = {name: getattr(mapping, name) for name in ("name", "address", "latitude", "longitude")}
        initial["registered_voters"] = mapping.registered_voters
        initial["code"] = mapping.code[-1] if mapping.code else None
        initial["code_prefix"] = mapping.code[0] if len(mapping.code) > 1 else None
        initial.update(
            {f"area_{level}": position for level, position in enumerate(mapping.area[:area_selects])}
        )
        return initial

    @property
    def field_groups(self):
        """(station fields, area fields) as bound fields, for the template's two blocks."""
        return (
            [
                self[name]
                for name in (
                    "code",
                    "code_prefix",
                    "name",
                    "address",
                    "latitude",
                    "longitude",
                    "registered_voters",
                )
            ],
            [self[name] for name in self.area_field_names],
        )

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error(
                "longitude" if data.get("longitude") is None else "latitude", _("Choose both or neither.")
            )
        area = [data[name] for name in self.area_field_names if data.get(name) is not None]
        if len(set(area)) != len(area):
            self.add_error(self.area_field_names[0], _("Each area level needs a different column."))
        if data.get("code") is not None and data.get("code") == data.get("code_prefix"):
            self.add_error("code_prefix", _("The prefix must be another column than the code."))
        return data

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        code = tuple(position for position in (data["code_prefix"], data["code"]) if position is not None)
        return Mapping(
            code=code,
            name=data["name"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            registered_voters=data["registered_voters"],
            area=tuple(data[name] for name in self.area_field_names if data[name] is not None),
        )
