"""E-mails the mission sends. They go through Django's e-mail backend (console by default, SMTP when configured)."""

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from missions.models import Invitation


def send_invitation(*, invitation: Invitation, link: str) -> None:
    """The invitation e-mail, in the language the inviter chose for the invitee (else the inviter's own);
    `link` is the absolute accept URL."""
    context = {"invitation": invitation, "mission": invitation.mission, "link": link}
    with translation.override(invitation.language or translation.get_language()):
        subject = render_to_string("missions/email/invitation_subject.txt", context).strip()
        body = render_to_string("missions/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
