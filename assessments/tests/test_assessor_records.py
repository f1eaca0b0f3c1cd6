"""The assessor's record services (assessments/evidence/services/records.py), and what the signed record and its
PDF carry of them: an observation's times, notes and acknowledgement, questioning's pairs, a discussion."""

from __future__ import annotations

import datetime
import io
import re
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from assessments import services
from assessments.evidence.policy import LOCKED
from assessments.evidence.services.records import note_key
from assessments.models import (
    Acknowledgement,
    Discussion,
    Evidence,
    EvidenceSetting,
    Observation,
    ObservationNote,
    Portfolio,
    PortfolioStatus,
    QuestionAnswer,
)
from assessments.records.document import build_record, current_digest
from assessments.records.pdf.content import record_content
from assessments.records.pdf.render import record_html, render_pdf
from audit.models import AuditEvent
from tests.assessor_records import crit, discuss, observe, question, rng
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _no_password_misses_carried_over():
    # Wrong learner passwords are counted in the cache (per learner id, which a later test may reuse).
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def lock(world) -> None:
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    world.portfolio.refresh_from_db()


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Observation


def test_an_observation_keeps_its_times_notes_feedback_and_waits_for_the_learner(world):
    record = observe(world, criteria=("2.1", "2.4"), range_items=("a",))
    observation = Observation.objects.get(evidence=record)
    assert (observation.start_time, observation.end_time) == (datetime.time(9, 30), datetime.time(10, 15))
    assert observation.feedback.startswith("Well handled")
    assert observation.acknowledgement == Acknowledgement.PENDING and observation.acknowledged_at is None
    notes = {(n.criterion.code if n.criterion_id else n.range_item.letter): n.note for n in observation.notes.all()}
    assert notes == {"2.1": f"Seen: {crit('2.1')}", "2.4": f"Seen: {crit('2.4')}", "a": f"Seen: {rng('a')}"}
    assert record.place == "Service desk, Northgate store" and record.setting == EvidenceSetting.REAL_WORK
    assert not AuditEvent.objects.filter(action="evidence.observation_acknowledged").exists()


def test_the_end_must_come_after_the_start(world):
    with pytest.raises(ValidationError) as refused:
        observe(world, start_time=datetime.time(10, 0), end_time=datetime.time(10, 0))
    assert errors_of(refused)["end_time"] == ["The observation must end after it started."]
    with pytest.raises(ValidationError) as refused:
        observe(world, start_time=None, end_time=None, feedback="", place="")
    assert {"start_time", "end_time", "feedback", "place"} <= set(errors_of(refused))
    assert not Evidence.objects.exists()


def test_every_criterion_and_range_item_covered_needs_its_note(world):
    with pytest.raises(ValidationError) as refused:
        observe(world, criteria=("2.1",), range_items=("a",), notes={note_key(crit("2.1")): "Listened."})
    assert errors_of(refused) == {note_key(rng("a")): ["Say what you saw for this one."]}


def test_simulation_follows_the_units_own_rule(world):
    with pytest.raises(ValidationError, match="Simulation is not allowed for performance evidence"):
        observe(world, setting=EvidenceSetting.SIMULATION)
    # The same rule the learner's items meet: a unit that allows simulation takes it.
    unit = world.portfolio.unit
    unit.simulation_allowed_for_performance = True
    unit.save(update_fields=["simulation_allowed_for_performance"])
    world.portfolio.refresh_from_db()
    assert observe(world, setting=EvidenceSetting.SIMULATION).setting == EvidenceSetting.SIMULATION
    with pytest.raises(ValidationError, match="real work, or a simulation"):
        observe(world, setting=EvidenceSetting.REALISTIC)


def test_the_learners_password_acknowledges_it_there_and_then(world):
    record = observe(world, learner_password=PASSWORD)
    observation = Observation.objects.get(evidence=record)
    assert observation.acknowledgement == Acknowledgement.ON_DEVICE
    assert observation.acknowledged_by == world.learner and observation.acknowledged_at is not None
    event = AuditEvent.objects.get(action="evidence.observation_acknowledged")
    assert event.actor == world.learner and event.actor_role == "learner"
    assert event.data == {**event.data, "how": "on_device", "start": "09:30", "end": "10:15"}


def test_a_wrong_password_is_refused_before_any_row_is_locked(world):
    locked = mock.patch("assessments.evidence.services.records._lock", side_effect=AssertionError("locked"))
    with locked, pytest.raises(ValidationError) as refused:
        observe(world, learner_password="not the password")
    assert "learner_password" in errors_of(refused)
    with pytest.raises(ValidationError):
        # The assessor's own password is not the learner's.
        world.assessor.set_password("assessors-own")
        world.assessor.save()
        observe(world, learner_password="assessors-own")
    assert not Evidence.objects.exists()


