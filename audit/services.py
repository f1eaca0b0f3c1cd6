from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditEvent


def audit_log(
    *,
    actor: Any,
    action: str,
    summary: str,
    centre: Any = None,
    target: models.Model | None = None,
    actor_role: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one audited change. Call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        centre=centre,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:500],
        data=data or {},
    )
