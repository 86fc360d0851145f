"""Workflows that change a mission's set-up. Views call these; they never write models directly."""

from django.db import transaction

from missions.models import Member, Mission, Role


class SetupError(Exception):
    """A set-up change that cannot be made; the message is shown to the user."""


@transaction.atomic
def mission_create(*, form, user) -> Mission:
    """Save a new mission from a valid MissionForm; its creator joins it as secretariat."""
    mission = form.save()
    Member.objects.create(mission=mission, user=user, role=Role.SECRETARIAT)
    return mission
