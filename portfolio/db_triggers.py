"""Triggers that migrations create, each in the database's own dialect, for any app: the guards on signed records
(assessments) and the tallies kept as rows change (people, assessments). Here, in the project package, because every
app may import it and no app may import another above it. SQLite adds a column by rebuilding the table, which drops
the triggers naming it: triggers_set_aside puts them back exactly as they were. Applied migrations are built from
these functions: change what they produce only by adding a new function, never by editing one a migration calls."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import migrations


def triggers_set_aside(table: str) -> tuple[migrations.RunPython, migrations.RunPython]:
    """Two operations to put around the table's rebuild: before, the triggers naming `table` are saved and
    dropped; after, they are created again from what was saved. Both do nothing on other databases."""
    saved: list[str] = []

    def set_aside(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s", [f"%{table}%"])
            rows = cursor.fetchall()
        saved[:] = [sql for _, sql in rows]
        for name, _ in rows:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')

    def put_back(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in saved:
            schema_editor.execute(sql)
        saved.clear()

    # Unapplying runs the operations in reverse order with their reverse functions: the second one sets the
    # triggers aside before the column goes, the first puts them back after.
    return migrations.RunPython(set_aside, put_back), migrations.RunPython(put_back, set_aside)


def triggers_create(
    *,
    postgresql: str = "",
    postgresql_reverse: str = "",
    sqlite: Sequence[str] = (),
    sqlite_reverse: Sequence[str] = (),
) -> migrations.RunPython:
    """One operation that creates the triggers in the database's dialect and drops them when unapplied. The
    PostgreSQL text runs without parameters: function bodies use % placeholders of their own (RAISE's)."""

    def run(schema_editor, pg_text: str, sqlite_statements: Sequence[str]) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql" and pg_text:
            schema_editor.execute(pg_text, params=None)
        elif vendor == "sqlite":
            for statement in sqlite_statements:
                schema_editor.execute(statement)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, postgresql, sqlite),
        lambda apps, schema_editor: run(schema_editor, postgresql_reverse, sqlite_reverse),
    )


@dataclass(frozen=True)
class TallyTriggers:
    """What tally_triggers makes: the text for triggers_create, and `fill`, one statement (the same on both
    databases) that writes the tallies of the rows already there into the empty tally table."""

    postgresql: str
    postgresql_reverse: str
    sqlite: list[str]
    sqlite_reverse: list[str]
    fill: str

    def operations(self) -> list:
        """A migration's operations: the triggers, then the tallies of the rows already there."""
        from django.db import migrations

        triggers = triggers_create(
            postgresql=self.postgresql,
            postgresql_reverse=self.postgresql_reverse,
            sqlite=self.sqlite,
            sqlite_reverse=self.sqlite_reverse,
        )
        return [triggers, migrations.RunSQL(self.fill, migrations.RunSQL.noop)]


