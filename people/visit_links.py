"""What open EV visits add to the access checks of people and assessments.

Visits are quality's (a visit's dates and sample live in `quality/visits.py`), but the checks that ask "is this EV
linked to the centre, or to this portfolio, today?" sit in the apps below it, which may not import quality (see
README, "Architecture"). So quality hands its answers in here when it starts (`QualityConfig.ready`). Without it
every question fails loudly rather than quietly saying no.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class VisitLinks(Protocol):
    def visited_centre_ids(self, *, external_verifier_ids: Iterable[int]) -> Iterable[int]: ...

    def visit_reaches(self, *, external_verifier_id: int, portfolio_id: int) -> bool: ...

    def visit_reaches_user(self, *, user_id: int, portfolio_id: int) -> bool: ...


_links: VisitLinks | None = None


def provide(links: VisitLinks) -> None:
    global _links
    _links = links


def _provided() -> VisitLinks:
    if _links is None:
        raise RuntimeError("No app provides EV visits: the quality app must be installed.")
    return _links


def visited_centre_ids(*, external_verifier_ids: Iterable[int]) -> set[int]:
    """Centres where one of these EVs is on an open visit today."""
    return set(_provided().visited_centre_ids(external_verifier_ids=external_verifier_ids))


def visit_reaches(*, external_verifier_id: int, portfolio_id: int) -> bool:
    """Whether an open visit by this EV has the portfolio in its sample."""
    return _provided().visit_reaches(external_verifier_id=external_verifier_id, portfolio_id=portfolio_id)


def visit_reaches_user(*, user_id: int, portfolio_id: int) -> bool:
    """The same, for the EV's user account."""
    return _provided().visit_reaches_user(user_id=user_id, portfolio_id=portfolio_id)
