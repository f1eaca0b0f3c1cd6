"""Contains-searches (`icontains`) that SQLite answers from a full-text index instead of comparing the text with
every row: the searches by name, email and learner number at a centre of 100,000 learners.

SQLite has no index for `LIKE '%text%'`. FTS5's trigram tokenizer (SQLite 3.34 and later) indexes every three
characters of a column, and a phrase of the text's own trigrams finds the rows holding it, folded for case. Each
search table is an external-content FTS5 table over its model's table (the text is not stored twice), kept in step
by triggers (`search_table_create`, for migrations). PostgreSQL answers the same `icontains` from its trigram GIN
indexes (people 0003, assessments 0018), so there the search is `icontains` alone.

The index is read first, in its own query, and only narrows: the rows it finds (up to INDEX_FOUND) are then matched
with `icontains` itself, so the answer is exactly Django's. (The tokenizer folds every letter's case where SQLite's
LIKE folds ASCII only, so "É" finds "é" in the index, and LIKE then leaves it out as `icontains` does.) Texts under
three characters have no trigram: they are matched row by row, as before. A text holding a NUL matches nothing.

Here, in the project package, as every app may import it. SQLite drops a table's triggers when a migration rebuilds
the table: wrap such a rebuild in `portfolio.db_triggers.triggers_set_aside`. `search_tables_rebuild` (the daily
maintenance) rebuilds each index from its table, which puts right rows written past the triggers. Applied migrations
are built from `search_table_create`: change what it produces only by adding a new function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection, migrations
from django.db.models import Q

TRIGRAM = 3  # characters in a trigram: shorter texts have none to look up
# Beyond this many rows found in the index a text is broad, and matched row by row instead: reading every row the
# index holds for it costs more (45 ms for 100,000 people) than a scan that meets the rows it wants early.
INDEX_FOUND = 500


@dataclass(frozen=True)
class TextSearch:
    """A contains-search over `fields` of a model whose SQLite search table is `table` (made by
    search_table_create with exactly these columns)."""

    table: str
    fields: tuple[str, ...]

    def matches(self, text: str) -> Q:
        """Rows where any of the fields contains `text`, whatever the case: the same rows as `icontains`. On SQLite
        a text of three characters or more is first looked up in the index, in a query of its own."""
        if "\0" in text:
            # No stored text holds a NUL (Django's form fields refuse them, PostgreSQL cannot store one, and its
            # LIKE would fail on the text), so nothing matches.
            return Q(pk__in=[])
        contains = self.row_by_row(text)
        if connection.vendor != "sqlite" or len(text) < TRIGRAM:
            return contains
        # The text as one FTS5 phrase (a quote doubled inside), so quotes, `*`, `-`, AND or NEAR are characters
        # to find, never query syntax.
        phrase = '"' + text.replace('"', '""') + '"'
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT rowid FROM "{self.table}" WHERE "{self.table}" MATCH %s LIMIT %s', (phrase, INDEX_FOUND + 1)
            )
            found = [row[0] for row in cursor.fetchall()]
        if len(found) > INDEX_FOUND:
            return contains
        return Q(pk__in=found) & contains

    def row_by_row(self, text: str, *, through: str = "") -> Q:
        """The same rows by `icontains` alone, compared row by row on SQLite; `through` names the relation to the
        model from the one filtered (a registration's "learner"). For a text so broad that a page of its rows
        comes early in a scan."""
        prefix = f"{through}__" if through else ""
        return reduce(or_, (Q(**{f"{prefix}{field}__icontains": text}) for field in self.fields))


def search_table_create(*, table: str, search: str, columns: Sequence[str]) -> migrations.RunPython:
    """A migration operation that, on SQLite, makes `search`: an FTS5 trigram index of `table`'s `columns` (rows by
    its `id`), filled from the rows already there and kept in step by triggers; unapplied, it drops them. Nothing
    on other databases."""
    cols = ", ".join(columns)
    old = ", ".join(f"old.{col}" for col in columns)
    new = ", ".join(f"new.{col}" for col in columns)
    changed = " OR ".join(f"old.{col} IS NOT new.{col}" for col in columns)
    remove = f"INSERT INTO {search} ({search}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {search} (rowid, {cols}) VALUES (new.id, {new});"
    create = [
        f"CREATE VIRTUAL TABLE {search} USING fts5({cols}, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {search}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {search}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        # Only when a searched column changes: saving a person's last sign-in rewrites nothing here.
        f"CREATE TRIGGER {search}_update AFTER UPDATE OF {cols} ON {table} WHEN {changed} BEGIN {remove} {add} END",
        f"INSERT INTO {search} ({search}) VALUES ('rebuild')",
    ]
    drop = [f"DROP TRIGGER IF EXISTS {search}_{event}" for event in ("insert", "delete", "update")]
    drop.append(f"DROP TABLE IF EXISTS {search}")

    def run(schema_editor, statements: list[str]) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, create), lambda apps, schema_editor: run(schema_editor, drop)
    )


def search_tables() -> list[str]:
    """The SQLite search tables in the database (none elsewhere)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%' "
            "ORDER BY name"
        )
        return [name for (name,) in cursor.fetchall()]


def search_tables_rebuild() -> list[str]:
    """Each search table rebuilt from its table's rows (FTS5's 'rebuild'): rows written past the triggers (a copy
    of the file from another build, a bulk load with triggers off) are found again, and rows gone are forgotten.
    Returns the tables rebuilt."""
    tables = search_tables()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'INSERT INTO "{table}" ("{table}") VALUES (\'rebuild\')')
    return tables