def test_wrong_learner_passwords_are_counted_and_then_refused_even_when_right(world):
    for _ in range(5):
        with pytest.raises(ValidationError, match="not the learner's password"):
            observe(world, learner_password="guess")
    with pytest.raises(ValidationError, match="wrong too many times"):
        observe(world, learner_password=PASSWORD)
    # Without a password the record is saved, for the learner to acknowledge from their own account.
    assert Observation.objects.get(evidence=observe(world)).acknowledgement == Acknowledgement.PENDING


def test_a_change_asks_for_the_acknowledgement_again_and_saving_it_unchanged_does_not(world):
    record = observe(world, learner_password=PASSWORD)
    observe(world, evidence=record)
    assert Observation.objects.get().acknowledgement == Acknowledgement.ON_DEVICE
    observe(world, evidence=record, feedback="Next time, summarise before you promise.")
    observation = Observation.objects.get()
    assert observation.acknowledgement == Acknowledgement.PENDING and observation.acknowledged_by is None
    # With the password typed again, the changed record is acknowledged as it now stands.
    observe(world, evidence=record, feedback="Changed again.", learner_password=PASSWORD)
    assert Observation.objects.get().acknowledgement == Acknowledgement.ON_DEVICE


def test_the_learner_acknowledges_later_once_and_only_while_unlocked(world):
    record = observe(world)
    with pytest.raises(PermissionDenied):
        services.observation_acknowledge(actor=world.assessor, evidence=record)
    observation = services.observation_acknowledge(actor=world.learner, evidence=record)
    assert observation.acknowledgement == Acknowledgement.OWN_ACCOUNT and observation.acknowledged_by == world.learner
    with pytest.raises(ValidationError, match="You acknowledged this observation on"):
        services.observation_acknowledge(actor=world.learner, evidence=record)
    event = AuditEvent.objects.get(action="evidence.observation_acknowledged")
    assert event.data["how"] == "own_account" and event.actor == world.learner
    pending = observe(world, title="Second")
    lock(world)
    with pytest.raises(ValidationError, match=re.escape(LOCKED)):
        services.observation_acknowledge(actor=world.learner, evidence=pending)
    with pytest.raises(ValidationError, match="signed off"):
        observe(world, evidence=record, title="After signing")
    assert Observation.objects.get(evidence=pending).acknowledgement == Acknowledgement.PENDING


# Questioning and discussion


def test_questioning_keeps_each_pair_in_order_with_its_knowledge_criteria(world):
    record = question(
        world,
        pairs=(
            ("What upsets customers most?", "Being kept waiting.", ("3.1",)),
            ("How do you calm them?", "Listen, then act.", ("3.2", "3.3")),
        ),
    )
    pairs = list(QuestionAnswer.objects.filter(evidence=record).prefetch_related("criteria"))
    assert [(p.order, p.answer) for p in pairs] == [(1, "Being kept waiting."), (2, "Listen, then act.")]
    assert [sorted(c.code for c in p.criteria.all()) for p in pairs] == [["3.1"], ["3.2", "3.3"]]
    assert sorted(record.criteria.values_list("outcome__number", "number")) == [(3, 1), (3, 2), (3, 3)]
    # Changed: the pairs are those of the last save.
    services.assessor_record_save(
        actor=world.assessor,
        portfolio=world.portfolio,
        evidence=record,
        method=record.method,
        title=record.title,
        activity_date=record.activity_date,
        pairs=[services_pair("Only one now?", "Yes.", "3.4")],
    )
    assert list(QuestionAnswer.objects.values_list("question", flat=True)) == ["Only one now?"]


def services_pair(q, a, code):
    from assessments.evidence.services.records import QuestionPair

    return QuestionPair(q, a, [crit(code)])


def test_questioning_needs_a_pair_with_its_answer_and_knowledge_criteria(world):
    for pairs, words in (
        ((), "at least one question"),
        ((("Why?", "", ("3.1",)),), "both the question and the learner's answer"),
        ((("Why?", "Because.", ()),), "needs the knowledge criteria"),
        ((("Why?", "Because.", ("2.1",)),), "only this unit's knowledge criteria"),
    ):
        with pytest.raises(ValidationError, match=words):
            question(world, pairs=pairs)
    assert not Evidence.objects.exists()


