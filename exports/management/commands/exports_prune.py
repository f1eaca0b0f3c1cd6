from django.core.management.base import BaseCommand

from assessments.evidence.services.files import files_prune_pending
from exports.services import exports_prune


class Command(BaseCommand):
    help = (
        "Remove the files of finished exports past EXPORT_KEEP_HOURS, and evidence files kept for a refused form "
        "more than a day ago (the worker also does this as it runs)."
    )

    def handle(self, *args, **options) -> None:
        removed = exports_prune()
        self.stdout.write(f"Removed {removed} expired export{'s' if removed != 1 else ''}.")
        pending = files_prune_pending()
        self.stdout.write(f"Removed {pending} kept evidence file{'s' if pending != 1 else ''} of forms not sent again.")
