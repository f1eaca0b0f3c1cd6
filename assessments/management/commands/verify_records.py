"""Check every signed record against what was fixed when it was made; exit non-zero on any break."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from assessments.records.integrity import all_problems


class Command(BaseCommand):
    help = (
        "Check the signature and audit chains, every signature's digest, every evidence file and every stored "
        "record PDF against their hashes, and (with --checkpoint) that the history still holds a signed checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="A checkpoint file (or a log of them) from records_checkpoint; may be given more than once.",
        )

        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Also have the task worker run these checks every RECORDS_VERIFY_HOURS from now on, telling the "
            "centre admins of any break (run once after deploying; running it again adds no second schedule).",
        )

    def handle(self, *args, checkpoint: list[str], schedule: bool, **options) -> None:
        if schedule:
            from assessments.records.services.integrity import records_verify_schedule

            added = records_verify_schedule()
            self.stdout.write(
                "The worker will check the records regularly."
                if added
                else "The worker already has a regular check of the records waiting."
            )
        problems = [str(p) for p in all_problems()]
        checked = 0
        if checkpoint:
            from assessments.records.checkpoints import checkpoint_problems, read_checkpoints

            for path in checkpoint:
                for point in read_checkpoints(path):
                    checked += 1
                    problems += checkpoint_problems(point)
        if problems:
            self.stdout.write(f"{len(problems)} problem(s) found:")
            for problem in problems:
                self.stdout.write(f"- {problem[0].upper()}{problem[1:]}.")
            raise SystemExit(1)
        extra = f", and the history still holds {checked} signed checkpoint(s)" if checkpoint else ""
        self.stdout.write(
            "All records verified: the chains are whole, every signature matches its record, every evidence file "
            f"and stored record PDF matches its SHA-256{extra}."
        )
