"""Give every draft record a key never used before, so each is rendered afresh on its next request: after rows were
written past the record stamps' triggers (a restore of the rows without them, a TRUNCATE, a SQLite table rebuilt
without putting its triggers back), which would otherwise leave a kept draft of the older rows served
(assessments/records/stamps.py). Costs one render for each draft asked for again, nothing else."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from assessments.records.stamps import record_stamps_move


class Command(BaseCommand):
    help = "Move the shared record stamp past any value it has held, so every kept draft record is rendered afresh."

    def handle(self, *args, **options) -> None:
        version = record_stamps_move()
        self.stdout.write(
            f"The shared record stamp is now {version}: every draft record renders afresh when next asked for."
        )
