"""Filtering a mission's audit trail, and the words the page uses for actions and objects."""

import datetime

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from missions.models import Mission

# Action -> what a person reads. Actions not listed (added later) are shown as stored.
ACTIONS = {
    "mission.create": _("Mission created"),
    "mission.update": _("Mission edited"),
    "mission.import": _("Mission imported from a bundle"),
    "invitation.send": _("Invitation sent"),
    "invitation.revoke": _("Invitation withdrawn"),
    "invitation.accept": _("Invitation accepted"),
    "member.update": _("Member changed"),
    "member.remove": _("Member removed"),
    "team.create": _("Team created"),
    "team.update": _("Team changed"),
    "team.delete": _("Team deleted"),
    "team.stations_add": _("Stations planned for a team"),
    "team.stations_remove": _("Stations taken from a team's plan"),
    "meeting.create": _("Meeting logged"),
    "meeting.update": _("Meeting edited"),
    "meeting.delete": _("Meeting deleted"),
    "stations.import": _("Polling stations imported"),
    "stations.create": _("Polling station added"),
    "stations.update": _("Polling station edited"),
    "stations.delete": _("Polling station deleted"),
    "visits.import": _("Visits imported"),
    "checklist.create": _("Checklist created"),
    "checklist.update": _("Checklist edited"),
    "checklist.delete": _("Checklist deleted"),
    "checklist.import": _("Checklist imported"),
    "checklist.copy": _("Checklist copied from another mission"),
    "checklist.version_create": _("New checklist version"),
    "checklist.question_add": _("Question added"),
    "checklist.question_update": _("Question edited"),
    "checklist.question_move": _("Question moved"),
    "checklist.question_delete": _("Question deleted"),
    "statement.drafted": _("Statement drafted"),
    "statement.redrafted": _("Statement redrafted"),
    "statement.edited": _("Statement edited"),
    "statement.submitted": _("Statement submitted"),
    "statement.returned": _("Statement returned to draft"),
    "statement.approved": _("Statement approved"),
    "statement.published": _("Statement published"),
    "statement.new_version": _("New statement version"),
    "statement.logo": _("Statement logo changed"),
    "statement.key": _("Signing key uploaded"),
    "statement.render_done": _("Signed PDF made"),
    "statement.render_failed": _("Signed PDF failed"),
    "statement.render_retry": _("Signed PDF retried"),
    "visit.create": _("Visit filed"),
    "visit.update": _("Visit corrected"),
    "visit.review": _("Visit reviewed"),
    "incident.create": _("Incident reported"),
    "export.request": _("Export requested"),
    "access.refused": _("Access refused"),
}

# What kind of thing an action is about: the part of the action before the dot.
SUBJECTS = {
    "mission": _("Mission"),
    "invitation": _("Invitations"),
    "member": _("Members"),
    "team": _("Teams"),
    "meeting": _("Meetings"),
    "stations": _("Polling stations"),
    "checklist": _("Checklists"),
    "visit": _("Visits"),
    "visits": _("Visit imports"),
    "incident": _("Incidents"),
    "statement": _("Statement"),
    "export": _("Exports"),
    "access": _("Access"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=_("Action"), required=False)
    subject = forms.ChoiceField(label=_("About"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Object"), required=False, max_length=100, strip=True)

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        people = mission.members.select_related("user").order_by("user__name", "user__email")
        self.fields["actor"].choices = [("", _("Anyone"))] + [
            (member.user_id, f"{member.user} <{member.user.email}>") for member in people
        ]
        self.fields["action"].choices = [("", _("Any action"))] + sorted(
            ((key, str(label)) for key, label in ACTIONS.items()), key=lambda choice: choice[1]
        )
        self.fields["subject"].choices = [("", _("Anything"))] + [
            (key, str(label)) for key, label in SUBJECTS.items()
        ]
        self.fields["q"].widget.attrs["placeholder"] = _("e.g. a team, checklist or member")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date is before the start date."))
            data.pop("start", None)  # neither date filters then
        return data

    def filter(self, entries: QuerySet) -> QuerySet:
        """The entries matching the valid filters; call after is_valid()."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})  # the fields that are valid, even if another is not
        if data.get("actor"):
            entries = entries.filter(actor_id=data["actor"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("subject"):
            entries = entries.filter(action__startswith=data["subject"] + ".")
        if data.get("start"):
            entries = entries.filter(created_at__gte=_midnight_utc(data["start"]))
        if data.get("end"):
            entries = entries.filter(created_at__lt=_midnight_utc(data["end"] + datetime.timedelta(days=1)))
        if data.get("q"):
            entries = entries.filter(target_repr__icontains=data["q"])
        return entries


def _midnight_utc(day: datetime.date) -> datetime.datetime:
    """Dates are read in UTC, as the page shows the times."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
