from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditEvent


def _portfolio_of(target: models.Model | None) -> Any:
    """The portfolio a change concerns: the target itself, or the portfolio it (or its evidence) belongs to."""
    if target is None:
        return None
    if target._meta.label_lower == "assessments.portfolio":
        return target
    for path in ("portfolio", "evidence"):
        field = next((f for f in target._meta.concrete_fields if f.name == path), None)
        if field is None or getattr(target, field.attname) is None:
            continue
        related = getattr(target, path)
        return related if path == "portfolio" else _portfolio_of(related)
    return None


def audit_log(
    *,
    actor: Any,
    action: str,
    summary: str,
    centre: Any = None,
    target: models.Model | None = None,
    actor_role: str = "",
    data: dict[str, Any] | None = None,
    portfolio: Any = None,
) -> AuditEvent:
    """Record one audited change. Call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        centre=centre,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        portfolio=portfolio if portfolio is not None else _portfolio_of(target),
        summary=summary[:500],
        data=data or {},
    )
