"""Create a demo centre with one person in each role, for a first look.

Safe to run again: it finds what it made last time instead of adding more.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from assessments.models import Portfolio
from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Qualification, Role, User
from units.models import AwardingBody, UnitCode

DEMO_PASSWORD = "demo-portfolio-2026"
CENTRE = ("Northgate Training (demo)", "99001")
PEOPLE = [
    ("learner@demo.example", "Lena Learner", Role.LEARNER, ""),
    ("assessor@demo.example", "Asha Assessor", Role.ASSESSOR, Qualification.QUALIFIED),
    ("iv@demo.example", "Ivan Verifier", Role.IV, Qualification.QUALIFIED),
    ("admin@demo.example", "Ada Admin", Role.ADMIN, ""),
]
EV = ("ev@demo.example", "Eve External")
# An EV of the same body who is not allocated to the centre: the demo visit gives them its sample for two weeks.
VISITING_EV = ("visiting-ev@demo.example", "Vera Visiting")
PLAN_TITLE = "Demo sampling plan"


class Command(BaseCommand):
    help = "Load the unit library and create a demo centre with one sign-in per role."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on a live site).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Demo accounts have a published password. Run with DEBUG=true, or --force on a test site."
            )
        call_command("loaddata", "unit_c4", verbosity=0)
        with transaction.atomic():
            self._create()
        self.stdout.write(self.style.SUCCESS("Demo centre ready. Sign in at http://127.0.0.1:8000/ as:"))
        for email, _, role, _ in PEOPLE:
            self.stdout.write(f"  {Role(role).label:<20} {email:<26} password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {Role.EV.label:<20} {EV[0]:<26} password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {'EV on a visit':<20} {VISITING_EV[0]:<26} password: {DEMO_PASSWORD}")

    def _user(self, email: str, name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, full_name=name, password=DEMO_PASSWORD)
        return user

    def _create(self) -> None:
        centre, _ = Centre.objects.get_or_create(number=CENTRE[1], defaults={"name": CENTRE[0]})
        users = {}
        for email, name, role, qualification in PEOPLE:
            user = self._user(email, name)
            Membership.objects.get_or_create(
                user=user, centre=centre, role=role, defaults={"qualification": qualification}
            )
            users[role] = user
        body = AwardingBody.objects.get(code="CG")
        ev_user = self._user(*EV)
        ev, _ = ExternalVerifier.objects.get_or_create(user=ev_user, awarding_body=body)
        EVAllocation.objects.get_or_create(external_verifier=ev, centre=centre)
        unit_code = UnitCode.objects.select_related("unit").get(awarding_body=body, code="220")
        today = timezone.localdate()
        portfolio, _ = Portfolio.objects.get_or_create(
            learner=users[Role.LEARNER],
            centre=centre,
            unit=unit_code.unit,
            defaults={
                "awarding_body": body,
                "assessor": users[Role.ASSESSOR],
                "iv": users[Role.IV],
                "learner_number": "CG-0001",
                "start_date": today - datetime.timedelta(days=30),
                "planned_end_date": today + datetime.timedelta(days=150),
            },
        )
        self._quality(centre, users, body, portfolio, today)

    def _quality(self, centre, users, body, portfolio, today) -> None:
        """A sampling plan with the learner's unit in it, and an open EV visit sampling it, made through the
        services so the dashboards, notifications and audit trail show them as they would be."""
        from quality.models import EVVisit, SamplingPlan
        from quality.services.sampling import sample_item_add, sampling_plan_create
        from quality.services.visits import ev_visit_create

        iv = users[Role.IV]
        if not SamplingPlan.objects.filter(centre=centre, iv=iv, title=PLAN_TITLE).exists():
            plan = sampling_plan_create(
                actor=iv,
                centre=centre,
                title=PLAN_TITLE,
                starts_on=today - datetime.timedelta(days=7),
                ends_on=today + datetime.timedelta(days=90),
            )
            sample_item_add(
                actor=iv,
                plan=plan,
                scope="unit",
                stage="interim",
                planned_for=today + datetime.timedelta(days=14),
                portfolio=portfolio,
            )
        visiting, _ = ExternalVerifier.objects.get_or_create(user=self._user(*VISITING_EV), awarding_body=body)
        if not EVVisit.objects.filter(centre=centre, external_verifier=visiting).exists():
            ev_visit_create(
                actor=users[Role.ADMIN],
                centre=centre,
                external_verifier=visiting,
                starts_on=today,
                ends_on=today + datetime.timedelta(days=14),
                purpose="Demo visit: the EV may open the sampled unit for two weeks.",
                sample=[portfolio],
            )
