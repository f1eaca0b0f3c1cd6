"""manage.py unit_import FILE: load a unit or qualification file into the library (docs/unit-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from units.library.importing import LibraryImportError, library_import


class Command(BaseCommand):
    help = (
        "Check a unit or qualification file and load it in one transaction. Every problem is listed and nothing is "
        "written if there is any. A unit in use is never changed: a changed file becomes its next version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then write nothing.")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        try:
            # utf-8-sig: a file saved by an editor that starts it with a byte-order mark reads the same.
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot be read ({error})") from error
        try:
            result = library_import(text=text, dry_run=dry_run)
        except LibraryImportError as error:
            count = len(error.errors)
            lines = "\n".join(f"  {message}" for message in error.errors)
            raise CommandError(
                f"{file}: {count} problem{'s' if count != 1 else ''}; nothing was written.\n{lines}"
            ) from error
        self.stdout.write(("Dry run, nothing written. " if dry_run else "") + str(result))
