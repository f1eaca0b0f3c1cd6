"""EV visits, prepared by a centre admin, and the EV's findings on the units they sample.

A visit gives its EV read-only access to the sampled portfolios from its first to its last day (see
quality/visits.py); these services only keep what is stored right. Every date is a Europe/London date.

A unit in a visit's sample is held for the EV from the moment it is put there: it is not complete until the EV
signs it or releases it (assessments/signoff/services/). Taking it out of the sample, cancelling the visit or
the visit ending with the unit unsigned releases it, audited, unless another hold on it stands (see
`_release_unsigned`). A visit's end is dealt with by `ev_visits_close`, run by the task worker the day after
and by `manage.py ev_visits_close` from cron.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from assessments.models import Portfolio, PortfolioStatus
from assessments.signoff.services import TransitionError, ev_may_verify, unit_ev_hold, unit_ev_release
from audit.models import AuditEvent
from audit.services import audit_log
from notifications.services import notifications_done, notify
from people.models import Centre, EVAllocation, ExternalVerifier, Membership, Role, User
from quality import visits
from quality.models import EVFinding, EVVisit

S = PortfolioStatus
# Who acts when nobody does: the end of a visit, dealt with by the task worker or cron.
SYSTEM_ROLE = "system"
AGREEMENTS = dict(EVFinding._meta.get_field("agreement").choices)


def _day(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def _check_admin(actor: User, centre_id: int) -> None:
    if not Membership.objects.filter(user=actor, centre_id=centre_id, role=Role.ADMIN, is_active=True).exists():
        raise ValidationError("Only an admin of the centre prepares and changes its EV visits.")


def _date_errors(starts_on: datetime.date | None, ends_on: datetime.date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = ["Enter the first day of the visit."]
    if ends_on is None:
        errors["ends_on"] = ["Enter the last day of the visit."]
    if errors:
        return errors
    assert starts_on is not None and ends_on is not None
    if ends_on < starts_on:
        errors["ends_on"] = ["The last day must be on or after the first day."]
    elif ends_on < visits.today():
        errors["ends_on"] = ["The last day has already passed: a visit must end today or later."]
    return errors


def _sample_errors(sample: list[Portfolio], *, centre_id: int, ev: ExternalVerifier) -> list[str]:
    if not sample:
        return ["Choose at least one registration for the EV to sample."]
    errors = []
    for portfolio in sample:
        name = f"{portfolio.learner.full_name}, {portfolio.unit.title}"
        if portfolio.centre_id != centre_id:
            errors.append(f"{name} is not registered at this centre.")
        elif portfolio.status == S.WITHDRAWN:
            errors.append(f"{name} is withdrawn: choose a current registration.")
        elif portfolio.awarding_body_id != ev.awarding_body_id:
            errors.append(
                f"{name} is registered with {portfolio.awarding_body.name}, not {ev.awarding_body.name}: "
                "this EV cannot verify it."
            )
    return errors


def _fresh(sample: Iterable[Portfolio]) -> list[Portfolio]:
    # Re-read from the database: the status, centre and body checked are the stored ones, not a form's copies.
    ids = {p.pk for p in sample}
    return list(Portfolio.objects.filter(pk__in=ids).select_related("learner", "unit", "awarding_body"))


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _visit_url(visit: EVVisit) -> str:
    return reverse("ev_visit_detail", args=[visit.pk])


def _dates(visit: EVVisit) -> str:
    return f"{_day(visit.starts_on)} to {_day(visit.ends_on)}"


def _units(n: int) -> str:
    return f"{n} unit{pluralize(n)}"


@transaction.atomic
def ev_visit_create(
    *,
    actor: User,
    centre: Centre,
    external_verifier: ExternalVerifier,
    starts_on: datetime.date,
    ends_on: datetime.date,
    purpose: str,
    sample: list[Portfolio],
) -> EVVisit:
    """A centre admin prepares a visit: its EV, its dates and the registrations the EV will sample."""
    _check_admin(actor, centre.pk)
    errors = _date_errors(starts_on, ends_on)
    if not external_verifier.is_active or not external_verifier.user.is_active:
        errors["external_verifier"] = ["This external verifier is no longer active: choose another."]
    fresh = _fresh(sample)
    if sample_errors := _sample_errors(fresh, centre_id=centre.pk, ev=external_verifier):
        errors["sample"] = sample_errors
    _raise(errors)
    visit = EVVisit.objects.create(
        centre=centre,
        external_verifier=external_verifier,
        starts_on=starts_on,
        ends_on=ends_on,
        purpose=(purpose or "").strip(),
        created_by=actor,
    )
    visit.sample.set(fresh)
    ev_user = external_verifier.user
    _hold(actor=actor, visit=visit, portfolios=fresh)
    _close_after_last_day(visit)
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="ev_visit.created",
        target=visit,
        summary=f"EV visit by {ev_user.full_name} prepared for {_dates(visit)}, sampling {_units(len(fresh))}",
        data={
            "external_verifier": external_verifier.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "sample": sorted(p.pk for p in fresh),
        },
    )
    notify(
        user=ev_user,
        kind="ev_visit",
        target=visit,
        title=f"EV visit to {centre.name}, {_dates(visit)}: {_units(len(fresh))} to sample",
        url=_visit_url(visit),
        centre=centre,
        body=visit.purpose,
    )
    return visit


def _lock_visit(visit: EVVisit) -> EVVisit:
    return (
        EVVisit.objects.select_for_update(of=("self",))
        .select_related("centre", "external_verifier__user", "external_verifier__awarding_body")
        .get(pk=visit.pk)
    )


def _check_changeable(visit: EVVisit) -> None:
    if visit.cancelled_at is not None:
        raise ValidationError("This visit was cancelled: it can no longer change.")
    if visit.ends_on < visits.today():
        raise ValidationError(f"This visit ended on {_day(visit.ends_on)}: it can no longer change.")


@transaction.atomic
def ev_visit_update(
    *,
    actor: User,
    visit: EVVisit,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    purpose: str | None = None,
    sample: list[Portfolio] | None = None,
) -> EVVisit:
    """Change a visit that is neither cancelled nor over. What is left as None stays as it is."""
    visit = _lock_visit(visit)
    _check_admin(actor, visit.centre_id)
    _check_changeable(visit)
    new_start = starts_on or visit.starts_on
    new_end = ends_on or visit.ends_on
    errors = _date_errors(new_start, new_end) if (starts_on or ends_on) else {}
    fresh = None
    if sample is not None:
        fresh = _fresh(sample)
        if sample_errors := _sample_errors(fresh, centre_id=visit.centre_id, ev=visit.external_verifier):
            errors["sample"] = sample_errors
    _raise(errors)
    changes: dict[str, object] = {}
    if (new_start, new_end) != (visit.starts_on, visit.ends_on):
        changes["dates"] = {"before": _dates(visit), "after": f"{_day(new_start)} to {_day(new_end)}"}
        visit.starts_on, visit.ends_on = new_start, new_end
        _close_after_last_day(visit)
    if purpose is not None and purpose.strip() != visit.purpose:
        changes["purpose"] = True
        visit.purpose = purpose.strip()
    if fresh is not None:
        before = set(visit.sample.values_list("pk", flat=True))
        after = {p.pk for p in fresh}
        if before != after:
            changes["added"] = sorted(after - before)
            changes["removed"] = sorted(before - after)
            visit.sample.set(fresh)
    if not changes:
        return visit
    if changes.get("added"):
        _hold(actor=actor, visit=visit, portfolios=[p for p in fresh or [] if p.pk in changes["added"]])
    if changes.get("removed"):
        left = Portfolio.objects.filter(pk__in=changes["removed"])
        _release_unsigned(
            visit=visit,
            portfolios=left,
            actor=actor,
            role=Role.ADMIN,
            why=f"Taken out of the sample of the EV visit by {visit.external_verifier.user.full_name}",
        )
    visit.save(update_fields=["starts_on", "ends_on", "purpose"])
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=visit.centre,
        action="ev_visit.changed",
        target=visit,
        summary=f"EV visit by {visit.external_verifier.user.full_name} changed: now {_dates(visit)}",
        data=changes,
    )
    return visit


def ev_visit_update_sample(*, actor: User, visit: EVVisit, sample: list[Portfolio]) -> EVVisit:
    return ev_visit_update(actor=actor, visit=visit, sample=sample)


def ev_visit_update_dates(*, actor: User, visit: EVVisit, starts_on: datetime.date, ends_on: datetime.date) -> EVVisit:
    return ev_visit_update(actor=actor, visit=visit, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def ev_visit_cancel(*, actor: User, visit: EVVisit) -> EVVisit:
    """Call the visit off: the EV's access through it closes at once."""
    visit = _lock_visit(visit)
    _check_admin(actor, visit.centre_id)
    _check_changeable(visit)
    visit.cancelled_at = visit.closed_at = timezone.now()
    visit.save(update_fields=["cancelled_at", "closed_at"])
    notifications_done(target=visit)
    _release_unsigned(
        visit=visit,
        portfolios=visit.sample.all(),
        actor=actor,
        role=Role.ADMIN,
        why=f"The EV visit by {visit.external_verifier.user.full_name} for {_dates(visit)} was cancelled",
    )
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=visit.centre,
        action="ev_visit.cancelled",
        target=visit,
        summary=f"EV visit by {visit.external_verifier.user.full_name} for {_dates(visit)} cancelled",
        data={"starts_on": visit.starts_on.isoformat(), "ends_on": visit.ends_on.isoformat()},
    )
    return visit


