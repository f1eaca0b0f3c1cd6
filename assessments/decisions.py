"""The answer every policy gives (assessments/policy.py for a portfolio's sign-off, assessments/evidence/policy.py,
quality/policy.py, exports/policy.py): may this person do this now, why not, and whether a refusal is 404 (no link
to the object) or 403 (linked, but the wrong role or state). Views raise it, templates show or hide by it and
services refuse by it, so a refusal reads the same wherever it is met."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404


@dataclass(frozen=True)
class Decision:
    """May this person do this now: yes or no, why not in words, and whether a refusal is 403 (linked, wrong
    role or state) or 404 (no link)."""

    allowed: bool
    reason: str = ""
    status: int = 200

    def __bool__(self) -> bool:
        return self.allowed


YES = Decision(True)


def refuse(reason: str, status: int = 403) -> Decision:
    return Decision(False, reason, status)


def enforce(decision: Decision) -> None:
    """Raise the refusal as a view answers it (404 with no link, 403 otherwise); nothing when allowed."""
    if decision:
        return
    if decision.status == 404:
        raise Http404(decision.reason)
    raise PermissionDenied(decision.reason)
