"""The unit record as a document: its verification code and the PDFs rendered of it.

A record code names one round of one portfolio's record. It is printed on every
PDF of that round, under the QR code, and the verification page looks it up.
Each render is stored once, keyed by the signatures standing and the unit's
status when it was made, so a signed record is served as it was rendered.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from assessments.models.portfolio import Portfolio
from assessments.models.signoff import Signature

# Crockford's base32: no I, L, O or U, so a code read aloud or off paper is not mistyped.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 random bits: far beyond guessing, and short enough to type


def new_record_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_record_code(typed: str) -> str:
    """What someone typed, as stored: spaces and dashes dropped, capitals, and the letters people confuse
    with digits read as those digits."""
    code = "".join(ch for ch in typed.upper() if ch.isalnum())
    return code.translate(str.maketrans("OIL", "011"))


def format_record_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class RecordCode(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="record_codes")
    round = models.PositiveIntegerField()
    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_record_code)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portfolio", "round"], name="record_code_one_per_round")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return format_record_code(self.code)


def record_pdf_name(instance: RecordRender, filename: str) -> str:
    return f"records/{uuid.uuid4().hex}.pdf"


class RecordRender(models.Model):
    """One stored PDF of a signed record. `state` is what it shows: the unit's status and the signatures
    standing, so the same state is never rendered twice and a changed one always is."""

    record_code = models.ForeignKey(RecordCode, on_delete=models.PROTECT, related_name="renders")
    state = models.CharField(max_length=500)
    # The latest signature it shows: its digest is printed in the verification block.
    signature = models.ForeignKey(Signature, on_delete=models.PROTECT, related_name="renders")
    file = models.FileField(upload_to=record_pdf_name, max_length=200)
    sha256 = models.CharField("SHA-256 of the PDF", max_length=64)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["record_code", "state"], name="record_render_one_per_state")]

    def __str__(self) -> str:
        return f"{self.record_code} ({self.state})"


class RecordStamp(models.Model):
    """A number the database moves on every write to what a portfolio's draft record shows (the portfolio, its
    evidence and everything hung on it, items cross-referenced into it), so the draft cache keys on it rather than
    reading the whole record (assessments/records/stamps.py). Row 0 moves on every write to the rows all records
    share: units, criteria, range items, methods, awarding bodies, centres, people's names. Kept by triggers
    (migration 0025); no foreign key, as the rows of a portfolio being deleted move its stamp as they go."""

    SHARED = 0

    portfolio_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.portfolio_id}: {self.version}"