def _close_after_last_day(visit: EVVisit) -> None:
    """Have the worker deal with the visit's end at the first moment after its last day (Europe/London)."""
    from quality.tasks import close_ended_ev_visits

    day_after = datetime.datetime.combine(visit.ends_on + datetime.timedelta(days=1), datetime.time.min)
    when = timezone.make_aware(day_after)
    transaction.on_commit(lambda: close_ended_ev_visits.using(run_after=when).enqueue())


def _hold(*, actor: User, visit: EVVisit, portfolios: Iterable[Portfolio]) -> None:
    """Each unit put in the visit's sample waits for the visiting EV's signature (or their release of it)."""
    name = visit.external_verifier.user.full_name
    for portfolio in sorted(portfolios, key=lambda p: p.pk):
        unit_ev_hold(
            actor=actor,
            portfolio=portfolio,
            role=Role.ADMIN,
            summary=f"In the sample of the EV visit by {name}, {_dates(visit)}: it waits for the EV's signature",
            visit=visit.pk,
            ev=visit.external_verifier.user_id,
        )


def _held_otherwise(visit: EVVisit, portfolio: Portfolio) -> bool:
    """Whether the unit stays in an EV's sample without this visit: another visit not yet over samples it, or an
    EV allocated to the centre for its body sampled it themselves (marked it, or recorded findings this round)."""
    others = (
        EVVisit.objects.filter(sample=portfolio, cancelled_at__isnull=True, ends_on__gte=visits.today())
        .exclude(pk=visit.pk)
        .exists()
    )
    if others:
        return True
    samplers = set(
        EVFinding.objects.filter(portfolio=portfolio, round=portfolio.round).values_list("ev_id", flat=True)
    ) | set(
        AuditEvent.objects.filter(
            portfolio_id=portfolio.pk, action="portfolio.sampled", data__by=Role.EV.value, actor__isnull=False
        ).values_list("actor_id", flat=True)
    )
    return EVAllocation.objects.filter(
        external_verifier__user_id__in=samplers,
        external_verifier__awarding_body_id=portfolio.awarding_body_id,
        centre_id=portfolio.centre_id,
        is_active=True,
    ).exists()


