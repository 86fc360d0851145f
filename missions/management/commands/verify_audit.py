from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.audit_trail import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exits non-zero if an entry was edited or deleted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            help="The head hash recorded earlier: also detects entries deleted from the end of the trail.",
        )

    def handle(self, *args, expect_head=None, **options):
        checked, problems, head = audit_verify()
        for problem in problems:
            self.stderr.write(
                _("entry %(id)s: %(message)s") % {"id": problem.entry_id, "message": problem.message}
            )
        if expect_head and expect_head != head:
            problems.append(None)
            self.stderr.write(
                _("the trail does not end at the expected head hash: entries were removed or added")
            )
        if problems:
            raise CommandError(
                _("Audit trail is NOT intact (%(n)s problem(s) in %(checked)s entries).")
                % {"n": len(problems), "checked": checked}
            )
        self.stdout.write(
            _("Audit trail intact: %(checked)s entries, head %(head)s") % {"checked": checked, "head": head}
        )
