"""What a record code says about its record: the read behind the verification page.

Anyone may ask. Strangers learn only which unit the code belongs to, when it
was signed and whether it still matches every signature; names are for those
who may see the portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assessments.models import Portfolio, RecordCode, Referral, Signature, normalise_record_code
from assessments.records.document import SignedDigests
from assessments.records.integrity import Problem, unit_problems


@dataclass
class SignatureLine:
    signature: Signature
    standing: bool
    matches: bool | None  # None: withdrawn, so not compared


@dataclass
class Withdrawal:
    """A signature of the record withdrawn after it was made, and the one of the same part made after it, if any:
    a copy printed while the withdrawn one stood is out of date."""

    line: SignatureLine
    replaced_by: Signature | None


@dataclass
class Verification:
    code: RecordCode
    portfolio: Portfolio
    lines: list[SignatureLine] = field(default_factory=list)
    superseded_by_round: int | None = None
    referral: Referral | None = None
    # What the integrity checks found changed behind the application's back (assessments/records/integrity.py).
    problems: list[Problem] = field(default_factory=list)

    @property
    def public_problems(self) -> list[str]:
        """The kinds of change, each once, naming no one: what a stranger may be told."""
        return list(dict.fromkeys(p.public for p in self.problems))

    @property
    def withdrawals(self) -> list[Withdrawal]:
        found = []
        for n, line in enumerate(self.lines):
            if line.standing:
                continue
            later = (
                other.signature
                for other in self.lines[n + 1 :]
                if other.standing and other.signature.kind == line.signature.kind
            )
            found.append(Withdrawal(line, next(later, None)))
        return found

    @property
    def left_withdrawn(self) -> list[Withdrawal]:
        """Withdrawn and never made again: the record stands without that part."""
        return [w for w in self.withdrawals if w.replaced_by is None]

    @property
    def superseded(self) -> list[Withdrawal]:
        """Withdrawn and then made again: the record stands, but not as a copy printed before then showed it."""
        return [w for w in self.withdrawals if w.replaced_by is not None]

    @property
    def standing(self) -> list[SignatureLine]:
        return [line for line in self.lines if line.standing]

    @property
    def unaltered(self) -> bool:
        """Signed, still standing (no signature withdrawn and left so), and every standing signature still matches
        the record."""
        return (
            bool(self.standing)
            and self.superseded_by_round is None
            and not self.left_withdrawn
            and all(line.matches for line in self.standing)
            and not self.problems
        )

    @property
    def altered(self) -> bool:
        return any(line.matches is False for line in self.standing) or bool(self.problems)

    @property
    def withdrawn(self) -> bool:
        return self.superseded_by_round is not None or not self.standing or bool(self.left_withdrawn)


def record_verification(typed: str) -> Verification | None:
    code = (
        RecordCode.objects.select_related(
            "portfolio__unit", "portfolio__awarding_body", "portfolio__learner", "portfolio__centre"
        )
        .filter(code=normalise_record_code(typed))
        .first()
    )
    if code is None:
        return None
    portfolio = code.portfolio
    result = Verification(code=code, portfolio=portfolio)
    signatures = list(Signature.objects.filter(portfolio=portfolio, round=code.round).order_by("signed_at", "pk"))
    if code.round < portfolio.round:
        result.superseded_by_round = portfolio.round
        result.referral = Referral.objects.filter(portfolio=portfolio, round=code.round).order_by("-created_at").first()
        result.lines = [SignatureLine(s, False, None) for s in signatures]
        return result
    result.problems = unit_problems(portfolio)
    digests = SignedDigests(portfolio)
    for s in signatures:
        standing = s.withdrawn_at is None
        result.lines.append(SignatureLine(s, standing, digests.matches(s) if standing else None))
    return result
