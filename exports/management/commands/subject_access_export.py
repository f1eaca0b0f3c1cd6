"""Everything the site holds about one person, as a ZIP to hand over for a subject-access request."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.subject_access import subject_access_export
from people.models import User


class Command(BaseCommand):
    help = (
        "Write a learner's subject-access export (account, memberships, registrations with evidence and files, "
        "signatures, record PDFs, notifications and the audit rows about them) to a new ZIP file."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's sign-in email address.")
        parser.add_argument("--output", required=True, metavar="FILE", help="The ZIP to write; it must not exist.")

    def handle(self, *args, email: str, output: str, **options) -> None:
        person = User.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"No account has the email address {email}.")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a folder.")
        try:
            made = subject_access_export(person=person, output=path)
        except FileExistsError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Wrote {path}: {made['registrations']} registration(s), {made['files']} file(s), "
            f"{made['audit_rows']} audit row(s); SHA-256 {made['sha256']}. It holds personal data: hand it over "
            "securely and delete your copy."
        )
