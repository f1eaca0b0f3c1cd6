"""Sign the heads of the record chains with the checkpoint key and send the checkpoint out of the service."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from assessments.records.checkpoints import (
    checkpoint_append,
    checkpoint_line,
    checkpoint_make,
    checkpoint_send,
    new_key_text,
    public_key_text,
)


class Command(BaseCommand):
    help = (
        "Sign the last signature and audit row of every centre, with the time, with the Ed25519 key in "
        "RECORDS_SIGNING_KEY or RECORDS_SIGNING_KEY_FILE; email it to each centre admin and allocated EV and "
        "append it to CHECKPOINT_LOG. Run it from cron (daily, say), as a user whose environment holds the key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="Print a new signing key and its public key.")
        parser.add_argument("--no-email", action="store_true", help="Only append to the log and print.")

    def handle(self, *args, new_key: bool, no_email: bool, **options) -> None:
        if new_key:
            key = new_key_text()
            public = public_key_text(Ed25519PrivateKey.from_private_bytes(base64.b64decode(key)).public_key())
            self.stdout.write(f"RECORDS_SIGNING_KEY={key}\nRECORDS_PUBLIC_KEY={public}")
            return
        try:
            point = checkpoint_make()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        log = checkpoint_append(point)
        sent = 0 if no_email else checkpoint_send(point)
        where = f"appended to {log}" if log else "not logged (CHECKPOINT_LOG is not set)"
        self.stdout.write(
            f"Checkpoint of {len(point['payload']['heads'])} chain head(s) signed, {where}, emailed to {sent} people."
        )
        self.stdout.write(checkpoint_line(point))
