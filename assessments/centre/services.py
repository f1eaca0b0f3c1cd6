"""Writes on registrations: open a portfolio, assign its assessor and IV."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.centre.claiming import cleaned_uln
from assessments.models import Portfolio, QualificationRegistration
from assessments.notices import unit_notices_reassigned
from audit.services import audit_log
from people.models import Centre, Membership, Role, User
from units.models import UnitCode


def _check_holds_role(user: User | None, centre: Centre, role: Role, field: str) -> None:
    if user is None:
        return
    if not Membership.objects.filter(user=user, centre=centre, role=role, is_active=True).exists():
        raise ValidationError({field: f"{user.full_name} is not an active {role.label.lower()} at this centre."})


def _check_people(*, learner: User, assessor: User | None, iv: User | None, centre: Centre) -> None:
    _check_holds_role(learner, centre, Role.LEARNER, "learner")
    _check_holds_role(assessor, centre, Role.ASSESSOR, "assessor")
    _check_holds_role(iv, centre, Role.IV, "iv")
    if assessor is not None and assessor.pk == learner.pk:
        raise ValidationError({"assessor": "A learner cannot assess their own portfolio."})
    if iv is not None and iv.pk == learner.pk:
        raise ValidationError({"iv": "A learner cannot verify their own portfolio."})
    if iv is not None and assessor is not None and iv.pk == assessor.pk:
        raise ValidationError({"iv": "An internal verifier cannot verify their own assessment decisions."})


@transaction.atomic
def portfolio_register(
    *,
    actor: User,
    centre: Centre,
    learner: User,
    unit_code: UnitCode,
    learner_number: str,
    start_date: datetime.date,
    planned_end_date: datetime.date,
    assessor: User | None = None,
    iv: User | None = None,
    uln: str = "",
    enrolment_number: str = "",
    qualification_registration: QualificationRegistration | None = None,
) -> Portfolio:
    """Register a learner on a unit at the centre: this opens their portfolio (under their registration on a
    qualification, where given)."""
    uln = cleaned_uln(uln)
    learner_number = learner_number.strip()
    if not learner_number:
        raise ValidationError({"learner_number": "Enter the learner number."})
    if planned_end_date < start_date:
        raise ValidationError({"planned_end_date": "The planned end date must be on or after the start date."})
    _check_people(learner=learner, assessor=assessor, iv=iv, centre=centre)
    if Portfolio.objects.filter(learner=learner, centre=centre, unit=unit_code.unit).exists():
        raise ValidationError(
            {"unit_code": f"{learner.full_name} is already registered on {unit_code.unit.title} at this centre."}
        )
    portfolio = Portfolio.objects.create(
        learner=learner,
        centre=centre,
        unit=unit_code.unit,
        awarding_body=unit_code.awarding_body,
        learner_number=learner_number,
        uln=uln,
        enrolment_number=enrolment_number.strip(),
        start_date=start_date,
        planned_end_date=planned_end_date,
        assessor=assessor,
        iv=iv,
        qualification_registration=qualification_registration,
    )
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="portfolio.registered",
        target=portfolio,
        summary=f"{learner.full_name} registered on {unit_code} {unit_code.unit.title}",
        data={
            "learner": learner.pk,
            "unit": unit_code.unit.slug,
            "awarding_body": unit_code.awarding_body.code,
            "assessor": assessor.pk if assessor else None,
            "iv": iv.pk if iv else None,
            **({"qualification_registration": qualification_registration.pk} if qualification_registration else {}),
        },
    )
    return portfolio


@transaction.atomic
def portfolio_assign(*, actor: User, portfolio: Portfolio, assessor: User | None, iv: User | None) -> Portfolio:
    """Assign or re-assign the portfolio's assessor and internal verifier."""
    portfolio = Portfolio.objects.select_for_update().select_related("learner", "centre").get(pk=portfolio.pk)
    _check_people(learner=portfolio.learner, assessor=assessor, iv=iv, centre=portfolio.centre)
    before = {"assessor": portfolio.assessor_id, "iv": portfolio.iv_id}
    after = {"assessor": assessor.pk if assessor else None, "iv": iv.pk if iv else None}
    if before == after:
        return portfolio
    portfolio.assessor = assessor
    portfolio.iv = iv
    portfolio.save(update_fields=["assessor", "iv"])
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=portfolio.centre,
        action="portfolio.assigned",
        target=portfolio,
        summary=f"{portfolio.learner.full_name}: assessor {assessor or 'none'}, IV {iv or 'none'}",
        data={"before": before, "after": after},
    )
    unit_notices_reassigned(portfolio, before=before, actor=actor)
    return portfolio
