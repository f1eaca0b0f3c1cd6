"""Writes on portfolios and evidence. Each runs in one transaction: validate, save, audit."""

from assessments.centre.services import portfolio_assign, portfolio_register
from assessments.evidence.services.acknowledgements import observation_acknowledge
from assessments.evidence.services.items import WITNESS_FIELDS, evidence_delete, evidence_save
from assessments.evidence.services.plans import plan_action_add, plan_action_change, plan_action_delete, plan_agree
from assessments.evidence.services.records import assessor_record_save
from assessments.evidence.services.witness import (
    WitnessLinkError,
    witness_confirm,
    witness_correct,
    witness_item_signed_off,
    witness_request_latest,
    witness_request_lookup,
    witness_request_send,
    witness_token_known,
)
from assessments.judgement.services import evidence_judge, feedback_post

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
__all__ += ["assessor_record_save", "evidence_judge", "feedback_post", "observation_acknowledge"]
