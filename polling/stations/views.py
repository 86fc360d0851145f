from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.pagination import TwoEndedPaginator
from missions.access import get_mission_for
from missions.models import AREA_LEVEL_SEPARATOR, Mission
from polling.models import Area
from polling.stations import importing as importer
from polling.stations.forms import StationMappingForm, StationSearchForm, StationUploadForm

STATIONS_PER_PAGE = 50
ERRORS_SHOWN = 500


@login_required
def station_list(request, code):
    access = get_mission_for(request.user, code)
    form = StationSearchForm(request.GET)
    query, area_path = (
        (form.cleaned_data["q"].strip(), form.cleaned_data["area"]) if form.is_valid() else ("", "")
    )
    stations = _matching_stations(access.mission, query, area_path)
    page = TwoEndedPaginator(stations, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "mission": access.mission,
        "page": page,
        "query": query,
        "area_path": area_path,
    }
    return render(request, "polling/stations/list.html", context | _area_filter(access.mission, area_path))


def _matching_stations(mission: Mission, query: str, area_path: str):
    """Stations whose code or name contains `query`, in the area `area_path` or any area under it.

    On PostgreSQL `icontains` becomes UPPER(name::text) LIKE UPPER('%...%'), which the trigram indexes
    on upper(name) and upper(code) answer (polling/migrations/0002): milliseconds for 176,623 stations.
    """
    # prefetch, not select_related: a join would be paid for every row skipped by a deep page's OFFSET
    stations = mission.stations.prefetch_related("area").order_by("code")
    if query:
        stations = stations.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if area_path:
        stations = stations.filter(area__in=mission.areas.filter(Area.subtree(area_path)))
    return stations


def _area_filter(mission: Mission, area_path: str) -> dict:
    """The chosen area, its breadcrumb and the choices of the area select.

    The select shows the way down from the top: the chosen area's ancestors, the area itself and
    its children (or, at the lowest level, its siblings), indented by level.
    """
    area = mission.areas.filter(path=area_path).first() if area_path else None
    if area is None:
        return {"area": None, "area_crumbs": [], "area_choices": _area_choices(mission.areas.filter(depth=1))}
    names = area.names
    prefixes = [AREA_LEVEL_SEPARATOR.join(names[:depth]) for depth in range(1, len(names))]
    crumbs = list(mission.areas.filter(path__in=prefixes).order_by("depth"))
    below = list(mission.areas.filter(parent=area).order_by("name"))
    if below:
        around = [area, *below]
    else:
        around = list(mission.areas.filter(parent_id=area.parent_id, depth=area.depth).order_by("name"))
    return {"area": area, "area_crumbs": crumbs, "area_choices": _area_choices([*crumbs, *around])}


def _area_choices(areas) -> list[tuple[str, str]]:
    return [(area.path, "\u00a0\u00a0\u00a0" * (area.depth - 1) + area.name) for area in areas]


@login_required
def station_detail(request, code, station):
    access = get_mission_for(request.user, code)
    station = get_object_or_404(access.mission.stations.select_related("area"), code=station)
    crumbs = []
    if station.area:
        names = station.area.names
        crumbs = [(name, AREA_LEVEL_SEPARATOR.join(names[: depth + 1])) for depth, name in enumerate(names)]
    context = {"access": access, "mission": access.mission, "station": station, "area_crumbs": crumbs}
    return render(request, "polling/stations/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def station_import(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = StationUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = importer.station_upload_create(
                mission=access.mission, user=request.user, uploaded=form.cleaned_data["file"]
            )
        except importer.UnreadableFile as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("polling:station_import_map", code=code, upload=upload.uuid)
    context = {
        "access": access,
        "mission": access.mission,
        "form": form,
        "canonical_columns": importer.CANONICAL_HEADER.split(","),
        "max_size": settings.STATION_IMPORT_MAX_BYTES,
    }
    return render(request, "polling/stations/import.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def station_import_map(request, code, upload):
    access = get_mission_for(request.user, code, write=True)
    upload = get_object_or_404(access.mission.station_uploads, uuid=upload)
    if request.method == "POST" and "discard" in request.POST:
        importer.station_upload_discard(upload=upload)
        messages.info(request, _("The uploaded file was discarded; nothing was imported."))
        return redirect("polling:station_list", code=code)
    try:
        with importer.station_upload_table(upload) as table:
            return _map_and_import(request, access, upload, table)
    except (importer.UnreadableFile, OSError) as exc:
        importer.station_upload_discard(upload=upload)
        messages.error(request, _("The uploaded file cannot be read any more (%s). Upload it again.") % exc)
        return redirect("polling:station_import", code=code)


def _map_and_import(request, access, upload, table: importer.Table):
    """The mapping step: show the form and a preview; on a valid POST import the whole file or list its errors."""
    form = StationMappingForm(request.POST or None, headers=table.headers, mission=access.mission)
    invalid = None
    if request.method == "POST" and form.is_valid():
        try:
            result = importer.stations_import(
                mission=access.mission,
                table=table,
                mapping=form.mapping(),
                user=request.user,
                file_name=upload.original_name,
                request=request,
            )
        except importer.StationFileInvalid as exc:
            invalid = exc
        else:
            importer.station_upload_discard(upload=upload)
            messages.success(request, _import_message(result))
            return redirect("polling:station_list", code=access.mission.code)
    preview = table.preview(10)
    context = {
        "access": access,
        "mission": access.mission,
        "upload": upload,
        "table": table,
        "preview": preview,
        "sample": preview[0][1] if preview else [],
        "form": form,
        "invalid": invalid,
        "errors_shown": invalid.errors[:ERRORS_SHOWN] if invalid else [],
    }
    return render(request, "polling/stations/import_map.html", context)


def _import_message(result: importer.ImportResult) -> str:
    def n(value):
        return number_format(value, force_grouping=True)

    message = _("Stations imported: %(created)s created, %(updated)s updated.") % {
        "created": n(result.created),
        "updated": n(result.updated),
    }
    if result.unchanged:
        message += " " + _("%(unchanged)s were already up to date.") % {"unchanged": n(result.unchanged)}
    return message