def _release_unsigned(
    *, visit: EVVisit, portfolios: Iterable[Portfolio], actor: User | AnonymousUser, role: str, why: str
) -> int:
    """Release the units the visit held and its EV did not sign; each release is audited with why."""
    released = 0
    for portfolio in sorted(portfolios, key=lambda p: p.pk):
        fresh = _lock_portfolio(portfolio)
        if not fresh.ev_sampled or fresh.status in (S.COMPLETE, S.WITHDRAWN, S.EV_SIGNED):
            continue
        if _held_otherwise(visit, fresh):
            continue
        sampled = EVFinding.objects.filter(
            portfolio=fresh, round=fresh.round, ev_id=visit.external_verifier.user_id
        ).exists()
        state = "with findings but no signature" if sampled else "unsampled"
        unit_ev_release(
            actor=actor,
            portfolio=fresh,
            role=role,
            summary=f"{why}, leaving this unit {state}: released from the EV's sample",
            visit=visit.pk,
            sampled=sampled,
        )
        released += 1
    return released


@transaction.atomic
def ev_visit_close(*, visit: EVVisit) -> int:
    """Deal with the end of a visit whose last day has passed: release what it held unsigned. Run once per visit
    (`closed_at`); returns how many units were released."""
    visit = _lock_visit(visit)
    if visit.closed_at is not None or visit.cancelled_at is not None or visit.ends_on >= visits.today():
        return 0
    visit.closed_at = timezone.now()
    visit.save(update_fields=["closed_at"])
    name = visit.external_verifier.user.full_name
    released = _release_unsigned(
        visit=visit,
        portfolios=visit.sample.all(),
        actor=AnonymousUser(),
        role=SYSTEM_ROLE,
        why=f"The EV visit by {name} ended on {_day(visit.ends_on)}",
    )
    audit_log(
        actor=None,
        actor_role=SYSTEM_ROLE,
        centre=visit.centre,
        action="ev_visit.ended",
        target=visit,
        summary=f"EV visit by {name} for {_dates(visit)} ended: {_units(released)} released unsigned",
        data={"released": released},
    )
    return released


