"""Name, email and learner-number searches (portfolio/text_search.py): on SQLite read off FTS5 trigram indexes kept
by triggers, and on both databases exactly the rows `icontains` finds, whatever the text holds."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from assessments.centre.views import LEARNER_NUMBERS
from assessments.models import Portfolio
from people.models import User
from people.search import PEOPLE, name_or_email
from portfolio import text_search
from portfolio.management.commands.maintenance import steps
from portfolio.text_search import search_tables
from tests.factories import PortfolioFactory, UserFactory

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search tables")

PEOPLE_NAMED = [
    ("Zoë O'Brien", "zoe.obrien@example.org"),
    ("ZOË MCKAY", "zmckay@example.org"),
    ("Élodie Durand", "elodie@example.org"),
    ("élodie martin", "e.martin@example.org"),
    ("Ann-Marie Smith", "ann-marie@example.org"),
    ("Ann Marie Jones", "annmarie@example.org"),
    ("100% Effort", "percent@example.org"),
    ("Under_Score", "under_score@example.org"),
    ("UnderXScore", "underxscore@example.org"),
    ('Said "Hi" Twice', "quotes@example.org"),
    ("Back\\Slash", "back.slash@example.org"),
    ("Star*Man", "starman@example.org"),
    ("Andy AND Andrews", "and@example.org"),
    ("Nea Near", "near@example.org"),
    ("Straße Weiß", "strasse@example.org"),
    ("İpek Işık", "ipek@example.org"),
    ("Omar Okafor", "o.okafor@example.org"),
    ("Ömer Okafor", "omer@example.org"),
    ("Björk (Guðmundsdóttir)", "bjork@example.org"),
    ("Caret^Colon:Plus+", "caret@example.org"),
]

NUMBERS = ["OK-0042", "ok-0043", "50%-OFF", "A_B-1", "AxB-2", '"Q"-7', "NEAR-1", "é-01", "É-02", "*-*-*", "AND-OR"]

TEXTS = [
    # One and two characters: no trigram, matched row by row.
    "o",
    "Ö",
    "ok",
    "%",
    "_",
    '"',
    "é",
    # Three and more: through the index.
    "oka",
    "OKAFOR",
    "okaF",
    "zoë",
    "ZOË",
    "zoe",
    "élo",
    "ÉLO",
    "Elo",
    "o'b",
    "O'Brien",
    "ann-marie",
    "ann marie",
    "-ma",
    "100%",
    "0% e",
    "%%%",
    "r_s",
    "der_",
    "er_sc",
    'd "hi',
    '"hi"',
    '"',
    '""',
    '"""',
    '" OR "',
    "k\\s",
    "\\\\\\",
    "r*m",
    "star*",
    "***",
    "AND",
    "and",
    " AND ",
    "y AND A",
    "NEAR",
    "NEAR(",
    "near/2",
    "-00",
    "0042",
    "OK-00",
    "- ok",
    "NOT",
    "OR",
    "ße",
    "SSE",
    "straße",
    "STRASSE",
    "weiß",
    "İpe",
    "ipek",
    "ışık",
    "IŞIK",
    "(gu",
    "ttir)",
    "^co",
    "colon:",
    "us+",
    "{a b}",
    "@example.org",
    "EXAMPLE.ORG",
    "xyz",
    "  ",
    "   ",
    # A NUL matches nothing on either database (PostgreSQL's LIKE would refuse it).
    "a\0b",
    "abc\0",
    "é-0",
    "É-0",
    "50%-",
    "a_b",
    '"q"-',
    "*-*",
]


@pytest.fixture
def awkward(db):
    for full_name, email in PEOPLE_NAMED:
        UserFactory(full_name=full_name, email=email)
    for number in NUMBERS:
        PortfolioFactory(learner_number=number)


@pytest.fixture(params=["narrow", "broad"])
def index_found(request, monkeypatch):
    # As found: a text that the index finds few rows for is read off it, one it finds many for is matched row by
    # row. A limit of one sends every text that two rows hold down the second path, so both are compared.
    if request.param == "broad":
        monkeypatch.setattr(text_search, "INDEX_FOUND", 1)


@pytest.mark.parametrize("text", TEXTS)
def test_each_search_finds_exactly_what_icontains_finds(awkward, index_found, text):
    people = set(User.objects.filter(name_or_email(text)).values_list("pk", flat=True))
    numbers = set(Portfolio.objects.filter(LEARNER_NUMBERS.matches(text)).values_list("pk", flat=True))

    if "\0" in text:
        # PostgreSQL's LIKE refuses a NUL, so there is no icontains to compare with: no stored text holds one.
        assert people == numbers == set()
        return
    assert people == set(
        User.objects.filter(Q(full_name__icontains=text) | Q(email__icontains=text)).values_list("pk", flat=True)
    )
    assert numbers == set(Portfolio.objects.filter(learner_number__icontains=text).values_list("pk", flat=True))


