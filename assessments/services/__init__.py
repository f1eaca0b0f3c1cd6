"""Writes on portfolios and evidence. Each runs in one transaction: validate, save, audit."""

from assessments.services.evidence import WITNESS_FIELDS, evidence_delete, evidence_save
from assessments.services.portfolios import portfolio_assign, portfolio_register
from assessments.services.witness import (
    WitnessLinkError,
    witness_confirm,
    witness_correct,
    witness_request_latest,
    witness_request_lookup,
    witness_request_send,
    witness_token_known,
)

__all__ = ["WITNESS_FIELDS", "evidence_delete", "evidence_save", "portfolio_assign", "portfolio_register"]
__all__ += [
    "WitnessLinkError",
    "witness_confirm",
    "witness_correct",
    "witness_request_latest",
    "witness_request_lookup",
    "witness_request_send",
    "witness_token_known",
]
