from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from missions.access import get_mission_for


@login_required
def station_list(request, code):
    access = get_mission_for(request.user, code)
    stations = access.mission.stations.select_related("area")[:50]
    return render(request, "polling/station_list.html", {"access": access, "mission": access.mission, "stations": stations})


@login_required
def station_detail(request, code, station):
    access = get_mission_for(request.user, code)
    station = get_object_or_404(access.mission.stations.select_related("area"), code=station)
    return render(request, "polling/station_detail.html", {"access": access, "mission": access.mission, "station": station})


def _not_built(request, *args, **kwargs):  # placeholder until the import views land
    raise NotImplementedError


station_import = station_import_map = _not_built