def test_the_awkward_texts_find_something_and_miss_something(awkward):
    # The comparison above means something only if the texts tell rows apart, not all or nothing.
    def names(text: str) -> set[str]:
        return set(User.objects.filter(name_or_email(text)).values_list("full_name", flat=True))

    assert names("okafor") == {"Omar Okafor", "Ömer Okafor"}
    # SQLite's LIKE folds ASCII only, so there "É" is not "é", as with icontains; PostgreSQL's UPPER folds both.
    assert names("élo") == ({"élodie martin"} if connection.vendor == "sqlite" else {"élodie martin", "Élodie Durand"})
    assert names("Elo") == {"Élodie Durand"}  # by the email, elodie@
    assert names('"hi"') == {'Said "Hi" Twice'}
    assert names("r_s") == {"Under_Score"}
    assert names("y AND A") == {"Andy AND Andrews"}
    assert names("star*") == {"Star*Man"}
    assert names("NEAR(") == set()
    numbers = set(Portfolio.objects.filter(LEARNER_NUMBERS.matches("ok-00")).values_list("learner_number", flat=True))
    assert numbers == {"OK-0042", "ok-0043"}


@sqlite_only
@pytest.mark.parametrize(("text", "indexed"), [("ok", False), ("oka", True), ("a\0b", False), ('" OR "', True)])
def test_on_sqlite_texts_of_three_characters_or_more_are_looked_up_in_the_index(awkward, text, indexed):
    with CaptureQueriesContext(connection) as ctx:
        list(User.objects.filter(name_or_email(text)))
        list(Portfolio.objects.filter(LEARNER_NUMBERS.matches(text)))

    looked_up = [query["sql"] for query in ctx.captured_queries if "MATCH" in query["sql"]]
    assert len(looked_up) == (2 if indexed else 0)


@sqlite_only
def test_on_sqlite_a_text_the_index_finds_too_many_rows_for_is_matched_row_by_row(awkward, monkeypatch):
    monkeypatch.setattr(text_search, "INDEX_FOUND", 3)
    with CaptureQueriesContext(connection) as ctx:
        narrow = set(User.objects.filter(name_or_email("okafor")).values_list("full_name", flat=True))
        broad = User.objects.filter(name_or_email("example.org")).count()

    narrow_sql, broad_sql = (query["sql"] for query in ctx.captured_queries if "MATCH" not in query["sql"])
    assert narrow == {"Omar Okafor", "Ömer Okafor"} and '"people_user"."id" IN (' in narrow_sql
    assert broad == User.objects.filter(email__icontains="example.org").count() > len(PEOPLE_NAMED)
    assert '"people_user"."id" IN (' not in broad_sql


def indexed(search, text: str) -> set[int]:
    """The rows the search table alone finds, without the `icontains` that follows it."""
    phrase = '"' + text.replace('"', '""') + '"'
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT rowid FROM "{search.table}" WHERE "{search.table}" MATCH %s', [phrase])
        return {row[0] for row in cursor.fetchall()}


@sqlite_only
def test_on_sqlite_the_triggers_keep_the_index_in_step_with_every_write(db):
    person = UserFactory(full_name="Priya Patel", email="priya@example.org")
    registration = PortfolioFactory(learner=person, learner_number="PP-0001")
    assert indexed(PEOPLE, "patel") == {person.pk}
    assert indexed(LEARNER_NUMBERS, "pp-0") == {registration.pk}

    User.objects.filter(pk=person.pk).update(full_name="Priya Shah")
    Portfolio.objects.filter(pk=registration.pk).update(learner_number="PS-0001")
    assert indexed(PEOPLE, "patel") == set() and indexed(PEOPLE, "shah") == {person.pk}
    assert indexed(LEARNER_NUMBERS, "pp-0") == set() and indexed(LEARNER_NUMBERS, "ps-0") == {registration.pk}

    User.objects.filter(pk=person.pk).update(last_login="2026-01-01T00:00:00Z")  # no searched column
    assert indexed(PEOPLE, "priya") == {person.pk}

    registration.delete()
    person.delete()
    assert indexed(PEOPLE, "priya") == set() and indexed(LEARNER_NUMBERS, "ps-0") == set()


@sqlite_only
def test_on_sqlite_every_search_table_has_its_triggers_after_the_migrations(db):
    # SQLite drops a table's triggers when a migration rebuilds it: one that did so without
    # portfolio.db_triggers.triggers_set_aside would leave new people unfound until the nightly rebuild.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%\\_search\\_%' ESCAPE '\\'"
        )
        triggers = {row[0] for row in cursor.fetchall()}

    assert search_tables() == ["assessments_portfolio_search", "people_user_search"]
    assert triggers == {f"{table}_{event}" for table in search_tables() for event in ("insert", "update", "delete")}


@sqlite_only
def test_on_sqlite_the_maintenance_rebuilds_the_index_from_rows_written_past_the_triggers(db):
    person = UserFactory(full_name="Kwame Mensah", email="kwame@example.org")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER people_user_search_update")
        cursor.execute("UPDATE people_user SET full_name = 'Kwame Boateng' WHERE id = %s", [person.pk])
    assert indexed(PEOPLE, "boateng") == set()
    assert not User.objects.filter(name_or_email("boateng")).exists()

    dict(steps())["search_rebuild"]()

    assert indexed(PEOPLE, "boateng") == {person.pk} and indexed(PEOPLE, "mensah") == set()
    assert list(User.objects.filter(name_or_email("boateng"))) == [person]


def test_the_maintenance_runs_with_the_search_tables_in_place(db):
    UserFactory(full_name="Grace Hopper", email="grace@example.org")
    call_command("maintenance")
    assert list(User.objects.filter(name_or_email("hopper")).values_list("full_name", flat=True)) == ["Grace Hopper"]
