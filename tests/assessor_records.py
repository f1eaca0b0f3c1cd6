"""The assessor's own records made for a test: through the service (observe, question, discuss) or as the form
posts them (observation_post, questioning_post, discussion_post). Criteria are named as the unit prints them
("2.1"), range items by letter."""

from __future__ import annotations

import datetime

from django.utils import timezone

from assessments import services
from assessments.evidence.services.records import QuestionPair, note_key
from assessments.models import Evidence
from units.models import AssessmentMethod, Criterion, RangeItem

START, END = datetime.time(9, 30), datetime.time(10, 15)


def crit(code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__number=int(outcome), number=int(number))


def rng(letter: str) -> RangeItem:
    return RangeItem.objects.get(letter=letter)


def _yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def observe(world, *, criteria=("2.1",), range_items=(), evidence=None, **overrides) -> Evidence:
    claims = [crit(c) for c in criteria] + [rng(r) for r in range_items]
    fields = {
        "title": "Observed at the service desk",
        "activity_date": _yesterday(),
        "description": "Lena calmed a customer whose delivery was late.",
        "place": "Service desk, Northgate store",
        "start_time": START,
        "end_time": END,
        "feedback": "Well handled: you kept calm and agreed a next step.",
        "notes": {note_key(c): f"Seen: {c}" for c in claims},
        **overrides,
    }
    return services.assessor_record_save(
        actor=world.assessor,
        portfolio=world.portfolio,
        evidence=evidence,
        method=AssessmentMethod.objects.get(code="O"),
        criteria=[c for c in claims if isinstance(c, Criterion)],
        range_items=[c for c in claims if isinstance(c, RangeItem)],
        **fields,
    )


def question(world, *, pairs=(("What upsets customers most?", "Being kept waiting.", ("3.1",)),), **overrides):
    fields = {"title": "Questions on difficult customers", "activity_date": _yesterday(), **overrides}
    return services.assessor_record_save(
        actor=world.assessor,
        portfolio=world.portfolio,
        method=AssessmentMethod.objects.get(code="Q"),
        pairs=[QuestionPair(q, a, [crit(c) for c in codes]) for q, a, codes in pairs],
        **fields,
    )


def discuss(world, *, criteria=("2.1",), range_items=(), **overrides) -> Evidence:
    fields = {
        "title": "Discussion about refunds",
        "activity_date": _yesterday(),
        "description": "We talked through the refund policy.",
        "topics": "Refunds; difficult callers",
        "duration_minutes": 25,
        **overrides,
    }
    return services.assessor_record_save(
        actor=world.assessor,
        portfolio=world.portfolio,
        method=AssessmentMethod.objects.get(code="PD"),
        criteria=[crit(c) for c in criteria],
        range_items=[rng(r) for r in range_items],
        **fields,
    )


def observation_post(*, criteria=("2.1", "2.4"), range_items=("a",), **overrides) -> dict:
    data = {
        "title": "Observed at the service desk",
        "activity_date": _yesterday().isoformat(),
        "start_time": "09:30",
        "end_time": "10:15",
        "place": "Service desk, Northgate store",
        "setting": "real_work",
        "description": "Lena calmed a customer whose delivery was late, and agreed a redelivery.",
        "feedback": "Well handled: you kept calm and agreed a next step.",
        "criteria": [crit(c).pk for c in criteria],
        "range_items": [rng(r).pk for r in range_items],
        "learner_password": "",
    }
    for c in criteria:
        data[note_key(crit(c))] = f"Seen for {c}"
    for r in range_items:
        data[note_key(rng(r))] = f"Seen for range {r}"
    data.update(overrides)
    return data


def questioning_post(*, pairs=(("What upsets customers most?", "Being kept waiting.", ("3.1",)),), **overrides):
    data = {
        "title": "Questions on difficult customers",
        "activity_date": _yesterday().isoformat(),
        "description": "",
        "range_items": [],
        "pairs-TOTAL_FORMS": str(len(pairs)),
        "pairs-INITIAL_FORMS": "0",
        "pairs-MIN_NUM_FORMS": "0",
        "pairs-MAX_NUM_FORMS": "50",
    }
    for n, (q, a, codes) in enumerate(pairs):
        data[f"pairs-{n}-question"] = q
        data[f"pairs-{n}-answer"] = a
        data[f"pairs-{n}-criteria"] = [crit(c).pk for c in codes]
    data.update(overrides)
    return data


def discussion_post(*, criteria=("2.1", "2.4"), range_items=("a",), **overrides) -> dict:
    data = {
        "title": "Discussion about refunds",
        "activity_date": _yesterday().isoformat(),
        "description": "We talked through the refund policy.",
        "topics": "Refunds; difficult callers",
        "duration_minutes": "25",
        "criteria": [crit(c).pk for c in criteria],
        "range_items": [rng(r).pk for r in range_items],
    }
    data.update(overrides)
    return data
