"""Forms of a team's plan: finding polling stations and choosing which to add or remove."""

from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from missions.models import (
    AREA_LEVEL_SEPARATOR,
    Mission,
    Team,
)
from polling.models import Area, PollingStation


class StationFilterForm(forms.Form):
    """Search a mission's polling stations by code or name and by area (at any level)."""

    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    area = forms.CharField(label=_("Area"), required=False, max_length=1000)
    unplanned = forms.BooleanField(label=_("Only stations no team has planned"), required=False)
    show = forms.ChoiceField(choices=[("", "all"), ("planned", "planned")], required=False)

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission

    @property
    def planned_only(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("show") == "planned"

    def clean_area(self):
        parts = [part.strip() for part in self.cleaned_data["area"].split(">")]
        path = AREA_LEVEL_SEPARATOR.join(part for part in parts if part)
        if path and not self.mission.areas.filter(path=path).exists():
            raise forms.ValidationError(_("This mission has no area “%(path)s”.") % {"path": path})
        return path

    def filter(self, stations):
        """`stations` narrowed to what the (valid) form asks for."""
        data = self.cleaned_data if self.is_valid() else {}
        if q := (data.get("q") or "").strip():
            stations = stations.filter(Q(code__icontains=q) | Q(name__icontains=q))
        if path := data.get("area"):
            subtree = self.mission.areas.filter(Area.subtree(path))
            stations = stations.filter(area__in=subtree.values("pk"))
        if data.get("unplanned"):
            stations = stations.filter(planned_by_teams__isnull=True)
        return stations

    def area_choices(self) -> list[tuple[str, str]]:
        """(path, indented name) of the largest areas, with the children of each area on the chosen path.

        A drill-down tree in one select: choosing a region lists its cities under it, and so on,
        without ever sending a mission's thousands of small areas to the browser.
        """
        chain = [part["path"] for part in self.area_trail]
        areas = self.mission.areas.filter(Q(depth=1) | Q(parent__path__in=chain)).values_list(
            "path", "name", "depth"
        )
        tree = sorted(areas, key=lambda area: area[0].split(AREA_LEVEL_SEPARATOR))
        return [(path, "\u00a0\u00a0\u00a0" * (depth - 1) + name) for path, name, depth in tree]

    @property
    def area_trail(self) -> list[dict[str, str]]:
        """The chosen area and its ancestors, largest first: [{"name": "Baku", "path": "Baku"}, ...]."""
        path = (self.cleaned_data.get("area") if self.is_valid() else "") or ""
        names = path.split(AREA_LEVEL_SEPARATOR) if path else []
        return [
            {"name": name, "path": AREA_LEVEL_SEPARATOR.join(names[: i + 1])} for i, name in enumerate(names)
        ]

    def querystring(self) -> str:
        data = self.cleaned_data if self.is_valid() else {}
        params = {key: data[key] for key in ("q", "area", "show") if data.get(key)}
        if data.get("unplanned"):
            params["unplanned"] = "on"
        return urlencode(params)


class TeamStationsForm(StationFilterForm):
    """Add or remove planned stations: the ticked ones, or every station the filter matches."""

    ADD_SELECTED, ADD_MATCHING = "add_selected", "add_matching"
    REMOVE_SELECTED, REMOVE_MATCHING = "remove_selected", "remove_matching"

    action = forms.ChoiceField(
        choices=[(a, a) for a in (ADD_SELECTED, ADD_MATCHING, REMOVE_SELECTED, REMOVE_MATCHING)]
    )
    stations = forms.ModelMultipleChoiceField(queryset=PollingStation.objects.none(), required=False)

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, mission=mission, **kwargs)
        self.fields["stations"].queryset = mission.stations.all()

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in (self.ADD_SELECTED, self.REMOVE_SELECTED) and not cleaned.get("stations"):
            raise forms.ValidationError(_("Tick at least one polling station first."))
        return cleaned

    @property
    def adds(self) -> bool:
        return self.cleaned_data["action"] in (self.ADD_SELECTED, self.ADD_MATCHING)

    def chosen_stations(self, team: Team):
        """The stations the action applies to, as a query (never loaded into memory here)."""
        action = self.cleaned_data["action"]
        if action in (self.ADD_SELECTED, self.REMOVE_SELECTED):
            return self.cleaned_data["stations"]
        base = self.mission.stations.all() if action == self.ADD_MATCHING else team.stations.all()
        return self.filter(base)