def tally_triggers(*, table: str, tally: str, keys: Sequence[str], counts: Mapping[str, str]) -> TallyTriggers:
    """Triggers that keep `tally` (a row for each value of `keys`, unique together, and an integer column for each
    of `counts`) equal to counting `table`'s rows, whatever writes them. Each count is an SQL expression of the row,
    written with `{row}` for it, that is 1 when the row counts towards that column and 0 when it does not.

    An inserted row adds what it counts to its key's tally (a tally row is made on first need), a deleted row takes
    it away, and an updated row does both, so a change of key (a centre) or of what it counts is two moves. Both
    databases do the same sums; how they run them differs:
    - PostgreSQL once a statement, from its transition tables: a statement changing a centre's rows in bulk adds
      their net change to the tally in one write, where a trigger for each row would write the same tally row a
      row at a time (in one transaction each write reads past every earlier version: 40,000 rows took 10 s, and
      it grows as the square), and the tally row is locked last, after the rows, as it is by a single-row change.
      A statement that changes nothing counted writes nothing (HAVING).
    - SQLite once a row (it has no statement triggers). Taking away is a plain UPDATE, which does nothing without a
      tally row, so Django's test flush, which deletes every table in no fixed order, leaves no tally behind."""
    cols = list(counts)
    key_list, col_list = ", ".join(keys), ", ".join(cols)

    def count(col: str, row: str) -> str:
        return "(" + counts[col].format(row=row) + ")"

    # PostgreSQL: a function and a statement trigger for each event; INSERT has no old rows, DELETE no new ones.
    events = {"insert": ["new"], "update": ["new", "old"], "delete": ["old"]}
    sums = ", ".join(f"sum({col})" for col in cols)
    nonzero = " OR ".join(f"sum({col}) <> 0" for col in cols)
    added = ", ".join(f"{col} = t.{col} + EXCLUDED.{col}" for col in cols)
    postgresql = ""
    for event, sides in events.items():
        changes = "\n        UNION ALL\n        ".join(
            f"SELECT {key_list}, "
            + ", ".join(f"{'' if side == 'new' else '-'}{count(col, 'r')} AS {col}" for col in cols)
            + f" FROM {side}_rows AS r"
            for side in sides
        )
        referencing = " ".join(f"{side.upper()} TABLE AS {side}_rows" for side in sides)
        postgresql += f"""
CREATE FUNCTION {table}_tally_{event}() RETURNS trigger AS $$
BEGIN
    INSERT INTO {tally} AS t ({key_list}, {col_list})
    SELECT {key_list}, {sums} FROM (
        {changes}
    ) AS change
    GROUP BY {key_list}
    HAVING {nonzero}
    ON CONFLICT ({key_list}) DO UPDATE SET {added};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_tally_{event} AFTER {event.upper()} ON {table}
    REFERENCING {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_tally_{event}();
"""
    postgresql_reverse = "".join(
        f"DROP TRIGGER IF EXISTS {table}_tally_{event} ON {table}; DROP FUNCTION IF EXISTS {table}_tally_{event}();"
        for event in events
    )

    # SQLite: a trigger for each event, run for each row.
    def add(row: str) -> str:
        values = ", ".join([*(f"{row}.{key}" for key in keys), *(count(col, row) for col in cols)])
        return (
            f"INSERT INTO {tally} ({key_list}, {col_list}) VALUES ({values}) ON CONFLICT ({key_list}) DO UPDATE SET "
            + ", ".join(f"{col} = {col} + excluded.{col}" for col in cols)
            + ";"
        )

    def take(row: str) -> str:
        return (
            f"UPDATE {tally} SET "
            + ", ".join(f"{col} = {col} - {count(col, row)}" for col in cols)
            + " WHERE "
            + " AND ".join(f"{key} = {row}.{key}" for key in keys)
            + ";"
        )

    changed = " OR ".join(
        [*(f"OLD.{key} <> NEW.{key}" for key in keys), *(f"{count(col, 'OLD')} <> {count(col, 'NEW')}" for col in cols)]
    )
    sqlite = [
        f"CREATE TRIGGER {table}_tally_insert AFTER INSERT ON {table} BEGIN {add('NEW')} END;",
        f"CREATE TRIGGER {table}_tally_delete AFTER DELETE ON {table} BEGIN {take('OLD')} END;",
        f"CREATE TRIGGER {table}_tally_update AFTER UPDATE ON {table} WHEN {changed} "
        f"BEGIN {take('OLD')} {add('NEW')} END;",
    ]
    sqlite_reverse = [f"DROP TRIGGER IF EXISTS {table}_tally_{event};" for event in events]

    fill = (
        f"INSERT INTO {tally} ({key_list}, {col_list}) SELECT {key_list}, "
        + ", ".join(f"sum({count(col, 'r')})" for col in cols)
        + f" FROM {table} AS r GROUP BY {key_list}"
    )
    return TallyTriggers(postgresql, postgresql_reverse, sqlite, sqlite_reverse, fill)


