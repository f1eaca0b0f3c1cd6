"""The audit chain: each row carries the hash of its centre's row before it; a row deleted or rewritten behind
the model's back breaks the chain there; and rows written at the same moment by different transactions are put
in order, never forking the chain."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from audit.chain import GENESIS, chain_breaks, chain_heads, link_hash
from audit.models import AuditEvent
from audit.services import audit_log
from tests.tamper import raw_sql


def log(world, n: int, centre=None) -> list[AuditEvent]:
    return [
        audit_log(actor=world.admin, centre=centre or world.centre, action="test.event", summary=f"event {i}")
        for i in range(n)
    ]


def test_each_centre_has_its_own_chain_starting_from_nothing(world):
    ours = log(world, 3)
    theirs = log(world, 2, centre=world.other_centre)
    assert ours[0].chain_prev == theirs[0].chain_prev == GENESIS
    assert [e.chain_prev for e in ours[1:]] == [e.chain_hash for e in ours[:-1]]
    assert ours[2].chain_hash == link_hash(ours[1].chain_hash, ours[2].chain_fields())
    assert chain_breaks(AuditEvent) == []
    heads = {(h.key, h.row_id) for h in chain_heads(AuditEvent)}
    assert {(world.centre.pk, ours[-1].pk), (world.other_centre.pk, theirs[-1].pk)} <= heads


def test_a_row_rewritten_behind_the_models_back_is_found(world):
    events = log(world, 3)
    sql = "UPDATE audit_auditevent SET summary = 'nothing happened' WHERE id = %s"
    raw_sql(sql, [events[1].pk], "audit_auditevent")
    [brk] = chain_breaks(AuditEvent, key=world.centre.pk)
    assert (brk.row_id, brk.problem) == (events[1].pk, "has been changed since it was written")


def test_a_deleted_row_breaks_the_chain_at_the_next(world):
    events = log(world, 3)
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk], "audit_auditevent")
    [brk] = chain_breaks(AuditEvent, key=world.centre.pk)
    assert brk.row_id == events[2].pk and "does not follow the row before it" in brk.problem


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL transactions")
@pytest.mark.django_db(transaction=True)
def test_two_transactions_writing_at_once_never_fork_the_chain(world):
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def write(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                audit_log(actor=world.admin, centre=world.centre, action="test.race", summary=f"writer {i}")
                time.sleep(0.2)  # hold the transaction open: a second writer must wait, not read a stale head
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = list(AuditEvent.objects.filter(action="test.race").order_by("pk"))
    assert len(rows) == 4
    assert len({r.chain_prev for r in rows}) == 4  # no two rows follow the same one
    assert chain_breaks(AuditEvent, key=world.centre.pk) == []
