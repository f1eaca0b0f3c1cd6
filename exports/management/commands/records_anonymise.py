"""Anonymise the learners whose records have been kept for the retention period (exports/retention.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from exports.retention import learner_anonymise, learners_due, placeholder_name


class Command(BaseCommand):
    help = (
        "Anonymise every learner whose units are all complete, the last certified more than RECORDS_RETENTION_YEARS "
        "ago: name, email, sign-in, notifications and feedback go; signatures, evidence, record PDFs and the audit "
        "trail stay, so every record still verifies. --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List who would be anonymised; change nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        years = settings.RECORDS_RETENTION_YEARS
        due = learners_due(years=years)
        if not due:
            self.stdout.write(f"No learner is due: none has had every unit certified more than {years} years ago.")
            return
        verb = "Would anonymise" if dry_run else "Anonymised"
        for item in due:
            who = f"{item.learner.full_name} <{item.learner.email}>" if dry_run else placeholder_name(item.learner)
            if not dry_run:
                learner_anonymise(due=item, years=years)
            self.stdout.write(
                f"{verb} learner {item.learner.pk} ({who}): {len(item.portfolio_ids)} unit(s), the last certified "
                f"on {item.certified_at:%d/%m/%Y}."
            )
        self.stdout.write(
            f"{verb} {len(due)} learner(s) whose records have been kept {years} years after certification."
            + ("" if dry_run else " Their signed records still verify: run verify_records to see.")
        )