@dataclass(frozen=True)
class StampTriggers:
    """What stamp_triggers makes: the text for triggers_create."""

    postgresql: str
    postgresql_reverse: str
    sqlite: list[str]
    sqlite_reverse: list[str]

    def operation(self) -> migrations.RunPython:
        return triggers_create(
            postgresql=self.postgresql,
            postgresql_reverse=self.postgresql_reverse,
            sqlite=self.sqlite,
            sqlite_reverse=self.sqlite_reverse,
        )


def stamp_triggers(
    *,
    table: str,
    stamp: str,
    key: str,
    keys: str,
    columns: Sequence[str],
    events: Sequence[str] = ("insert", "update", "delete"),
    watched: Sequence[str] = (),
) -> StampTriggers:
    """Triggers that move a stamp (table `stamp`: a unique `key` column and a `version` bigint) for every key a write
    to `table` touches, whatever makes the write: a service, a bulk update, the Django admin, raw SQL. `keys` is a
    SELECT of one column, never null, written with `{rows}` for the rows written (old and new alike), of which it
    may read `columns`. A key without a stamp row gets one at version 1; an existing one goes up by one. With
    `watched`, an update moves the stamps only when one of those columns changed (the table's other columns are
    written often and show nowhere the stamp stands for); the table must then have an `id`.

    - PostgreSQL once a statement, from its transition tables, so a bulk update of a thousand rows of one key moves
      its stamp once rather than a thousand times in one transaction, and the stamps are written in key order, so
      two statements moving the same stamps cannot deadlock on them.
    - SQLite once a row (it has no statement triggers): the row's columns stand in for `{rows}`."""
    sides = {"insert": ["new"], "update": ["new", "old"], "delete": ["old"]}

    def pg_rows(event: str, side: str) -> str:
        if event == "update" and watched:
            this, other = ("n", "o") if side == "new" else ("o", "n")
            same = " OR ".join(f"n.{col} IS DISTINCT FROM o.{col}" for col in watched)
            return f"(SELECT {this}.* FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id WHERE {same})"
        return f"{side}_rows"

    def sqlite_rows(side: str) -> str:
        return "(SELECT " + ", ".join(f"{side.upper()}.{col} AS {col}" for col in columns) + ")"

    def move(changed: str, alias: str, ordered: str) -> str:
        # DISTINCT: a statement writing several rows of one key (a bulk insert) must move its stamp once, as
        # PostgreSQL refuses an upsert that touches one row twice. WHERE true: SQLite would otherwise read ON
        # CONFLICT as a join's ON.
        return (
            f"INSERT INTO {stamp}{alias} ({key}, version) SELECT DISTINCT c.*, 1 FROM ({changed}) AS c WHERE true"
            f"{ordered} "
            f"ON CONFLICT ({key}) DO UPDATE SET version = {stamp if not alias else 's'}.version + 1;"
        )

    postgresql, postgresql_reverse, sqlite, sqlite_reverse = "", "", [], []
    for event in events:
        name = f"{table}_record_stamp_{event}"
        changed = " UNION ".join(keys.format(rows=pg_rows(event, side)) for side in sides[event])
        referencing = " ".join(f"{side.upper()} TABLE AS {side}_rows" for side in sides[event])
        postgresql += f"""
CREATE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    {move(changed, " AS s", " ORDER BY 1")}
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
    REFERENCING {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""
        postgresql_reverse += f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
        when = ""
        if event == "update" and watched:
            when = " WHEN " + " OR ".join(f"OLD.{col} IS NOT NEW.{col}" for col in watched)
        changed = " UNION ".join(keys.format(rows=sqlite_rows(side)) for side in sides[event])
        sqlite.append(
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table}{when} BEGIN {move(changed, '', '')} END;"
        )
        sqlite_reverse.append(f"DROP TRIGGER IF EXISTS {name};")
    return StampTriggers(postgresql, postgresql_reverse, sqlite, sqlite_reverse)
