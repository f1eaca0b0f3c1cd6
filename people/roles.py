"""The role a signed-in person is acting in right now.

A person may be an assessor at one centre, an IV at another and an EV for an
awarding body. They act in one role at a time, chosen from a switcher; the
choice lives in the session and is checked against the database on every
request, so a role taken away by an admin stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from people.models import Centre, ExternalVerifier, Membership, Role, User

SESSION_KEY = "active_role"


@dataclass(frozen=True)
class ActiveRole:
    key: str
    role: Role
    centre: Centre | None = None
    membership: Membership | None = None
    external_verifier: ExternalVerifier | None = None

    @property
    def label(self) -> str:
        if self.external_verifier is not None:
            return f"External verifier for {self.external_verifier.awarding_body.name}"
        assert self.centre is not None
        return f"{self.role.label} at {self.centre.name}"

    @property
    def in_sentence(self) -> str:
        """The label for the middle of a sentence: "assessor at Northgate Training"."""
        return self.label[0].lower() + self.label[1:]

    @property
    def is_qualifying(self) -> bool:
        return self.membership is not None and self.membership.is_qualifying


def roles_for(user: User) -> list[ActiveRole]:
    """Every active role the user holds, centre roles first, in a stable order."""
    roles: list[ActiveRole] = []
    memberships = (
        Membership.objects.filter(user=user, is_active=True, centre__is_active=True)
        .select_related("centre")
        .order_by("centre__name", "role")
    )
    for membership in memberships:
        roles.append(
            ActiveRole(
                key=f"m{membership.pk}",
                role=Role(membership.role),
                centre=membership.centre,
                membership=membership,
            )
        )
    evs = ExternalVerifier.objects.filter(user=user, is_active=True).select_related("awarding_body")
    for ev in evs:
        roles.append(ActiveRole(key=f"ev{ev.pk}", role=Role.EV, external_verifier=ev))
    return roles


# The order in which a new session picks a role when the person holds several:
# the busiest working role first.
_DEFAULT_ORDER = [Role.ADMIN, Role.IV, Role.ASSESSOR, Role.EV, Role.LEARNER]


def resolve(request: HttpRequest) -> tuple[ActiveRole | None, list[ActiveRole]]:
    user = request.user
    if not user.is_authenticated:
        return None, []
    available = roles_for(user)  # type: ignore[arg-type]
    if not available:
        return None, []
    wanted = request.session.get(SESSION_KEY)
    for candidate in available:
        if candidate.key == wanted:
            return candidate, available
    chosen = min(available, key=lambda r: _DEFAULT_ORDER.index(r.role))
    request.session[SESSION_KEY] = chosen.key
    return chosen, available


def switch(request: HttpRequest, key: str) -> ActiveRole | None:
    _, available = resolve(request)
    for candidate in available:
        if candidate.key == key:
            request.session[SESSION_KEY] = key
            return candidate
    return None
