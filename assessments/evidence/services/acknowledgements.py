"""The learner's acknowledgement of an observation the assessor recorded of them: given with their own password
on the assessor's device as the record is saved (records.py asks check_learner_password first), or later from
their own account (observation_acknowledge). Either is dated and audited."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.evidence.policy import evidence_may, evidence_who, links_of
from assessments.judgement.services import _lock
from assessments.models import Acknowledgement, Evidence, Observation, Portfolio
from audit.services import audit_log
from people.models import Role, User

WRONG_PASSWORD = "That is not the learner's password. Ask the learner to type the password they sign in with."
PASSWORD_MISSES, PASSWORD_MISSES_SECONDS = 5, 15 * 60
TOO_MANY_MISSES = (
    "The learner's password was wrong too many times. Save the record without it: the learner can acknowledge "
    "it from their own account."
)


def check_learner_password(portfolio: Portfolio, password: str) -> None:
    """The learner's acknowledgement on the assessor's device: their own password, checked before any row is
    locked (hashing is slow, and nothing should wait behind it). Someone else's password is typed here, so wrong
    ones are counted per learner: after a few, the learner acknowledges from their own account instead."""
    key = f"observation-password-misses:{portfolio.learner_id}"
    if cache.get(key, 0) >= PASSWORD_MISSES:
        raise ValidationError({"learner_password": [TOO_MANY_MISSES]})
    learner = User.objects.only("password").get(pk=portfolio.learner_id)
    if not learner.check_password(password):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, PASSWORD_MISSES_SECONDS)
        raise ValidationError({"learner_password": [WRONG_PASSWORD]})


def acknowledged_audit(*, portfolio: Portfolio, evidence: Evidence, observation: Observation) -> None:
    audit_log(
        actor=observation.acknowledged_by,
        actor_role=Role.LEARNER,
        centre=portfolio.centre,
        action="evidence.observation_acknowledged",
        target=evidence,
        summary=f"{evidence.reference} {evidence.title}: {observation.get_acknowledgement_display().lower()}",
        data={
            "portfolio": portfolio.pk,
            "how": observation.acknowledgement,
            "at": observation.acknowledged_at.isoformat(),
            "start": observation.start_time.strftime("%H:%M"),
            "end": observation.end_time.strftime("%H:%M"),
        },
    )


@transaction.atomic
def observation_acknowledge(*, actor: User, evidence: Evidence) -> Observation:
    """The learner acknowledges, from their own account, the observation the assessor recorded of them."""
    portfolio = _lock(evidence.portfolio_id)
    evidence = Evidence.objects.select_for_update(of=("self",)).get(pk=evidence.pk)
    evidence.portfolio = portfolio
    links = links_of(actor.pk, portfolio)
    if not (who := evidence_who(links, "acknowledge", evidence)):
        raise PermissionDenied(who.reason)
    if not (now := evidence_may(actor.pk, links, "acknowledge", evidence)):
        raise ValidationError(now.reason)
    observation = Observation.objects.select_for_update().filter(evidence=evidence).first()
    if observation is None:
        raise ValidationError("Only an observation is acknowledged.")
    if observation.is_acknowledged:
        raise ValidationError(
            f"You acknowledged this observation on {timezone.localtime(observation.acknowledged_at):%d/%m/%Y}."
        )
    observation.acknowledgement = Acknowledgement.OWN_ACCOUNT
    observation.acknowledged_at, observation.acknowledged_by = timezone.now(), actor
    observation.save(update_fields=["acknowledgement", "acknowledged_at", "acknowledged_by"])
    acknowledged_audit(portfolio=portfolio, evidence=evidence, observation=observation)
    return observation
