"""Withdrawing the latest signature, by its signer or a centre admin, which takes the unit back a step."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import Signature, SignatureKind
from assessments.notices import unit_notices_sync
from assessments.policy import WITHDRAW_WHO, signature_may_withdraw
from people.models import Membership, Role, User

from .chain import K, S, TransitionError, _lock, _standing, _withdraw_and_step_back

# A withdrawn signature takes the unit back to where it was before that signature.
_BACK = {
    K.LEARNER: S.IN_PROGRESS,
    K.ASSESSOR: S.SUBMITTED,
    K.ASSESSOR_COUNTERSIGN: S.ASSESSOR_SIGNED,
    K.IV_COUNTERSIGN: S.IV_SIGNED,
}


def signature_withdraw(*, actor: User, signature: Signature, reason: str, as_admin: bool = False) -> Signature:
    """Withdraw the latest signature, by its signer or a centre admin, with a reason. This unlocks what it locked."""
    portfolio = _lock(signature.portfolio)
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for withdrawing the signature."})
    is_admin = (
        as_admin
        and Membership.objects.filter(
            user=actor, centre_id=portfolio.centre_id, role=Role.ADMIN, is_active=True
        ).exists()
    )
    links = {Role.ADMIN} if is_admin else {"signer"} if actor.pk == signature.signer_id else set()
    decision = signature_may_withdraw(actor.pk, links, signature, portfolio)
    if not decision:
        raise TransitionError(WITHDRAW_WHO if decision.status == 404 else decision.reason)
    latest = Signature.objects.standing().filter(portfolio=portfolio).order_by("-signed_at", "-pk").first()
    if latest is None or latest.pk != signature.pk:
        raise TransitionError("Withdraw the later signatures first: only the latest one can be withdrawn.")
    if signature.kind == K.IV:
        countersigned = _standing(portfolio, K.ASSESSOR_COUNTERSIGN) is not None
        back = S.ASSESSOR_COUNTERSIGNED if countersigned else S.ASSESSOR_SIGNED
        portfolio.iv_sampled = True
    else:
        back = _BACK.get(SignatureKind(signature.kind))
    if back is None:
        raise TransitionError("This signature cannot be withdrawn.")
    _withdraw_and_step_back(
        portfolio,
        [signature],
        withdrawal_reason=reason,
        to=back,
        actor=actor,
        role=Role.ADMIN if is_admin and actor.pk != signature.signer_id else signature.role,
        action="signature.withdrawn",
        summary=f"{signature.get_kind_display()} signature withdrawn by {actor.full_name}: {reason}",
        signature=signature.pk,
        kind=signature.kind,
        reason=reason,
    )
    unit_notices_sync(portfolio, actor=actor)
    return signature


signature_withdraw = transaction.atomic(signature_withdraw)
