"""manage.py unit_export CODE: a unit (or, with --qualification, a qualification) as its file (docs/unit-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from units.library.checks import family_of
from units.library.documents import dumps, qualification_document, unit_document
from units.models import Qualification, Unit


def find_unit(code: str, version: int | None) -> Unit:
    """A unit by its slug (one version), its family's slug, "BODY:NUMBER" (e.g. CG:220) or a number alone (C4)."""
    exact = Unit.objects.filter(slug=code).first()
    if exact and version is None:
        return exact
    if exact or family_of(Unit, code):
        families = {exact.family_slug if exact else code}
    else:
        body, _, number = code.rpartition(":")
        numbered = Unit.objects.filter(
            Q(codes__code=number) & (Q(codes__awarding_body__code__iexact=body) if body else Q())
        )
        families = {unit.family_slug for unit in numbered}
    if not families:
        raise CommandError(f"No unit is called or numbered {code!r}.")
    if len(families) > 1:
        raise CommandError(f"{code!r} could be any of {', '.join(sorted(families))}: give the slug or BODY:NUMBER.")
    return pick(family_of(Unit, families.pop()), version, code)


def pick(versions: list[Any], version: int | None, code: str) -> Any:
    if not versions:
        raise CommandError(f"Nothing is called {code!r}.")
    if version is None:
        return versions[-1]
    for row in versions:
        if row.version == version:
            return row
    raise CommandError(f"{code!r} has versions {', '.join(str(r.version) for r in versions)}, not {version}.")


class Command(BaseCommand):
    help = "Write a unit (or a qualification) as a file in the library's format, to standard output or --output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The unit's slug, CG:220 style awarding-body number, or a number alone.")
        parser.add_argument("--unit-version", type=int, help="Which version (default: the newest).")
        parser.add_argument("--qualification", action="store_true", help="CODE is a qualification's slug.")
        parser.add_argument("--output", "-o", type=Path, help="Write to this file instead of standard output.")

    def handle(self, *args: Any, code: str, unit_version: int | None, qualification: bool, output, **options):
        if qualification:
            exact = Qualification.objects.filter(slug=code).first()
            row = (
                exact
                if exact and unit_version is None
                else pick(family_of(Qualification, exact.family_slug if exact else code), unit_version, code)
            )
            text = dumps(qualification_document(row))
        else:
            text = dumps(unit_document(find_unit(code, unit_version)))
        if output:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
