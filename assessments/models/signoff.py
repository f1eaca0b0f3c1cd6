"""The unit sign-off block: signatures with the digest of what was signed, and referrals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from assessments.models.portfolio import Portfolio
from audit.chain import Chained


class SignatureKind(models.TextChoices):
    LEARNER = "learner", "Learner's declaration"
    ASSESSOR = "assessor", "Assessor"
    ASSESSOR_COUNTERSIGN = "assessor_countersign", "Assessor countersignature"
    IV = "iv", "Internal verifier"
    IV_COUNTERSIGN = "iv_countersign", "Internal verifier countersignature"
    EV = "ev", "External verifier"


class SignatureQuerySet(models.QuerySet["Signature"]):
    def standing(self) -> SignatureQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class Signature(Chained):
    """Who signed which part of the sign-off block, as whom, when, over exactly which record.

    `record` is the canonical record signed and `digest` its SHA-256, so any later page can say whether the
    portfolio still matches. A signature is never changed after it is made, only marked withdrawn. Each carries
    the hash of the centre's signature before it (`audit.chain`), so a signature deleted or rewritten in the
    database breaks the centre's chain from there on.
    """

    CHAIN_NAME = "signatures"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="signatures")
    kind = models.CharField(max_length=30, choices=SignatureKind.choices)
    round = models.PositiveIntegerField()
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20)
    statement = models.TextField()
    signed_at = models.DateTimeField()
    record = models.JSONField()
    digest = models.CharField("SHA-256 of the record", max_length=64)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            # At most one standing signature of each kind per portfolio: a double sign-off cannot be stored.
            models.UniqueConstraint(
                fields=["portfolio", "kind"], condition=Q(withdrawn_at__isnull=True), name="signature_one_standing"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""), name="signature_withdrawn_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.signer_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self._chain_insert(lambda: super(Signature, self).save(*args, **kwargs))
        else:
            super().save(*args, **kwargs)

    # The chain: one per centre. Withdrawal is not covered: it is audited, and the audit rows are chained too.
    def chain_key(self) -> int:
        return Portfolio.objects.values_list("centre_id", flat=True).get(pk=self.portfolio_id)

    @classmethod
    def chain_key_filter(cls, key: int) -> dict[str, Any]:
        return {"portfolio__centre_id": key}

    @classmethod
    def chain_key_expression(cls) -> Any:
        return F("portfolio__centre_id")

    def chain_fields(self) -> dict[str, Any]:
        return signature_fields(self)


def signature_fields(signature: Any) -> dict[str, Any]:
    """What a signature's chain hash covers (the record through its digest). Apart from the model so the
    migration that chained the signatures already there hashes them the same way."""
    return {
        "portfolio": signature.portfolio_id,
        "kind": signature.kind,
        "round": signature.round,
        "signer": signature.signer_id,
        "signer_name": signature.signer_name,
        "role": signature.role,
        "statement": signature.statement,
        "signed_at": signature.signed_at,
        "digest": signature.digest,
    }


class Referral(models.Model):
    """A unit sent back to the learner, with the reasons; each referral closes a round."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="referrals")
    round = models.PositiveIntegerField()
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    reasons = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Referral of {self.portfolio} (round {self.round})"
