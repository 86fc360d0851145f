"""A team's plan of polling stations."""

from django.urls import path

from polling.teams import views

urlpatterns = [
    path("m/<slug:code>/teams/<uuid:team>/stations/", views.team_stations, name="team_stations"),
]
