"""What happens when a stored file is found changed as someone asks for it: it is refused, and the refusal is
audited, so the centre sees that it happened and when."""

from __future__ import annotations

from django.db import models, transaction

from audit.services import audit_log


@transaction.atomic
def stored_file_refused(
    *, actor, role: str, target: models.Model, portfolio, what: str, expected: str, actual: str | None
) -> None:
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="file.altered_refused",
        target=target,
        portfolio=portfolio,
        summary=f"Not served, changed outside the application: {what}",
        data={"expected_sha256": expected, "actual_sha256": actual or "missing"},
    )
