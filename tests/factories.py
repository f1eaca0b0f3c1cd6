"""Test data. Units come from the real fixture, never from factories."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from assessments.models import Portfolio
from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Qualification, Role, User
from units.models import AwardingBody, Unit

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password(PASSWORD)


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Training Centre {n}")
    number = factory.Sequence(lambda n: f"{10000 + n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = Role.LEARNER
    qualification = factory.LazyAttribute(
        lambda m: Qualification.QUALIFIED if m.role in (Role.ASSESSOR, Role.IV) else ""
    )


def member(centre: Centre, role: Role, **kwargs) -> User:
    """A new person holding `role` at `centre`."""
    return MembershipFactory(centre=centre, role=role, **kwargs).user


def external_verifier(centre: Centre | None, body_code: str = "CG", **user_kwargs) -> User:
    ev = ExternalVerifier.objects.create(
        user=UserFactory(**user_kwargs), awarding_body=AwardingBody.objects.get(code=body_code)
    )
    if centre is not None:
        EVAllocation.objects.create(external_verifier=ev, centre=centre)
    return ev.user


UNIT_SLUG = "deliver-customer-service-to-difficult-customers"


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    centre = factory.SubFactory(CentreFactory)
    learner = factory.LazyAttribute(lambda p: member(p.centre, Role.LEARNER))
    unit = factory.LazyFunction(lambda: Unit.objects.get(slug=UNIT_SLUG))
    awarding_body = factory.LazyFunction(lambda: AwardingBody.objects.get(code="CG"))
    learner_number = factory.Sequence(lambda n: f"L{n:05d}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    planned_end_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=180))


def ev_findings_agreeing(portfolio: Portfolio, ev_user: User):
    """The EV's findings agreeing with the decisions, which their signature needs; this also samples the unit."""
    from quality.services.visits import ev_findings_record

    return ev_findings_record(
        actor=ev_user,
        portfolio=portfolio,
        agreement="agree",
        findings="Sampled the evidence and the decisions on it: they are valid, sufficient and authentic.",
    )


def iv_report_agreeing(portfolio: Portfolio, iv: User):
    """The IV's summative report agreeing with the assessor's decision, which their signature needs; this also
    puts the unit in the IV's sample."""
    from quality.services.reports import iv_report_unit

    return iv_report_unit(
        actor=iv,
        portfolio=portfolio,
        agreement="agree",
        feedback="Sampled the evidence and the assessor's decisions on it: sound, well recorded.",
    )


def unit_next_version(unit: Unit) -> Unit:
    """A changed specification of a unit some portfolio already uses, loaded through the unit library: the unit's
    next version, carrying the same numbers (the numbers then name two rows, as in a real centre's library)."""
    from units.library.documents import dumps, unit_document
    from units.library.importing import library_import

    document = unit_document(unit)
    document["purpose"] += " (revised specification)"
    result = library_import(text=dumps(document))
    assert result.action == "new version", "only a unit in use gets a new version: register someone on it first"
    return Unit.objects.get(family=unit.family_slug, version=result.version)
