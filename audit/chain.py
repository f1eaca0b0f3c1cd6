"""Hash chains: each row carries the hash of the row before it in its chain, so deleting or rewriting any row
breaks every link after it, whoever did it and however (the ORM, raw SQL, triggers switched off).

A model joins by subclassing `Chained` and saying which chain a row belongs to (`chain_key`, e.g. its centre)
and which of its fields the hash covers (`chain_fields`). Rows are chained as they are inserted, under a lock per
chain held to the end of the transaction (a PostgreSQL transaction-level advisory lock), so two inserts at once
are put in order and never fork the chain; different chains do not wait for each other. SQLite lets one writer
at a time in anyway.

This module depends on no other app: it knows rows only through the small interface above.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> bytes:
    """The fields as bytes that do not depend on the database: keys sorted, dates as UTC ISO 8601."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value.astimezone(datetime.UTC).isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    normal = {key: plain(value) for key, value in fields.items()}
    # A JSON round trip first, so what the database hands back (lists for tuples, text keys) hashes the same.
    normal = json.loads(json.dumps(normal, default=str))
    return json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + canonical(fields)).hexdigest()


def _lock_class(name: str) -> int:
    # A stable 31-bit number per chain name: the first of the advisory lock's two keys.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


def chain_lock(name: str, key: int) -> None:
    """Hold the chain's lock until the current transaction ends. Call inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_lock_class(name), int(key)])


class Chained(models.Model):
    """A row in a hash chain. Subclasses define CHAIN_NAME, `chain_key()` and `chain_fields()`, and
    `chain_key_filter(key)`: the lookup that selects the rows of one chain."""

    CHAIN_NAME = ""

    chain_prev = models.CharField("previous chain hash", max_length=64, blank=True, editable=False)
    chain_hash = models.CharField("chain hash", max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def chain_key(self) -> int:
        raise NotImplementedError

    def chain_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def chain_key_filter(cls, key: int) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def chain_key_expression(cls) -> Any:
        """The chain key as a query expression, to walk every chain in one ordered read."""
        raise NotImplementedError

    def _chain_insert(self, save) -> None:
        with transaction.atomic():
            key = self.chain_key()
            chain_lock(self.CHAIN_NAME, key)
            last = (
                type(self)
                ._base_manager.filter(**self.chain_key_filter(key))
                .order_by("-pk")
                .values_list("chain_hash", flat=True)
                .first()
            )
            self.chain_prev = last or GENESIS
            self.chain_hash = link_hash(self.chain_prev, self.chain_fields())
            save()


@dataclass
class ChainBreak:
    chain: str
    key: int
    row_id: int
    problem: str


def chain_walk(name: str, key: int, rows: Iterable[tuple[int, str, str, dict[str, Any]]]) -> list[ChainBreak]:
    """Check one chain: rows as (id, chain_prev, chain_hash, fields) in id order. A break is reported where it
    starts; the rows after it are checked against what they claim to follow, so one deletion is one break."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    for row_id, prev, stored, fields in rows:
        if prev != expected_prev:
            if not prev and not stored:
                breaks.append(ChainBreak(name, key, row_id, "was inserted without its chain hash"))
            else:
                breaks.append(
                    ChainBreak(name, key, row_id, "does not follow the row before it: a row before it was deleted, "
                               "inserted or rewritten")
                )
        if stored != link_hash(prev, fields):
            breaks.append(ChainBreak(name, key, row_id, "has been changed since it was written"))
        expected_prev = stored
    return breaks


@dataclass
class ChainHead:
    chain: str
    key: int
    row_id: int
    hash: str


def chain_breaks(model: type[Chained], *, key: int | None = None) -> list[ChainBreak]:
    """Every break in the model's chains (or in the one chain `key`), walked in one ordered read."""
    rows = model._base_manager.annotate(chain_key_value=model.chain_key_expression())
    if key is not None:
        rows = rows.filter(**model.chain_key_filter(key))
    breaks: list[ChainBreak] = []
    current: int | None = None
    batch: list[tuple[int, str, str, dict[str, Any]]] = []
    for row in rows.order_by("chain_key_value", "pk").iterator(chunk_size=2000):
        if row.chain_key_value != current and batch:
            breaks += chain_walk(model.CHAIN_NAME, current or 0, batch)
            batch = []
        current = row.chain_key_value
        batch.append((row.pk, row.chain_prev, row.chain_hash, row.chain_fields()))
    if batch:
        breaks += chain_walk(model.CHAIN_NAME, current or 0, batch)
    return breaks


def chain_heads(model: type[Chained]) -> list[ChainHead]:
    """The last row of each of the model's chains."""
    last_ids = (
        model._base_manager.annotate(chain_key_value=model.chain_key_expression())
        .values("chain_key_value")
        .annotate(last=models.Max("pk"))
        .values_list("chain_key_value", "last")
    )
    heads = []
    hashes = dict(model._base_manager.filter(pk__in=[pk for _, pk in last_ids]).values_list("pk", "chain_hash"))
    for key, pk in sorted(last_ids):
        heads.append(ChainHead(model.CHAIN_NAME, key or 0, pk, hashes.get(pk, "")))
    return heads


def chain_contains(model: type[Chained], head: ChainHead) -> str | None:
    """Whether the chain today still holds `head` (taken earlier, e.g. in a signed checkpoint): the row is there
    with the same hash. None if so, else what is wrong in words. Whether the chain is whole is `chain_breaks`'s."""
    row = model._base_manager.filter(pk=head.row_id).values_list("chain_hash", flat=True).first()
    if row is None:
        return f"row {head.row_id} of {head.chain} chain {head.key}, the head when the checkpoint was signed, is gone"
    if row != head.hash:
        return (
            f"row {head.row_id} of {head.chain} chain {head.key} no longer has the hash the checkpoint signed: "
            "the history up to it has been rewritten"
        )
    return None
