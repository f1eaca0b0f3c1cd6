"""Create a demo centre with a small cohort: one learner's unit in each state of the sign-off chain, and a
sign-in for every role, for a first look.

Safe to run again: it finds what it made last time instead of adding more.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from assessments.tasks import render_unit_record
from people.models import Centre
from quality.management.demo import cohort
from quality.management.demo import content as c
from units.models import AwardingBody, UnitCode

DEMO_PASSWORD = c.DEMO_PASSWORD
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


class Command(BaseCommand):
    help = "Load the unit library and create a demo centre with a learner in every state and one sign-in per role."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on a live site).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Demo accounts have a published password. Run with DEBUG=true, or --force on a test site."
            )
        # The unit library, and the centre's guidance its assessors see beside each criterion.
        call_command("loaddata", "unit_c4", "guidance_c4", verbosity=0)
        with transaction.atomic():
            centre, _ = Centre.objects.get_or_create(number=c.CENTRE[1], defaults={"name": c.CENTRE[0]})
            body = AwardingBody.objects.get(code="CG")
            demo = cohort.Demo(
                centre=centre,
                # A changed specification is loaded as a new version under the same number: start on the newest.
                unit_code=UnitCode.newest_versions()
                .select_related("unit", "awarding_body")
                .get(awarding_body=body, code="220"),
                people=cohort.people(centre, body),
                today=timezone.localdate(),
                image=c.incident_log_png(),
            )
            finished = cohort.build(demo)
        if finished is not None:
            # The worker renders every other signed record in the background; this one is stored now, so the
            # complete unit's PDF is there from the first page view.
            render_unit_record.call(finished.pk)
        self._print_sign_ins()

    def _print_sign_ins(self) -> None:
        site = settings.SITE_URL
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo centre ready. Sign in at {site}/ with the password {DEMO_PASSWORD} as:"))
        people = [person for person, _, _ in c.STAFF] + [c.EV, c.VISITING_EV] + c.LEARNERS
        for person in people:
            write(f"  {person.email:<34} {person.name}, {person.label}")
            write(f"  {'':<34} {person.tries}")
        name, email = c.WITNESS
        if settings.EMAIL_BACKEND == FILE_BACKEND:
            write(f"Mail the app sends is kept in {settings.EMAIL_FILE_PATH} and listed at {site}/dev/mail/.")
            write(f"  {name} ({email}) has no sign-in: open her email there and confirm or correct Lena's E3.")
        else:
            write(f"Mail goes through {settings.EMAIL_BACKEND}.")
            write(f"  {name} ({email}) has no sign-in: the link in her email confirms or corrects Lena's E3.")
