"""The unit's status and sign-off chain: submit, sign, countersign, sample, release,
refer back and withdraw a signature; the EV's hold on a unit in their sample.

Every service locks the portfolio row and re-reads its status, so two people
acting at once (two tabs, two assessors, a learner editing while the assessor
signs) are put in order: the second sees what the first did. A signature covers
the digest of the record at that moment, and a signer who saw an older record
(`expected_digest`) is told to look again instead. The password is checked
before the lock: hashing it is the slow part, and a wrong one must be refused
at once, not after waiting for someone else's signature to commit.

A unit the EV has sampled (`ev_sampled`: marked by an allocated EV, findings
recorded, or put in an EV visit's sample by quality/services/visits.py) is not
complete until the EV signs it, or the EV releases it, or the visit ends with it
unsigned; this package never looks at visits itself.

Each service is atomic by wrapping (`unit_refer = transaction.atomic(unit_refer)`) rather than by decorator: the
mutation testing in the README does not reach decorated functions, and these are the bodies it must reach.
`unit_sign` checks the password first, outside any transaction, and wraps the rest (`_unit_sign`).

The modules: `chain` (the lock, the checked status move and its audit, shared by
every step), `signing`, `sampling` (the IV's and EV's samples, the IV's release
and the EV's hold and release), `referral` (refer back and reopen) and
`withdrawal`. Callers import from here; a test that replaces a helper patches it
in the module that calls it.
"""

from assessments.policy import (
    EV_SIGNS_FROM,
    NEEDS,
    REFERRERS,
    SIGN_ACTIONS,
    WITHDRAW_WHO,
    portfolio_may,
    qualifying,
    signature_may_withdraw,
)

from .chain import K, S, TransitionError, ev_may_verify, status_move_allow
from .referral import REOPENED, unit_refer, unit_reopen
from .sampling import unit_ev_hold, unit_ev_release, unit_mark_sampled, unit_release
from .signing import (
    COUNTERSIGN_STATEMENT,
    EV_STATEMENT,
    IV_STATEMENT,
    MISSING_DIGEST,
    SIGNED_STATUS,
    SIGNING_CHECKS,
    SUFFICIENCY_NEEDED,
    AlreadySigned,
    add_signing_check,
    unit_sign,
)
from .withdrawal import signature_withdraw

__all__ = [
    "COUNTERSIGN_STATEMENT",
    "EV_SIGNS_FROM",
    "EV_STATEMENT",
    "IV_STATEMENT",
    "K",
    "MISSING_DIGEST",
    "NEEDS",
    "REFERRERS",
    "REOPENED",
    "S",
    "SIGNED_STATUS",
    "SIGNING_CHECKS",
    "SIGN_ACTIONS",
    "SUFFICIENCY_NEEDED",
    "WITHDRAW_WHO",
    "AlreadySigned",
    "TransitionError",
    "add_signing_check",
    "ev_may_verify",
    "portfolio_may",
    "qualifying",
    "signature_may_withdraw",
    "signature_withdraw",
    "status_move_allow",
    "unit_ev_hold",
    "unit_ev_release",
    "unit_mark_sampled",
    "unit_refer",
    "unit_release",
    "unit_reopen",
    "unit_sign",
]
