import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.usersessions.adapter import DefaultUserSessionsAdapter

from missions.audit_trail import audit_record


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: people join a mission by following an invitation."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Setting up the second factor right after logging in does not ask for the password again.

        allauth asks for it before any second-factor page, and a login does not count. A head of
        mission sent to the set-up by missions.accounts.security typed it seconds before: within the
        re-authentication timeout of a password login, and only while every authenticator they have
        was added after that login, they go straight on (to the set-up, then their recovery codes).
        """
        request = context.request
        user = getattr(request, "user", None)
        if app == "allauth.mfa" and user is not None and user.is_authenticated:
            logins = [r for r in get_authentication_records(request, user) if r.get("method") == "password"]
            if logins and time.time() - logins[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
                logged_in_at = datetime.fromtimestamp(logins[-1]["at"], tz=UTC)
                if not Authenticator.objects.filter(user=user, created_at__lt=logged_in_at).exists():
                    return False
        return super().is_reauthentication_required(app=app, **kwargs)


class MissionMFAAdapter(DefaultMFAAdapter):
    """Heads of mission and the secretariat cannot remove their last authenticator app or security key."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from missions.accounts.security import SECOND_FACTORS, second_factor_required

        if authenticator.type in SECOND_FACTORS and second_factor_required(authenticator.user):
            others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
            if not others.exclude(pk=authenticator.pk).exists():
                return False
        return super().can_delete_authenticator(authenticator)


class AuditedUserSessionsAdapter(DefaultUserSessionsAdapter):
    """Ending sessions (from the sessions page, or when a member is removed) goes to the audit trail."""

    def end_sessions(self, sessions) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        request = context.request
        actor = getattr(request, "user", None)
        for user in {session.user for session in sessions}:
            audit_record(
                action="auth.sessions_ended",
                actor=actor,
                target=user,
                changes={"sessions": [sum(1 for s in sessions if s.user_id == user.pk), 0]},
                request=request,
            )
