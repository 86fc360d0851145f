"""Authentication events go to the audit trail (Django and allauth only report them as signals).

Ending sessions is recorded by missions.accounts.adapters.AuditedUserSessionsAdapter: allauth sends no signal for it.
"""

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from missions.accounts.security import second_factor_changed
from missions.audit_trail import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: only which address was tried.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_record(action="auth.login_failed", request=request, changes={"email": [None, tried]})


# Second factor (allauth.mfa): an authenticator app or recovery codes added, removed or renewed, a
# recovery code used, a wrong code entered.


def _audit_authenticator(action: str, request, user, authenticator, **changes) -> None:
    audit_record(
        action=action,
        actor=user,
        target=user,
        changes={"type": [None, authenticator.type], **changes},
        request=request,
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def _mfa_added(sender, request, user, authenticator, **kwargs):
    _audit_authenticator("auth.mfa_added", request, user, authenticator)
    second_factor_changed(request=request, user=user, added=authenticator)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    _audit_authenticator("auth.mfa_removed", request, user, authenticator)
    second_factor_changed(request=request, user=user)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit_mfa_reset")
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    _audit_authenticator("auth.mfa_reset", request, user, authenticator)


@receiver(mfa_signals.authenticator_used, dispatch_uid="audit_mfa_recovery_code_used")
def _mfa_used(sender, request, user, authenticator, **kwargs):
    # The login itself is recorded as auth.login; a recovery code spent is worth its own line.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        _audit_authenticator("auth.mfa_recovery_code_used", request, user, authenticator)


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def _mfa_failed(sender, request, user, authenticator, **kwargs):
    _audit_authenticator("auth.mfa_failed", request, user, authenticator)
