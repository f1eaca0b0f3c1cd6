"""The sign-off's rows: the sign-off page, the unit's history and record, and each sign-off action.

Everyone linked reads the page, the history and the record PDF. Each action's row puts the unit in the state the
action needs (set on the row directly: the matrix asks who may act in a state, not how the unit got there), so the
person the policy allows takes the real path (302 back to the page, where the service says what a form without a
password lacks); everyone else linked is refused at the door (403), the outsider learns nothing (404). What each
persona gets is asked of assessments/policy.py (tests/access_rows/rulebook.py); DUE names, for each row, who the
policy allows outright in that state, so a row whose state drifts from what its action needs fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS


def learner_signature(world):
    from assessments.signoff.services import unit_sign
    from tests.factories import PASSWORD

    return unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)


def _in_state(status: str, **flags: bool) -> Callable[[Any], Any]:
    """A function of the world that puts its unit in this state and returns the unit's id."""

    def put(world):
        from assessments.models import Portfolio

        Portfolio.objects.filter(pk=world.portfolio.pk).update(status=status, **flags)
        return world.portfolio.pk

    return put


SUBMITTED = _in_state("submitted")
ASSESSED = _in_state("assessor_signed")
ASSESSED_EV_SAMPLED = _in_state("assessor_signed", ev_sampled=True)
IV_SIGNED_EV_SAMPLED = _in_state("iv_signed", ev_sampled=True)
IV_SIGNED = _in_state("iv_signed")


def _sign(kind: str, state: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
    return lambda w: reverse("signoff_sign", args=[state(w) if state else w.portfolio.pk, kind])


def _linked_only(*allowed: str, status: int = 302) -> dict[str, int]:
    return {**dict.fromkeys(PERSONAS, 403), **dict.fromkeys(allowed, status), "outsider": 404}


# A state refused on the page is a redirect too (302): the linked-but-early see why there, not a bare 403.
ON_THE_PAGE = ("assessor", "iv", "ev")

MORE_URLS: dict[str, Callable[[Any], str]] = {
    "signoff": lambda w: reverse("signoff", args=[w.portfolio.pk]),
    "portfolio_history": lambda w: reverse("portfolio_history", args=[w.portfolio.pk]),
    "record_pdf": lambda w: reverse("record_pdf", args=[w.portfolio.pk]),
    "sign_learner": _sign("learner"),
    "sign_assessor": _sign("assessor", SUBMITTED),
    "sign_assessor_countersign": _sign("assessor_countersign", ASSESSED),
    "sign_iv": _sign("iv", ASSESSED),
    "sign_iv_countersign": _sign("iv_countersign", IV_SIGNED),
    "sign_ev": _sign("ev", IV_SIGNED_EV_SAMPLED),
    "signoff_sample": lambda w: reverse("signoff_sample", args=[ASSESSED(w)]),
    "signoff_release": lambda w: reverse("signoff_release", args=[ASSESSED_EV_SAMPLED(w)]),
    "signoff_refer": lambda w: reverse("signoff_refer", args=[ASSESSED_EV_SAMPLED(w)]),
    "signoff_refer_submitted": lambda w: reverse("signoff_refer", args=[SUBMITTED(w)]),
    "signature_withdraw": lambda w: reverse("signature_withdraw", args=[learner_signature(w).pk]),
}

PORTFOLIO_READ = {**dict.fromkeys(PERSONAS, 200), "outsider": 404}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("signoff", "get", PORTFOLIO_READ),
    ("portfolio_history", "get", PORTFOLIO_READ),
    # The record PDF, a draft until signed.
    ("record_pdf", "get", PORTFOLIO_READ),
    ("sign_learner", "post", _linked_only("learner")),
    ("sign_assessor", "post", _linked_only("assessor")),
    # Countersigning is for a qualified colleague of a qualifying signer: none of the six (tests of the sign-off
    # views countersign as one).
    ("sign_assessor_countersign", "post", _linked_only()),
    ("sign_iv", "post", _linked_only("iv")),
    ("sign_iv_countersign", "post", _linked_only()),
    ("sign_ev", "post", _linked_only("ev")),
    ("signoff_sample", "post", _linked_only("iv", "ev")),
    ("signoff_release", "post", _linked_only("iv", "ev")),
    # The assessor refers a submitted unit back, the verifiers an assessed one: in the other state, the page says
    # it is not due.
    ("signoff_refer", "post", _linked_only(*ON_THE_PAGE)),
    ("signoff_refer_submitted", "post", _linked_only(*ON_THE_PAGE)),
    # The learner's own declaration: its signer, or a centre admin, may withdraw it.
    ("signature_withdraw", "post", _linked_only("learner", "admin")),
]

# Who the policy allows outright in the state each row sets up (the others expecting 302 are refused on the page).
DUE: dict[str, set[str]] = {
    "sign_learner": {"learner"},
    "sign_assessor": {"assessor"},
    "sign_assessor_countersign": set(),
    "sign_iv": {"iv"},
    "sign_iv_countersign": set(),
    "sign_ev": {"ev"},
    "signoff_sample": {"iv", "ev"},
    "signoff_release": {"iv", "ev"},
    "signoff_refer": {"iv", "ev"},
    "signoff_refer_submitted": {"assessor"},
    "signature_withdraw": {"learner", "admin"},
}