def test_a_discussion_keeps_its_topics_and_duration(world):
    record = discuss(world, duration_minutes=40)
    assert Discussion.objects.get(evidence=record).duration_minutes == 40
    for overrides, field in (({"topics": ""}, "topics"), ({"duration_minutes": 0}, "duration_minutes")):
        with pytest.raises(ValidationError) as refused:
            discuss(world, **overrides)
        assert field in errors_of(refused)


# The record a signature covers, and its PDF


def _part(world, record):
    (entry,) = [e for e in build_record(world.portfolio)["evidence"] if e["ref"] == record.reference]
    return entry["assessor_record"]


def test_the_signed_record_carries_the_observations_times_notes_and_acknowledgement(world):
    record = observe(world, range_items=("a",))
    part = _part(world, record)["observation"]
    assert (part["start"], part["end"], part["place"]) == ("09:30", "10:15", "Service desk, Northgate store")
    assert set(part["notes"]) == {"2.1", "range a"}
    assert part["acknowledgement"] == {"how": "pending", "at": None, "by": None}
    before = current_digest(world.portfolio)
    services.observation_acknowledge(actor=world.learner, evidence=record)
    part = _part(world, record)["observation"]
    assert part["acknowledgement"]["how"] == "own_account" and part["acknowledgement"]["by"] == world.learner.pk
    assert current_digest(world.portfolio) != before
    changed = current_digest(world.portfolio)
    ObservationNote.objects.filter(observation__evidence=record).update(note="Altered")
    assert current_digest(world.portfolio) != changed


def test_the_record_carries_pairs_and_discussion_and_an_older_version_reads_as_it_was(world):
    asked = question(world)
    talked = discuss(world)
    assert _part(world, asked)["pairs"][0]["criteria"] == ["3.1"]
    assert _part(world, talked)["discussion"]["minutes"] == 25
    # A signature made over version 2 of the record is compared with version 2, which has none of this.
    older = build_record(world.portfolio, version=2)
    assert all("assessor_record" not in e for e in older["evidence"])
    # The learner's declaration covers only the learner's own items.
    assert build_record(world.portfolio, judgements=False)["evidence"] == []


def test_the_record_and_its_pdf_read_assessor_records_in_the_same_queries_whatever_their_number(world):
    observe(world)
    question(world)
    discuss(world)

    def count():
        with CaptureQueriesContext(connection) as queries:
            build_record(world.portfolio)
            record_content(world.portfolio)
        return len(queries)

    count()  # warms what is read once per process
    one = count()
    observe(world, criteria=("2.2",), range_items=("b",))
    question(world, pairs=(("First?", "One.", ("3.1",)), ("Second?", "Two.", ("3.2", "3.3"))))
    discuss(world)
    assert count() == one


def test_the_pdf_shows_the_observations_times_notes_feedback_and_acknowledgement(world):
    record = observe(world, range_items=("a",), learner_password=PASSWORD)
    question(world)
    discuss(world)
    content = record_content(world.portfolio)
    (shown, asked, talked) = content.assessor_records
    assert shown.ref == record.reference and (shown.start, shown.end) == (datetime.time(9, 30), datetime.time(10, 15))
    # Numbered as the learner's awarding body numbers them (City & Guilds' "220.2.1" here).
    assert [label for label, _ in shown.notes] == [crit("2.1").label(world.portfolio.unit_code), "Range a"]
    assert "with their password on the assessor's device" in shown.acknowledgement
    html = record_html(content)
    assert html.count("The assessor&#x27;s records") + html.count("The assessor's records") == 1
    assert "09:30 to 10:15" in html and "Being kept waiting." in html and "25 minutes" in html
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(content))).pages).split())
    assert "09:30 to 10:15" in text and "Lena Learner" in text and "Well handled" in text


def test_the_policy_lets_only_the_learner_acknowledge_and_only_the_assessors_record(world):
    from assessments.evidence.policy import ACKNOWLEDGERS, evidence_who
    from assessments.tests.test_evidence_policy import OK, answers, links, only
    from assessments.tests.test_evidence_views import add

    record = observe(world)
    assert answers(world, "acknowledge", record) == only({"learner": OK}, ACKNOWLEDGERS)
    refused = evidence_who(links(world, "learner"), "acknowledge", add(world, criteria=["1.1"]))
    assert (refused.allowed, refused.status) == (False, 404)


def test_an_observation_recorded_before_times_were_kept_still_reads(world):
    record = observe(world)
    Observation.objects.filter(evidence=record).delete()
    assert _part(world, record) == {}
    html = record_html(record_content(world.portfolio))
    assert "recorded before times were kept" in html and " to <" not in html
