"""Forms of the visit pages: list filters, review, incident report (without JavaScript), bulk import."""

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from polling.models import Incident, Visit
from polling.visits import importing as visit_import

NONE = ("", "—")


class VisitFilterForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, required=False, label=_("Team"), to_field_name="uuid")
    station = forms.CharField(required=False, label=_("Polling station code"), max_length=64)
    checklist = forms.ChoiceField(required=False, label=_("Checklist"))
    review = forms.ChoiceField(required=False, label=_("Review"), choices=[NONE, *Visit.Review.choices])

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        mission = access.mission
        if access.sees_all_teams:
            self.fields["team"].queryset = mission.teams.all()
        else:
            del self.fields["team"]
        self.fields["checklist"].choices = [NONE, *mission.checklists.values_list("code", "name")]
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def filters(self) -> dict:
        """The valid filters as keyword arguments of selectors.visit_list; invalid ones are ignored."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class ReviewForm(forms.Form):
    REVIEWED, FOLLOW_UP = "reviewed", "follow_up"

    action = forms.ChoiceField(
        choices=[(REVIEWED, _("Mark reviewed")), (FOLLOW_UP, _("Flag for follow-up"))],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("What needs following up?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == self.FOLLOW_UP and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what needs following up."))
        return data


class IncidentForm(forms.Form):
    """The incident page for observers without JavaScript; the UUID is made when the form is shown, so
    pressing the button twice stores the incident once."""

    uuid = forms.UUIDField(widget=forms.HiddenInput)
    visit = forms.UUIDField(widget=forms.HiddenInput, required=False)
    station = forms.CharField(label=_("Polling station code"), max_length=64)
    occurred_at = forms.DateTimeField(
        label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    category = forms.ChoiceField(label=_("Category"), choices=[NONE, *Incident.Category.choices])
    description = forms.CharField(
        label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "uuid": str(data["uuid"]),
            "visit": str(data["visit"]) if data.get("visit") else None,
            "station": data["station"],
            "occurred_at": data["occurred_at"].isoformat(),
            "category": data["category"],
            "description": data["description"],
        }


class VisitUploadForm(forms.Form):
    checklist = forms.ModelChoiceField(queryset=None, label=_("Checklist"), to_field_name="code")
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8) or XLSX, one visit a row, a header row first.")
    )

    def __init__(self, *args, mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].queryset = mission.checklists.filter(current_version__isnull=False)

    def clean_file(self):
        file = self.cleaned_data["file"]
        if not file.name.lower().endswith(visit_import.SUFFIXES):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if file.size > settings.VISIT_IMPORT_MAX_BYTES:
            raise forms.ValidationError(visit_import.too_large_message())
        try:  # read it now, so that a file of another kind is refused before it is stored
            visit_import.read_table(file, file.name)
        except visit_import.VisitImportInvalid as invalid:
            raise forms.ValidationError([str(error) for error in invalid.errors[:20]]) from None
        file.seek(0)
        return file


class VisitMappingForm(forms.Form):
    """Which column holds what. Questions are pre-mapped to the column named like their code."""

    station = forms.ChoiceField(label=_("Polling station code"))
    station_rewrite = forms.CharField(
        label=_("Rewrite station codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}),
        help_text=_(
            "One rule a line, pattern => replacement, e.g. (\\d{4})-00 => \\1. The first matching rule applies."
        ),
    )
    observer = forms.ChoiceField(label=_("Observer's e-mail address"), required=False)
    observer_fixed = forms.ModelChoiceField(
        queryset=None, label=_("… or one observer for every row"), required=False, to_field_name="uuid"
    )
    arrived = forms.ChoiceField(label=_("Arrival"), required=False)
    arrived_fixed = forms.CharField(
        label=_("… or one arrival for every row"),
        required=False,
        help_text=_("e.g. 2017-06-25 07:00, in the time zone below"),
    )
    departed = forms.ChoiceField(label=_("Departure"), required=False)
    time_zone = forms.CharField(label=_("Time zone of the times in the file"), initial=settings.TIME_ZONE)
    visit_date = forms.DateField(
        label=_("Date of cells holding only a time"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.ChoiceField(label=_("Notes"), required=False)
    assessment = forms.ChoiceField(label=_("Overall assessment"), required=False)
    uuid = forms.ChoiceField(
        label=_("Visit UUID"),
        required=False,
        help_text=_("Leave empty to derive it from the row: the same file imported twice is stored once."),
    )
    value_map = forms.CharField(
        label=_("Translate values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_(
            "One a line, target: value in the file = value, e.g. *: po = yes, or assessment: shummir = very_good. "
            "* stands for every question; an empty value means not answered."
        ),
    )

    def __init__(self, *args, table, spec, mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        columns = [NONE, *((header, header) for header in table.headers)]
        for name in ("station", "observer", "arrived", "departed", "notes", "assessment", "uuid"):
            self.fields[name].choices = columns
        self.fields["observer_fixed"].queryset = mission.members.filter(is_active=True).select_related("user")
        self.fields["visit_date"].initial = mission.election_date
        self.fields["time_zone"].initial = mission.time_zone
        defaults = visit_import.default_question_columns(table, spec)
        self.question_fields = []
        for question in spec.questions:
            name = f"q:{question.code}"
            self.fields[name] = forms.ChoiceField(
                label=f"{question.code}. {question.text}",
                choices=columns,
                required=False,
                initial=defaults.get(question.code, ""),
            )
            self.question_fields.append(name)
        for name, header in (("station", "station"), ("observer", "observer"), ("arrived", "arrived_at")):
            match = next((h for h in table.headers if h.casefold() == header), None)
            if match:
                self.fields[name].initial = match

    def field_groups(self):
        return [self[name] for name in self.fields if name not in self.question_fields], [
            self[name] for name in self.question_fields
        ]

    def clean(self):
        data = super().clean()
        try:
            data["time_zone_info"] = visit_import.get_time_zone(data.get("time_zone") or "UTC")
        except ValueError as error:
            self.add_error("time_zone", str(error))
        for name, parse in (
            ("station_rewrite", visit_import.parse_rewrites),
            ("value_map", visit_import.parse_value_map),
        ):
            try:
                data[f"{name}_parsed"] = parse((data.get(name) or "").splitlines())
            except ValueError as error:
                self.add_error(name, str(error))
        if not data.get("observer") and not data.get("observer_fixed"):
            self.add_error("observer", _("Choose the observer's column, or one observer for every row."))
        if not data.get("arrived") and not data.get("arrived_fixed"):
            self.add_error("arrived", _("Choose the arrival's column, or give one arrival for every row."))
        if data.get("arrived_fixed") and "time_zone_info" in data:
            moment = visit_import.parse_moment(
                data["arrived_fixed"], time_zone=data["time_zone_info"], visit_date=None
            )
            if moment is None:
                self.add_error("arrived_fixed", _("Give a date and time, e.g. 2017-06-25 07:00."))
            data["arrived_at"] = moment
        return data

    def mapping(self) -> visit_import.ImportMapping:
        data = self.cleaned_data
        fixed = data.get("observer_fixed")
        return visit_import.ImportMapping(
            station=data["station"],
            station_rewrites=data["station_rewrite_parsed"],
            observer=data.get("observer") or None,
            observer_email=fixed.user.email if fixed else None,
            arrived=data.get("arrived") or None,
            arrived_at=data.get("arrived_at") if not data.get("arrived") else None,
            departed=data.get("departed") or None,
            notes=data.get("notes") or None,
            assessment=data.get("assessment") or None,
            uuid=data.get("uuid") or None,
            questions={name[2:]: data[name] for name in self.question_fields if data.get(name)},
            values=data["value_map_parsed"],
            time_zone=data["time_zone_info"],
            visit_date=data.get("visit_date"),
        )
