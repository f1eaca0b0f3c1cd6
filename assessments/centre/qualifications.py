"""Writes on qualification registrations: a learner, or a cohort at once, registered on a qualification and then on
its units, each unit its own portfolio on the newest loaded version of the unit."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.centre.services import _check_people, portfolio_register
from assessments.models import Portfolio, PortfolioStatus, QualificationRegistration
from audit.services import audit_log
from people.models import Centre, Role, User
from units.models import Qualification, QualificationGroup, QualificationUnit, UnitCode


@dataclass
class UnitChoice:
    """One unit the qualification lists, with the newest loaded version of it (None: not loaded yet)."""

    group: QualificationGroup
    unit: QualificationUnit
    code: UnitCode | None

    @property
    def mandatory(self) -> bool:
        return self.group.kind == QualificationGroup.Kind.MANDATORY


def qualification_units(qualification: Qualification) -> list[UnitChoice]:
    """The qualification's units in its order, each with its newest loaded version; three queries."""
    groups = list(qualification.groups.prefetch_related("units").order_by("number"))
    numbers = {u.number for g in groups for u in g.units.all()}
    codes = {
        c.code: c
        for c in UnitCode.newest_versions()
        .filter(awarding_body_id=qualification.awarding_body_id, code__in=numbers)
        .select_related("unit", "awarding_body")
    }
    return [UnitChoice(g, u, codes.get(u.number)) for g in groups for u in g.units.all()]


def _units_to_register(choices: list[UnitChoice], chosen: Iterable[QualificationUnit]) -> list[UnitChoice]:
    by_pk = {c.unit.pk: c for c in choices}
    picked = []
    for unit in chosen:
        choice = by_pk.get(unit.pk)
        if choice is None:
            raise ValidationError({"optional_units": f"Unit {unit.number} is not a unit of this qualification."})
        if choice.code is None:
            raise ValidationError(
                {"optional_units": f"Unit {unit.number} is not loaded in the library yet: load it first."}
            )
        picked.append(choice.unit.pk)
    return [c for c in choices if c.code is not None and (c.mandatory or c.unit.pk in picked)]


@transaction.atomic
def qualification_register(
    *,
    actor: User,
    centre: Centre,
    learner: User,
    learner_number: str,
    qualification: Qualification,
    start_date: datetime.date,
    planned_end_date: datetime.date,
    optional_units: Iterable[QualificationUnit] = (),
    assessor: User | None = None,
    iv: User | None = None,
    choices: list[UnitChoice] | None = None,
) -> QualificationRegistration:
    """Register a learner on a qualification, then on its mandatory units that are loaded and the optional units
    chosen. A unit the learner is already registered on at the centre, on its own, joins the qualification with
    the version it started on."""
    learner_number = learner_number.strip()
    if not learner_number:
        raise ValidationError({"learners": f"Enter the learner number of {learner.full_name}."})
    if planned_end_date < start_date:
        raise ValidationError({"planned_end_date": "The planned end date must be on or after the start date."})
    _check_people(learner=learner, assessor=assessor, iv=iv, centre=centre)
    if QualificationRegistration.objects.filter(learner=learner, centre=centre, qualification=qualification).exists():
        raise ValidationError({"learners": f"{learner.full_name} is already registered on {qualification}."})
    units = _units_to_register(choices if choices is not None else qualification_units(qualification), optional_units)
    registration = QualificationRegistration.objects.create(
        learner=learner,
        centre=centre,
        qualification=qualification,
        learner_number=learner_number,
        start_date=start_date,
        planned_end_date=planned_end_date,
    )
    # Registrations on the same units made before, on any version, not yet under a qualification.
    existing = _existing_portfolios(learner, centre, qualification, [c.unit.number for c in units])
    joined = []
    for choice in units:
        portfolio = existing.get(choice.unit.number)
        if portfolio is not None:
            portfolio.qualification_registration = registration
            portfolio.save(update_fields=["qualification_registration"])
            joined.append(choice.unit.number)
            continue
        assert choice.code is not None
        portfolio_register(
            actor=actor,
            centre=centre,
            learner=learner,
            unit_code=choice.code,
            learner_number=learner_number,
            start_date=start_date,
            planned_end_date=planned_end_date,
            assessor=assessor,
            iv=iv,
            qualification_registration=registration,
        )
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="qualification.registered",
        target=registration,
        summary=f"{learner.full_name} registered on {qualification}",
        data={
            "learner": learner.pk,
            "qualification": qualification.slug,
            "units": [c.unit.number for c in units],
            "joined": joined,
        },
    )
    return registration


def _existing_portfolios(
    learner: User, centre: Centre, qualification: Qualification, numbers: list[str]
) -> dict[str, Portfolio]:
    rows = (
        Portfolio.objects.filter(
            learner=learner,
            centre=centre,
            qualification_registration__isnull=True,
            unit__codes__awarding_body_id=qualification.awarding_body_id,
            unit__codes__code__in=numbers,
        )
        .exclude(status=PortfolioStatus.WITHDRAWN)
        .values_list("pk", "unit__codes__code")
    )
    found = dict(rows)
    portfolios = Portfolio.objects.in_bulk(list(found))
    return {number: portfolios[pk] for pk, number in found.items()}


# Refusals that concern one learner of a cohort, listed with the others' rather than ending the cohort's check.
PER_LEARNER = {"learners", "learner", "learner_number", "unit_code"}


