from django.core.management.base import BaseCommand

from exports.services import exports_prune


class Command(BaseCommand):
    help = "Remove the files of finished exports past EXPORT_KEEP_HOURS (the worker also does this as it runs)."

    def handle(self, *args, **options) -> None:
        removed = exports_prune()
        self.stdout.write(f"Removed {removed} expired export{'s' if removed != 1 else ''}.")
