"""The demo cohort, one learner's unit in each state, each built by the same services the pages call, so its
audit trail, notifications, signatures and record digests are the real ones.

Every state is keyed by its learner's registration: a state already there is left as it is, so running the
demo again adds nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.centre.qualifications import qualification_register
from assessments.evidence.services.records import QuestionPair, note_key
from assessments.evidence.uploads import inspect_upload
from assessments.judgement.services import claims_in_unit
from assessments.models import (
    Author,
    Decision,
    Evidence,
    Portfolio,
    PortfolioStatus,
    QualificationRegistration,
    SignatureKind,
    Verdict,
)
from assessments.services import assessor_record_save, evidence_judge, evidence_save, portfolio_register
from assessments.signoff.services import unit_mark_sampled, unit_refer, unit_sign
from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Role, User
from quality.management.demo import content as c
from quality.models import SampleItem, SamplingPlan
from quality.services.reports import iv_report_unit
from quality.services.sampling import sample_item_add, sampling_plan_create
from quality.services.visits import ev_visit_create, ev_visit_update_sample
from quality.visits import open_visits
from units.models import AssessmentMethod, AwardingBody, Criterion, QualificationUnit, RangeItem, UnitCode

K = SignatureKind


@dataclass
class Demo:
    centre: Centre
    unit_code: UnitCode
    people: dict[str, User]  # by email
    today: datetime.date
    image: bytes

    _criteria: dict[int, dict[str, Criterion]] = field(default_factory=dict, init=False, repr=False)

    def criteria(self, portfolio: Portfolio) -> dict[str, Criterion]:
        """The criteria of the portfolio's own version of the unit, by number: a portfolio begun on an earlier run
        keeps its version even once a newer one is the one new registrations start on."""
        if portfolio.unit_id not in self._criteria:
            found = Criterion.objects.filter(outcome__unit_id=portfolio.unit_id).select_related("outcome")
            self._criteria[portfolio.unit_id] = {x.code: x for x in found}
        return self._criteria[portfolio.unit_id]

    def __getitem__(self, person: c.Person) -> User:
        return self.people[person.email]


def _user(email: str, name: str, password_hash: Callable[[], str]) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, full_name=name)
        user.password = password_hash()
        user.save(update_fields=["password"])
    return user


def people(centre: Centre, body: AwardingBody) -> dict[str, User]:
    # One hash for every new demo account, made only if one is needed: hashing is slow on purpose, and the
    # password is published anyway.
    password_hash = cache(lambda: make_password(c.DEMO_PASSWORD))
    found: dict[str, User] = {}
    for person, role, qualification in c.STAFF:
        user = _user(person.email, person.name, password_hash)
        Membership.objects.get_or_create(user=user, centre=centre, role=role, defaults={"qualification": qualification})
        found[person.email] = user
    for person in c.LEARNERS:
        user = _user(person.email, person.name, password_hash)
        Membership.objects.get_or_create(user=user, centre=centre, role=Role.LEARNER)
        found[person.email] = user
    allocated = _user(c.EV.email, c.EV.name, password_hash)
    ev, _ = ExternalVerifier.objects.get_or_create(user=allocated, awarding_body=body)
    EVAllocation.objects.get_or_create(external_verifier=ev, centre=centre)
    visiting = _user(c.VISITING_EV.email, c.VISITING_EV.name, password_hash)
    ExternalVerifier.objects.get_or_create(user=visiting, awarding_body=body)
    found[c.EV.email], found[c.VISITING_EV.email] = allocated, visiting
    return found


# --- Steps every state shares ---------------------------------------------------------------------------------


def _register(demo: Demo, learner: c.Person, number: int, *, assessor: c.Person = c.ASSESSOR) -> Portfolio:
    return portfolio_register(
        actor=demo[c.ADMIN],
        centre=demo.centre,
        learner=demo[learner],
        unit_code=demo.unit_code,
        learner_number=f"CG-{number:04d}",
        start_date=demo.today - datetime.timedelta(days=70),
        planned_end_date=demo.today + datetime.timedelta(days=140),
        assessor=demo[assessor],
        iv=demo[c.IV],
    )


def qualification_unit(unit_code: UnitCode) -> QualificationUnit | None:
    """Where the unit sits in its awarding body's qualification, on the newest version of the qualification that
    lists it (the seeds name one: City & Guilds' Level 2 NVQ Certificate in Customer Service)."""
    return (
        QualificationUnit.objects.filter(
            number=unit_code.code, group__qualification__awarding_body_id=unit_code.awarding_body_id
        )
        .select_related("group__qualification")
        .order_by("-group__qualification__version")
        .first()
    )


def _on_qualification(demo: Demo, portfolio: Portfolio, listed: QualificationUnit) -> None:
    """The learner registered on the qualification with their unit under it, on the unit's own dates and learner
    number, so the dashboards show progress across the qualification. The registration service joins the unit
    already there rather than registering it again; a learner already on the qualification is left as they are."""
    qualification = listed.group.qualification
    if QualificationRegistration.objects.filter(
        learner=portfolio.learner, centre=demo.centre, qualification=qualification
    ).exists():
        return
    qualification_register(
        actor=demo[c.ADMIN],
        centre=demo.centre,
        learner=portfolio.learner,
        learner_number=portfolio.learner_number,
        qualification=qualification,
        start_date=portfolio.start_date,
        planned_end_date=portfolio.planned_end_date,
        optional_units=[] if listed.group.kind == listed.group.Kind.MANDATORY else [listed],
        assessor=portfolio.assessor,
        iv=portfolio.iv,
    )
    # The service joined another copy of this row; a later full save of this one must not undo it.
    portfolio.refresh_from_db()


def _add(demo: Demo, portfolio: Portfolio, item: c.Item, **witness: str) -> Evidence:
    files = []
    if item.image:
        files = [inspect_upload(SimpleUploadedFile("incident-log.png", demo.image, content_type="image/png"))]
    return evidence_save(
        actor=portfolio.learner,
        portfolio=portfolio,
        title=item.title,
        method=AssessmentMethod.objects.get(code=item.method),
        activity_date=demo.today - datetime.timedelta(days=item.days_ago),
        setting="real_work",
        description=item.description,
        customer_ref=item.customer_ref,
        occasion_ref=item.occasion_ref,
        criteria=[demo.criteria(portfolio)[code] for code in item.criteria],
        range_items=list(RangeItem.objects.filter(unit=portfolio.unit, letter__in=item.range_items)),
        files=files,
        **witness,
    )


def _accept(portfolio: Portfolio, evidence: Evidence, feedback: str = "") -> None:
    criteria, range_items = claims_in_unit(evidence, portfolio)
    evidence_judge(
        actor=portfolio.assessor,
        evidence=evidence,
        decision=Decision.ACCEPTED,
        verdicts=dict.fromkeys([*criteria, *range_items], Verdict.CONFIRMED),
        feedback=feedback,
    )


def _sign(portfolio: Portfolio, who: User, kind: str) -> None:
    unit_sign(actor=who, portfolio=portfolio, kind=kind, password=c.DEMO_PASSWORD)
    portfolio.refresh_from_db()


def _whole_unit(demo: Demo, portfolio: Portfolio, *, accept: int = 4) -> list[Evidence]:
    """The four items of a whole unit, the first `accept` of them accepted by the assessor."""
    items = [_add(demo, portfolio, item) for item in c.WHOLE_UNIT]
    for evidence in items[:accept]:
        _accept(portfolio, evidence)
    return items


def _report(demo: Demo, portfolio: Portfolio, **extra) -> None:
    iv_report_unit(actor=demo[c.IV], portfolio=portfolio, agreement="agree", feedback=c.IV_FEEDBACK, **extra)


def _plan(demo: Demo) -> SamplingPlan:
    plan = SamplingPlan.objects.filter(centre=demo.centre, iv=demo[c.IV], title=c.PLAN_TITLE).first()
    if plan is None:
        plan = sampling_plan_create(
            actor=demo[c.IV],
            centre=demo.centre,
            title=c.PLAN_TITLE,
            starts_on=demo.today - datetime.timedelta(days=7),
            ends_on=demo.today + datetime.timedelta(days=90),
        )
    return plan


def _sample(demo: Demo, portfolio: Portfolio, stage: str) -> SampleItem:
    plan = _plan(demo)
    item = SampleItem.objects.filter(plan=plan, portfolio=portfolio, stage=stage).first()
    return item or sample_item_add(
        actor=demo[c.IV],
        plan=plan,
        scope="unit",
        stage=stage,
        planned_for=demo.today + datetime.timedelta(days=14),
        portfolio=portfolio,
    )


# --- One builder per state ------------------------------------------------------------------------------------


def in_progress(demo: Demo, portfolio: Portfolio) -> None:
    """Some evidence: one item accepted with feedback, one waiting for the assessor, one for its witness. The IV
    has planned an interim sample of it."""
    first, waiting, testimony = c.IN_PROGRESS_ITEMS
    _accept(portfolio, _add(demo, portfolio, first), feedback=c.FEEDBACK_ON_E1)
    _add(demo, portfolio, waiting)
    name, email = c.WITNESS
    # Saving witness testimony emails the witness their single-use link (to the development mail folder).
    _add(
        demo,
        portfolio,
        testimony,
        witness_name=name,
        witness_email=email,
        witness_job_title="Shift supervisor",
        witness_relationship="Lena's line manager",
        witness_statement=c.WITNESS_STATEMENT,
    )
    _sample(demo, portfolio, "interim")


def submitted(demo: Demo, portfolio: Portfolio) -> None:
    _whole_unit(demo, portfolio, accept=3)
    _sign(portfolio, portfolio.learner, K.LEARNER)


def assessor_signed(demo: Demo, portfolio: Portfolio) -> None:
    _whole_unit(demo, portfolio)
    _sign(portfolio, portfolio.learner, K.LEARNER)
    _sign(portfolio, portfolio.assessor, K.ASSESSOR)


def awaiting_countersignature(demo: Demo, portfolio: Portfolio) -> None:
    """Assessed by Quinn, who is still qualifying: a qualified assessor countersigns next."""
    assessor_signed(demo, portfolio)


def iv_sampled(demo: Demo, portfolio: Portfolio) -> None:
    """In the IV's summative sample, reported on (agreeing, with an action point for the assessor)."""
    assessor_signed(demo, portfolio)
    item = _sample(demo, portfolio, "summative")
    _report(demo, portfolio, sample_item=item, actions=[(c.IV_ACTION, demo.today + datetime.timedelta(days=21))])


def ev_visit(demo: Demo, portfolio: Portfolio) -> None:
    """Signed by the IV while in an open EV visit's sample, which the EV has taken: the EV signs last."""
    assessor_signed(demo, portfolio)
    visiting = ExternalVerifier.objects.get(user=demo[c.VISITING_EV], awarding_body=portfolio.awarding_body)
    visit = open_visits().filter(centre=demo.centre, external_verifier=visiting).first()
    if visit is None:
        ev_visit_create(
            actor=demo[c.ADMIN],
            centre=demo.centre,
            external_verifier=visiting,
            starts_on=demo.today,
            ends_on=demo.today + datetime.timedelta(days=14),
            purpose=c.EV_NOTE,
            sample=[portfolio],
        )
    else:
        ev_visit_update_sample(actor=demo[c.ADMIN], visit=visit, sample=[*visit.sample.all(), portfolio])
    unit_mark_sampled(actor=demo[c.VISITING_EV], portfolio=portfolio, role=Role.EV)
    _report(demo, portfolio)
    _sign(portfolio, demo[c.IV], K.IV)


def complete(demo: Demo, portfolio: Portfolio) -> None:
    assessor_signed(demo, portfolio)
    _report(demo, portfolio)
    _sign(portfolio, demo[c.IV], K.IV)


def referred(demo: Demo, portfolio: Portfolio) -> None:
    """Submitted; the assessor sent E2 back with feedback and referred the unit back to the learner."""
    items = _whole_unit(demo, portfolio, accept=0)
    _sign(portfolio, portfolio.learner, K.LEARNER)
    for n, evidence in enumerate(items):
        if n == 1:
            evidence_judge(
                actor=portfolio.assessor,
                evidence=evidence,
                decision=Decision.SENT_BACK,
                verdicts={},
                feedback=c.SENT_BACK,
            )
        else:
            _accept(portfolio, evidence)
    unit_refer(actor=portfolio.assessor, portfolio=portfolio, role=Role.ASSESSOR, reasons=c.REFERRAL)


def assessor_records(demo: Demo, portfolio: Portfolio) -> None:
    """The assessor's observation of Lena, acknowledged with her password on the assessor's device, and their
    questioning of her with two question and answer pairs."""
    observed, criteria = c.OBSERVATION, demo.criteria(portfolio)
    ranges = {f"range {r.letter}": r for r in RangeItem.objects.filter(unit=portfolio.unit)}
    claims = [(criteria.get(key) or ranges[key], note) for key, note in observed.notes]
    assessor_record_save(
        actor=portfolio.assessor,
        portfolio=portfolio,
        method=AssessmentMethod.objects.get(code="O"),
        title=observed.title,
        activity_date=demo.today - datetime.timedelta(days=observed.days_ago),
        description=observed.description,
        place=observed.place,
        start_time=datetime.time.fromisoformat(observed.start),
        end_time=datetime.time.fromisoformat(observed.end),
        feedback=observed.feedback,
        criteria=[claim for claim, _ in claims if isinstance(claim, Criterion)],
        range_items=[claim for claim, _ in claims if isinstance(claim, RangeItem)],
        notes={note_key(claim): note for claim, note in claims},
        learner_password=c.DEMO_PASSWORD,
    )
    assessor_record_save(
        actor=portfolio.assessor,
        portfolio=portfolio,
        method=AssessmentMethod.objects.get(code="Q"),
        title=c.QUESTIONING_TITLE,
        activity_date=demo.today - datetime.timedelta(days=c.QUESTIONING_DAYS_AGO),
        pairs=[QuestionPair(q, a, [criteria[code] for code in codes]) for q, a, codes in c.QUESTIONS],
    )


Builder = Callable[[Demo, Portfolio], None]
# In the order they are built and printed: (learner, their assessor, the state's builder).
STATES: list[tuple[c.Person, c.Person, Builder]] = [
    (c.IN_PROGRESS, c.ASSESSOR, in_progress),
    (c.SUBMITTED, c.ASSESSOR, submitted),
    (c.ASSESSOR_SIGNED, c.ASSESSOR, assessor_signed),
    (c.COUNTERSIGN, c.QUALIFYING, awaiting_countersignature),
    (c.IV_SAMPLED, c.ASSESSOR, iv_sampled),
    (c.EV_VISIT, c.ASSESSOR, ev_visit),
    (c.COMPLETE, c.ASSESSOR, complete),
    (c.REFERRED, c.ASSESSOR, referred),
]


def build(demo: Demo) -> Portfolio | None:
    """Every state not already there; returns the complete unit, whose record the caller renders."""
    listed = qualification_unit(demo.unit_code)
    for number, (learner, assessor, builder) in enumerate(STATES, start=1):
        portfolio = Portfolio.objects.filter(learner=demo[learner], centre=demo.centre).first()
        if portfolio is None:
            portfolio = _register(demo, learner, number, assessor=assessor)
        # Before the state is built, so a new unit joins the qualification while nothing on it is signed; a demo
        # made before the demo registered anyone on a qualification gains its registrations here too.
        if listed is not None:
            _on_qualification(demo, portfolio, listed)
        if portfolio.evidence.exists():
            continue  # built on an earlier run
        builder(demo, portfolio)
    # Keyed by their own presence, so a demo made before they were added gains them too; left out once the
    # unit has moved on (a visitor may have submitted or signed it), as a signed unit takes no new records.
    lena = Portfolio.objects.filter(learner=demo[c.IN_PROGRESS], centre=demo.centre).first()
    if lena.status == PortfolioStatus.IN_PROGRESS and not lena.evidence.filter(author=Author.ASSESSOR).exists():
        assessor_records(demo, lena)
    return Portfolio.objects.filter(learner=demo[c.COMPLETE], centre=demo.centre).first()