@transaction.atomic
def cohort_register(
    *,
    actor: User,
    centre: Centre,
    learners: list[tuple[User, str]],
    qualification: Qualification,
    start_date: datetime.date,
    planned_end_date: datetime.date,
    optional_units: Iterable[QualificationUnit] = (),
    assessor: User | None = None,
    iv: User | None = None,
) -> list[QualificationRegistration]:
    """Register several learners (each with their learner number) on the qualification and the same units, all
    or none: every learner's refusal is listed together, and nothing is saved while any is refused."""
    if not learners:
        raise ValidationError({"learners": "Choose at least one learner."})
    optional_units = list(optional_units)
    choices = qualification_units(qualification)
    registrations, refusals = [], []
    for learner, learner_number in learners:
        try:
            registrations.append(
                qualification_register(
                    actor=actor,
                    centre=centre,
                    learner=learner,
                    learner_number=learner_number,
                    qualification=qualification,
                    start_date=start_date,
                    planned_end_date=planned_end_date,
                    optional_units=optional_units,
                    assessor=assessor,
                    iv=iv,
                    choices=choices,
                )
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and set(exc.error_dict) - PER_LEARNER:
                # A refusal about the form's shared fields (dates, units, assessor) is the same for everyone.
                raise
            refusals += exc.messages
    if refusals:
        raise ValidationError({"learners": refusals})
    return registrations


@transaction.atomic
def unit_on_qualification(
    *,
    actor: User,
    centre: Centre,
    learner: User,
    qualification: Qualification,
    unit_code: UnitCode,
    learner_number: str,
    start_date: datetime.date,
    planned_end_date: datetime.date,
    assessor: User | None = None,
    iv: User | None = None,
) -> None:
    """One unit of a learner's qualification, as a line of the learners' CSV file names it: the learner is
    registered on the qualification first if they are not yet (with its mandatory units, as on the cohort page),
    then on the unit under it."""
    choices = qualification_units(qualification)
    choice = next(
        (
            c
            for c in choices
            if c.unit.number == unit_code.code and qualification.awarding_body_id == unit_code.awarding_body_id
        ),
        None,
    )
    if choice is None:
        raise ValidationError({"unit_code": f"Unit {unit_code} is not a unit of {qualification}."})
    registration = QualificationRegistration.objects.filter(
        learner=learner, centre=centre, qualification=qualification
    ).first()
    if registration is None:
        qualification_register(
            actor=actor,
            centre=centre,
            learner=learner,
            learner_number=learner_number,
            qualification=qualification,
            start_date=start_date,
            planned_end_date=planned_end_date,
            optional_units=[] if choice.mandatory else [choice.unit],
            assessor=assessor,
            iv=iv,
            choices=choices,
        )
        return
    if registration.portfolios.filter(
        unit__codes__awarding_body_id=unit_code.awarding_body_id, unit__codes__code=unit_code.code
    ).exists():
        raise ValidationError(
            {"unit_code": f"{learner.full_name} is already registered on unit {unit_code.code} of {qualification}."}
        )
    existing = _existing_portfolios(learner, centre, qualification, [unit_code.code]).get(unit_code.code)
    if existing is not None:
        existing.qualification_registration = registration
        existing.save(update_fields=["qualification_registration"])
        return
    portfolio_register(
        actor=actor,
        centre=centre,
        learner=learner,
        unit_code=unit_code,
        learner_number=learner_number,
        start_date=start_date,
        planned_end_date=planned_end_date,
        assessor=assessor,
        iv=iv,
        qualification_registration=registration,
    )


@transaction.atomic
def qualification_units_add(
    *,
    actor: User,
    registration: QualificationRegistration,
    units: Iterable[QualificationUnit],
    assessor: User | None = None,
    iv: User | None = None,
) -> list[str]:
    """More of the qualification's units for a learner already on it (the optional units chosen later, or a
    mandatory unit loaded since), on the registration's dates and learner number; the unit numbers added."""
    registration = QualificationRegistration.objects.select_for_update().get(pk=registration.pk)
    qualification = registration.qualification
    units = list(units)
    if not units:
        raise ValidationError({"units": "Choose at least one unit."})
    _check_people(learner=registration.learner, assessor=assessor, iv=iv, centre=registration.centre)
    choices = {c.unit.pk: c for c in qualification_units(qualification)}
    registered = set(
        registration.portfolios.exclude(status=PortfolioStatus.WITHDRAWN).values_list("unit__codes__code", flat=True)
    )
    numbers = [u.number for u in units]
    existing = _existing_portfolios(registration.learner, registration.centre, qualification, numbers)
    for unit in units:
        choice = choices.get(unit.pk)
        if choice is None or choice.code is None:
            raise ValidationError({"units": f"Unit {unit.number} is not a loaded unit of {qualification}."})
        if unit.number in registered:
            raise ValidationError({"units": f"{registration.learner.full_name} is already on unit {unit.number}."})
        if unit.number in existing:
            existing[unit.number].qualification_registration = registration
            existing[unit.number].save(update_fields=["qualification_registration"])
            continue
        portfolio_register(
            actor=actor,
            centre=registration.centre,
            learner=registration.learner,
            unit_code=choice.code,
            learner_number=registration.learner_number,
            start_date=registration.start_date,
            planned_end_date=registration.planned_end_date,
            assessor=assessor,
            iv=iv,
            qualification_registration=registration,
        )
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=registration.centre,
        action="qualification.units_added",
        target=registration,
        summary=f"{registration.learner.full_name}: units {', '.join(numbers)} of {qualification}",
        data={"units": numbers, "joined": [n for n in numbers if n in existing]},
    )
    return numbers
