"""The assessor's records are locked in the database with the evidence they belong to (migration assessments 0017):
with the unit signed, raw SQL cannot change, add or delete an observation, its notes, a question and answer pair
or its criteria, or a discussion; with the unit open, the same statements and the services go through."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction

from assessments import services
from assessments.models import (
    LOCKED_STATUSES,
    Acknowledgement,
    Discussion,
    Observation,
    ObservationNote,
    Portfolio,
    PortfolioStatus,
    QuestionAnswer,
    SignatureKind,
)
from assessments.signoff.services import signature_withdraw, unit_sign
from assessments.tests.test_signoff import cover_everything, submit
from tests.assessor_records import crit, discuss, observe, question
from tests.factories import PASSWORD, PortfolioFactory

TABLES = [
    "assessments_observation",
    "assessments_observationnote",
    "assessments_questionanswer",
    "assessments_questionanswer_criteria",
    "assessments_discussion",
]
OPS = [
    "update",
    "insert",
    pytest.param(
        "delete",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="SQLite keeps DELETE open for the test flush, as for evidence (0006)",
        ),
    ),
]
CHILDREN = {
    "assessments_observation": "assessments_observationnote",
    "assessments_questionanswer": "assessments_questionanswer_criteria",
}
REFUSED = "assessor's record .*locked by a sign-off"


@pytest.fixture
def recorded(world):
    """One of each assessor's record on the unit, the observation acknowledged: every new table has a row."""
    world.observed = observe(world, criteria=("2.1",), range_items=("a",), learner_password=PASSWORD)
    world.asked = question(world)
    world.talked = discuss(world)
    return world


def statements(world) -> dict[tuple[str, str], tuple[str, list]]:
    """A raw UPDATE, INSERT and DELETE of each table, each touching only rows behind the unit's evidence."""
    observation = Observation.objects.get(evidence=world.observed)
    pair = QuestionAnswer.objects.get(evidence=world.asked)
    other = crit("3.2").pk
    return {
        ("assessments_observation", "update"): (
            "UPDATE assessments_observation SET feedback = 'Rewritten' WHERE id = %s",
            [observation.pk],
        ),
        ("assessments_observation", "insert"): (
            "INSERT INTO assessments_observation (evidence_id, start_time, end_time, feedback, acknowledgement)"
            " VALUES (%s, '08:00:00', '09:00:00', 'Added', 'pending')",
            [world.asked.pk],
        ),
        ("assessments_observation", "delete"): ("DELETE FROM assessments_observation WHERE id = %s", [observation.pk]),
        ("assessments_observationnote", "update"): (
            "UPDATE assessments_observationnote SET note = 'Rewritten' WHERE observation_id = %s",
            [observation.pk],
        ),
        ("assessments_observationnote", "insert"): (
            "INSERT INTO assessments_observationnote (observation_id, criterion_id, note) VALUES (%s, %s, 'Added')",
            [observation.pk, crit("2.2").pk],
        ),
        ("assessments_observationnote", "delete"): (
            "DELETE FROM assessments_observationnote WHERE observation_id = %s",
            [observation.pk],
        ),
        ("assessments_questionanswer", "update"): (
            "UPDATE assessments_questionanswer SET answer = 'Rewritten' WHERE id = %s",
            [pair.pk],
        ),
        ("assessments_questionanswer", "insert"): (
            'INSERT INTO assessments_questionanswer (evidence_id, "order", question, answer)'
            " VALUES (%s, 9, 'Added?', 'Added.')",
            [world.asked.pk],
        ),
        ("assessments_questionanswer", "delete"): ("DELETE FROM assessments_questionanswer WHERE id = %s", [pair.pk]),
        ("assessments_questionanswer_criteria", "update"): (
            "UPDATE assessments_questionanswer_criteria SET criterion_id = %s WHERE questionanswer_id = %s",
            [other, pair.pk],
        ),
        ("assessments_questionanswer_criteria", "insert"): (
            "INSERT INTO assessments_questionanswer_criteria (questionanswer_id, criterion_id) VALUES (%s, %s)",
            [pair.pk, other],
        ),
        ("assessments_questionanswer_criteria", "delete"): (
            "DELETE FROM assessments_questionanswer_criteria WHERE questionanswer_id = %s",
            [pair.pk],
        ),
        ("assessments_discussion", "update"): (
            "UPDATE assessments_discussion SET duration_minutes = 90 WHERE evidence_id = %s",
            [world.talked.pk],
        ),
        ("assessments_discussion", "insert"): (
            "INSERT INTO assessments_discussion (evidence_id, topics, duration_minutes) VALUES (%s, 'Added', 10)",
            [world.observed.pk],
        ),
        ("assessments_discussion", "delete"): (
            "DELETE FROM assessments_discussion WHERE evidence_id = %s",
            [world.talked.pk],
        ),
    }


def rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")
        return cursor.fetchall()


def run(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def lock(world, status=PortfolioStatus.ASSESSOR_SIGNED) -> None:
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=status)
    world.portfolio.refresh_from_db()


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("table", TABLES)
def test_with_the_unit_signed_the_database_refuses_the_change(recorded, table, op):
    lock(recorded)
    sql, params = statements(recorded)[table, op]
    before = rows(table)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run(sql, params)
    assert rows(table) == before


@pytest.mark.parametrize("status", sorted(LOCKED_STATUSES))
def test_every_locked_status_holds_not_only_the_assessors_signature(recorded, status):
    # The migration freezes the list of locked statuses: a status added to the model later fails here.
    lock(recorded, status)
    sql, params = statements(recorded)["assessments_observationnote", "update"]
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run(sql, params)


@pytest.mark.parametrize("op", ["update", "insert", "delete"])
@pytest.mark.parametrize("table", TABLES)
def test_with_the_unit_open_the_same_statements_go_through(recorded, table, op):
    # The triggers look at the unit's status and nothing else: an open unit's rows change freely.
    given = statements(recorded)
    if op == "delete" and table in CHILDREN:
        # The rows pointing at it go first, or the foreign key check at the end of the test would fail.
        run(*given[CHILDREN[table], "delete"])
    sql, params = given[table, op]
    assert run(sql, params) >= 1


def test_a_row_cannot_be_moved_under_a_signed_item_from_an_open_unit(recorded):
    open_unit = SimpleNamespace(
        assessor=recorded.assessor,
        portfolio=PortfolioFactory(centre=recorded.centre, assessor=recorded.assessor),
    )
    elsewhere = Discussion.objects.get(evidence=discuss(open_unit))
    lock(recorded)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run("UPDATE assessments_discussion SET evidence_id = %s WHERE id = %s", [recorded.observed.pk, elsewhere.pk])
    assert Discussion.objects.get(pk=elsewhere.pk).evidence.portfolio_id == open_unit.portfolio.pk


def test_signing_locks_the_records_and_withdrawing_the_signature_lets_the_services_change_them_again(world):
    # Through the real services: the records made, the unit signed (no trigger fires on the way), changes refused,
    # the signature withdrawn, and then the assessor's edit and the learner's acknowledgement go through.
    pending = observe(world)
    asked = question(world)
    talked = discuss(world)
    cover_everything(world)
    services.observation_acknowledge(actor=world.learner, evidence=pending)
    submit(world)
    signature = unit_sign(
        actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD
    )
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        ObservationNote.objects.filter(observation__evidence=pending).update(note="Rewritten")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        QuestionAnswer.objects.get(evidence=asked).criteria.add(crit("3.2"))
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        Discussion.objects.filter(evidence=talked).update(topics="Rewritten")

    signature_withdraw(actor=world.assessor, signature=signature, reason="Feedback to add")
    world.portfolio.refresh_from_db()
    assert world.portfolio.status not in LOCKED_STATUSES
    observe(world, evidence=pending, feedback="Also: summarise before you promise.")
    observation = Observation.objects.get(evidence=pending)
    assert observation.feedback.startswith("Also") and observation.acknowledgement == Acknowledgement.PENDING
    services.observation_acknowledge(actor=world.learner, evidence=pending)
    assert Observation.objects.get(evidence=pending).acknowledgement == Acknowledgement.OWN_ACCOUNT
