"""Writes on portfolios and evidence. Each runs in one transaction: validate, save, audit."""

from assessments.services.evidence import WITNESS_FIELDS, evidence_delete, evidence_save
from assessments.services.plans import plan_action_add, plan_action_change, plan_action_delete, plan_agree
from assessments.services.portfolios import portfolio_assign, portfolio_register
from assessments.services.review import assessor_record_save, evidence_judge, feedback_post
from assessments.services.witness import (
    WitnessLinkError,
    witness_confirm,
    witness_correct,
    witness_item_signed_off,
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
    "witness_item_signed_off",
    "witness_request_latest",
    "witness_request_lookup",
    "witness_request_send",
    "witness_token_known",
]
__all__ += ["plan_action_add", "plan_action_change", "plan_action_delete", "plan_agree"]
__all__ += ["assessor_record_save", "evidence_judge", "feedback_post"]