def ev_visits_close() -> int:
    """Close every visit whose last day has passed and is not closed yet; each in its own transaction."""
    ended = EVVisit.objects.filter(cancelled_at__isnull=True, closed_at__isnull=True, ends_on__lt=visits.today())
    return sum(ev_visit_close(visit=visit) for visit in ended.order_by("ends_on", "pk"))


def _lock_portfolio(portfolio: Portfolio) -> Portfolio:
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins that select_related makes.
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("centre", "learner", "unit", "awarding_body")
        .get(pk=portfolio.pk)
    )


@transaction.atomic
def ev_findings_record(*, actor: User, portfolio: Portfolio, agreement: str, findings: str) -> EVFinding:
    """The EV's findings on a unit in its current round. Recording them puts the unit in the EV's sample."""
    portfolio = _lock_portfolio(portfolio)
    if not ev_may_verify(actor, portfolio):
        raise TransitionError(
            "Only an external verifier allocated to this centre, or visiting it with this unit in the sample, "
            "records findings on it."
        )
    if portfolio.status == S.WITHDRAWN:
        raise TransitionError("This registration is withdrawn: there is nothing to verify.")
    findings = (findings or "").strip()
    errors: dict[str, list[str]] = {}
    if agreement not in AGREEMENTS:
        errors["agreement"] = ["Say whether you agree with the assessment and verification decisions."]
    if not findings:
        errors["findings"] = ["Write your findings: what you sampled and what you found."]
    _raise(errors)
    visit = (
        visits.open_visits().filter(external_verifier__user=actor, sample=portfolio).order_by("starts_on", "pk").first()
    )
    finding = EVFinding.objects.create(
        portfolio=portfolio, round=portfolio.round, ev=actor, visit=visit, agreement=agreement, findings=findings
    )
    audit_log(
        actor=actor,
        actor_role=Role.EV,
        centre=portfolio.centre,
        action="ev.findings_recorded",
        target=finding,
        summary=f"EV findings by {actor.full_name}: {AGREEMENTS[agreement].lower()}",
        data={"round": portfolio.round, "agreement": agreement, "visit": visit.pk if visit else None},
    )
    # A complete unit's chain is closed: findings on it are kept, but they start no new sample. A unit already
    # held for a visit is sampled by this EV now: the row says whose signature it waits for (and who is told).
    sampled_by_them = AuditEvent.objects.filter(
        portfolio_id=portfolio.pk, action="portfolio.sampled", data__by=Role.EV.value, actor=actor
    ).exists()
    if portfolio.status != S.COMPLETE and not (portfolio.ev_sampled and sampled_by_them):
        portfolio.ev_sampled = True
        portfolio.save(update_fields=["ev_sampled"])
        audit_log(
            actor=actor,
            actor_role=Role.EV,
            centre=portfolio.centre,
            action="portfolio.sampled",
            target=portfolio,
            summary=f"Sampled by the EV, {actor.full_name}",
            data={"by": Role.EV, "status": portfolio.status},
        )
    return finding


def ev_visits_ahead(external_verifier: ExternalVerifier) -> list[EVVisit]:
    """The EV's visits that are open or still to come, soonest first, each with `is_open` set for the dashboard."""
    today = visits.today()
    ahead = list(
        external_verifier.visits.filter(cancelled_at__isnull=True, ends_on__gte=today)
        .select_related("centre")
        .annotate(sampled=Count("sample"))
        .order_by("starts_on", "pk")
    )
    for visit in ahead:
        visit.is_open = visit.starts_on <= today  # type: ignore[attr-defined]
    return ahead
