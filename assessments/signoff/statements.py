"""What the internal and the external verifier sign to. Apart from the sign-off services so that the record PDF,
which they themselves import, can print the same words in the boxes still to be signed."""

from __future__ import annotations

from assessments.models import Portfolio, SignatureKind

# The application's own words, for an awarding body whose paperwork gives its verifiers none (the OCR
# specification prints no sign-off block).
IV_STATEMENT = "I have internally verified this unit and agree with the assessment decision."
EV_STATEMENT = "I have externally verified this unit and agree with the assessment and verification decisions."


def verifier_statement(portfolio: Portfolio, kind: str) -> str:
    """The IV's or the EV's statement: the awarding body's own words for this unit where it gives them
    (UnitCode.iv_statement, ev_statement: City & Guilds' workbook block), else the application's."""
    own = getattr(portfolio.unit_code, f"{kind}_statement", "")
    return own or {SignatureKind.IV: IV_STATEMENT, SignatureKind.EV: EV_STATEMENT}[SignatureKind(kind)]
