"""Put right the centres' tallies (people by role, registrations by total) that differ from a count of their rows:
after a TRUNCATE, a restore of the rows without their triggers, or anything else written past the triggers. Run
daily by `manage.py maintenance`; a centre found wrong is named, since the triggers should have kept it right."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from assessments.centre.tallies import centre_tallies_recount
from people.models import Centre

logger = logging.getLogger("portfolio.maintenance")


class Command(BaseCommand):
    help = (
        "Recount every centre's tallies of active people by role and of current, complete and unassigned "
        "registrations from the rows, and put right any that differ; names the centres that were wrong."
    )

    def handle(self, *args, **options) -> None:
        wrong = centre_tallies_recount()
        if not wrong:
            self.stdout.write("Every centre's tallies matched a count of its rows.")
            return
        names = ", ".join(str(centre) for centre in Centre.objects.filter(pk__in=wrong).order_by("number"))
        logger.warning("Tallies differed from a count of the rows and were put right: %s", names)
        self.stdout.write(f"Put right the tallies of {len(wrong)} centre(s) that differed from a count: {names}.")
