"""E-mails the mission sends. They go through Django's e-mail backend (console by default, SMTP when configured)."""

from django.core.mail import send_mail
from django.template.loader import render_to_string

from missions.models import Invitation


def send_invitation(*, invitation: Invitation, link: str) -> None:
    """The invitation e-mail, in the language of whoever sends it; `link` is the absolute accept URL."""
    context = {"invitation": invitation, "mission": invitation.mission, "link": link}
    subject = render_to_string("missions/email/invitation_subject.txt", context).strip()
    body = render_to_string("missions/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
