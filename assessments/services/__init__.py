"""Writes on portfolios and evidence. Each runs in one transaction: validate, save, audit."""

from assessments.services.evidence import WITNESS_FIELDS, evidence_delete, evidence_save
from assessments.services.portfolios import portfolio_assign, portfolio_register

__all__ = ["WITNESS_FIELDS", "evidence_delete", "evidence_save", "portfolio_assign", "portfolio_register"]
