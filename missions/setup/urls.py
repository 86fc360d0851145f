"""Mission set-up pages of the secretariat: the mission, its members and invitations, teams, meetings."""

from django.urls import path

from missions.setup import views

urlpatterns = [
    path("missions/", views.mission_list, name="list"),
    path("missions/new/", views.mission_create, name="create"),
    path("m/<slug:code>/", views.mission_detail, name="detail"),
    path("m/<slug:code>/edit/", views.mission_edit, name="edit"),
    # Members and invitations
    path("m/<slug:code>/members/", views.member_list, name="member_list"),
    path("m/<slug:code>/members/invite/", views.member_invite, name="member_invite"),
    path("m/<slug:code>/members/<uuid:member>/edit/", views.member_edit, name="member_edit"),
    path("m/<slug:code>/members/<uuid:member>/remove/", views.member_remove, name="member_remove"),
    path(
        "m/<slug:code>/invitations/<uuid:invitation>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # Teams
    path("m/<slug:code>/teams/", views.team_list, name="team_list"),
    path("m/<slug:code>/teams/new/", views.team_create, name="team_create"),
    path("m/<slug:code>/teams/<uuid:team>/", views.team_detail, name="team_detail"),
    path("m/<slug:code>/teams/<uuid:team>/edit/", views.team_edit, name="team_edit"),
    path("m/<slug:code>/teams/<uuid:team>/delete/", views.team_delete, name="team_delete"),
    # Pre-election meetings
    path("m/<slug:code>/meetings/", views.meeting_list, name="meeting_list"),
    path("m/<slug:code>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("m/<slug:code>/meetings/<uuid:meeting>/edit/", views.meeting_edit, name="meeting_edit"),
    path("m/<slug:code>/meetings/<uuid:meeting>/delete/", views.meeting_delete, name="meeting_delete"),
]
