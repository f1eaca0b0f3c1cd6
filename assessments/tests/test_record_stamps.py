"""Record stamps (assessments/records/stamps.py): the database moves them on every write to what a draft record shows,
so the draft cache keys on them. Every table the draft reads must have its triggers, and every kind of write, made by
a service, a bulk update or raw SQL, must give the next download a new key and the new content."""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.evidence.uploads import inspect_upload
from assessments.models import ClaimJudgement, Evidence, EvidenceFile, Portfolio, RecordStamp, Verdict
from assessments.records.pdf.render import render_pdf
from assessments.records.services import drafts
from assessments.records.services.renders import stored_record
from assessments.records.stamps import record_stamps, record_stamps_move
from assessments.signoff.services import signature_withdraw, unit_sign
from assessments.tests.test_cross_references import crit as crit_in
from assessments.tests.test_cross_references import save
from assessments.tests.test_record_pdf import covered, pdf_text  # noqa: F401  (fixtures)
from assessments.tests.test_record_views import draft_renders  # noqa: F401  (a fixture)
from people.models import User
from tests import samples
from tests.assessor_records import discuss, observe, question
from tests.factories import PASSWORD
from units.models import AwardingBody, Criterion, Unit

C4 = "deliver-customer-service-to-difficult-customers"
SECOND = "test-communicate-with-customers"
ALL_EVENTS = {"INSERT", "UPDATE", "DELETE"}

# The tables the draft reads that are not moved on every kind of write, and why that is enough: the one place to
# say so. Any other table the draft reads must move the stamps on insert, update and delete.
COVERED_OTHERWISE = {
    "assessments_recordstamp": "the stamps themselves, read for the key",
    "assessments_recordrender": "the renders of signed states, read to learn there are none: a draft shows none",
    # A new portfolio has no draft to keep; a deleted one is asked for no more. Updates move its stamp.
    "assessments_portfolio": {"UPDATE"},
    # A new person shows on no record yet, and one who shows cannot be deleted (PROTECT). Updates of the name move
    # the shared stamp; the other columns (last login) are written all day and show nowhere.
    "people_user": {"UPDATE"},
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def stamp_triggers() -> dict[str, set[str]]:
    """The stamp triggers in the database as it stands, by table: what a rebuilt table or a forgotten migration
    would leave out, whatever the migrations say."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE '%%_record_stamp_%%'"
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%record_stamp%'"
            )
        rows = cursor.fetchall()
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name.rsplit("_", 1)[1].upper())
    return found


def tables_in(queries) -> set[str]:
    tables: set[str] = set()
    for query in queries:
        tables |= set(re.findall(r'(?:FROM|JOIN)\s+"?([a-z_]+)"?', query["sql"]))
    return tables


@pytest.fixture
def rich(request, world, covered):  # noqa: F811
    """A record with every part a draft prints: the learner's items with files and judgements, the assessor's
    records (observation with notes, questioning, discussion) and an item from another unit cross-referenced in."""
    observe(world, criteria=("2.1",), range_items=("a",), learner_password=PASSWORD)
    question(world)
    discuss(world)
    # The second unit only now: the assessor's records' helpers find criteria by code in the only unit there is.
    second_portfolio = request.getfixturevalue("second_portfolio")
    save(world.learner, second_portfolio, criteria=[crit_in(C4, "1.1")], title="Phone call logged for unit 998")
    return world


def test_every_table_the_draft_reads_moves_the_record_stamps_on_every_write(rich):
    portfolio = rich.portfolio
    with CaptureQueriesContext(connection) as ctx:
        fresh = Portfolio.objects.with_people().get(pk=portfolio.pk)
        found = stored_record(fresh)
        drafts.draft_key(fresh, (found.stamps, found.unit_number))
        render_pdf(drafts.record_content(fresh, []))
    read = tables_in(ctx.captured_queries)
    # The fixture reaches every part: were one left out, its tables would go unchecked.
    assert {"assessments_observationnote", "assessments_questionanswer_criteria", "assessments_discussion"} <= read
    assert {"assessments_evidence_cross_references", "assessments_evidencefile", "units_unitcode"} <= read
    triggers = stamp_triggers()
    missing = {}
    for table in read:
        otherwise = COVERED_OTHERWISE.get(table, ALL_EVENTS)
        if isinstance(otherwise, str):
            continue
        if not otherwise <= triggers.get(table, set()):
            missing[table] = sorted(otherwise - triggers.get(table, set()))
    assert not missing, f"tables the draft reads whose writes do not move the record stamps: {missing}"


# --- Each kind of write: a new key, a new render showing it; nothing written, the kept file -----------------------


@pytest.fixture
def download(client, rich, draft_renders):  # noqa: F811
    """Download the draft as the learner: (ETag, the PDF's text, whether it was rendered rather than kept)."""
    made = draft_renders
    client.force_login(rich.learner)

    def get(portfolio=None):
        before = len(made)
        response = client.get(reverse("record_pdf", args=[(portfolio or rich.portfolio).pk]))
        assert response.status_code == 200 and response["Content-Disposition"].endswith('-draft.pdf"')
        text = " ".join(" ".join(pdf_text(b"".join(response.streaming_content))).split())
        return response["ETag"], text, len(made) > before

    return get


def item(world, title: str) -> Evidence:
    return Evidence.objects.get(portfolio=world.portfolio, title=title)


def _rename_item(world):
    Evidence.objects.filter(pk=item(world, "Late parcel complaint").pk).update(title="Late parcel, renamed in bulk")
    return "Late parcel, renamed in bulk"


def _add_item(world):
    save(world.learner, world.portfolio, criteria=[crit_in(C4, "1.1")], title="A refund refused politely")
    return "A refund refused politely"


def _upload_photo(world):
    photo = inspect_upload(SimpleUploadedFile("notice-board.png", samples.png((300, 200))))
    save(world.learner, world.portfolio, criteria=[crit_in(C4, "1.2")], title="The notice board", files=[photo])
    return "notice-board.png"


def _rename_file(world):
    EvidenceFile.objects.filter(evidence=item(world, "Card machine went down")).update(original_name="till-2.png")
    return "till-2.png"


def _judge(world):
    # Judgements overturned: the confirmed references become claimed ones.
    ClaimJudgement.objects.filter(evidence__portfolio=world.portfolio, verdict=Verdict.CONFIRMED).update(
        verdict=Verdict.REJECTED
    )
    return None


def _cross_reference(world):
    second = Portfolio.objects.get(learner=world.learner, unit__slug=SECOND)
    save(world.learner, second, criteria=[crit_in(C4, "2.1")], title="Counter queue for unit 998")
    return None


def _sign_and_withdraw(world):
    signature = unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    signature_withdraw(actor=world.learner, signature=signature, reason="Added the wrong photo.")
    return None


def _learner_renamed(world):
    User.objects.filter(pk=world.learner.pk).update(full_name="Lena Renamed")
    return "Lena Renamed"


def _criterion_reworded(world):
    Criterion.objects.filter(outcome__unit=world.portfolio.unit, outcome__number=1, number=1).update(
        workbook_text="Greet the customer warmly and at once"
    )
    return "Greet the customer warmly and at once"


def _unit_retitled(world):
    Unit.objects.filter(pk=world.portfolio.unit_id).update(credit_value=9)
    return None


def _observation_note_raw(world):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE assessments_observationnote SET note = %s", ["Seen again: calm and clear"])
    return "Seen again: calm and clear"


def _claim_deleted_raw(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM assessments_evidence_range_items WHERE evidence_id = %s",
            [item(world, "Queue at the busy till").pk],
        )
    return None


WRITES = [
    _add_item,
    _rename_item,
    _upload_photo,
    _rename_file,
    _judge,
    _cross_reference,
    _sign_and_withdraw,
    _learner_renamed,
    _criterion_reworded,
    _unit_retitled,
    _observation_note_raw,
    _claim_deleted_raw,
]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_a_write_gives_the_draft_a_new_key_and_the_next_download_shows_it(rich, download, write):
    first, text, rendered = download()
    assert rendered
    again, same, rendered = download()
    assert (again, same, rendered) == (first, text, False), "nothing written: the kept draft"
    shown = write(rich)
    after, changed, rendered = download()
    assert after != first and rendered
    assert changed != text or shown is None
    if shown:
        assert shown in changed and shown not in text
    assert download()[1:] == (changed, False)


def test_the_other_units_draft_moves_when_its_cross_referenced_item_changes(rich, download):
    second = Portfolio.objects.get(learner=rich.learner, unit__slug=SECOND)
    first, text, _ = download(second)
    assert "Phone call logged for unit 998" in text and "Shared between units" not in text
    shared = save(rich.learner, rich.portfolio, criteria=[crit_in(SECOND, "1.1")], title="Shared between units")
    after, changed, rendered = download(second)
    assert after != first and rendered and "Shared between units" in changed
    Evidence.objects.filter(pk=shared.pk).update(title="Shared, renamed at home")
    renamed, shown, rendered = download(second)
    assert renamed != after and rendered and "Shared, renamed at home" in shown


def test_a_kept_draft_is_served_in_the_queries_of_a_stored_record_reading_nothing_of_the_record(
    client, rich, download, django_assert_max_num_queries
):
    download()
    # As a stored record: the session and the user, the portfolio and the viewer's roles, and one for the record,
    # whose stamps ride along with the signatures (none).
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(2 + 4):
        response = client.get(reverse("record_pdf", args=[rich.portfolio.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert len([q for q in sql if "ASSESSMENTS_" in q]) <= 2
    assert not tables_in(ctx.captured_queries) & {"assessments_evidence", "assessments_claimjudgement"}


def test_a_bulk_update_moves_each_stamp_once_and_leaves_other_portfolios_alone(rich, second_portfolio):
    (own, shared), _ = record_stamps(rich.portfolio)
    other = record_stamps(second_portfolio)[0][0]
    Evidence.objects.filter(portfolio=rich.portfolio).update(setting="simulation")
    moved, _ = record_stamps(rich.portfolio)
    # PostgreSQL moves it once for the statement; SQLite once for each row.
    assert moved[0] > own and moved[1] == shared
    if connection.vendor == "postgresql":
        assert moved[0] == own + 1
    assert record_stamps(second_portfolio)[0][0] == other, "its items are not cross-referenced there"
    User.objects.filter(pk=rich.assessor.pk).update(last_login="2026-01-01T00:00:00Z")
    assert record_stamps(rich.portfolio)[0][1] == shared, "a login shows on no record"


def test_a_bulk_insert_of_several_rows_of_one_stamp_moves_it_once_a_statement(rich):
    (own, shared), _ = record_stamps(rich.portfolio)
    # Two shared rows in one statement: PostgreSQL's upsert must not meet stamp 0 twice.
    AwardingBody.objects.bulk_create([AwardingBody(code="XA", name="Body A"), AwardingBody(code="XB", name="Body B")])
    moved, _ = record_stamps(rich.portfolio)
    assert moved[0] == own
    assert moved[1] == shared + (1 if connection.vendor == "postgresql" else 2)


def test_moving_the_stamps_by_hand_renders_every_draft_afresh(rich, download):
    first, _, _ = download()
    before = RecordStamp.objects.filter(portfolio_id=RecordStamp.SHARED).values_list("version", flat=True).first()
    said = io.StringIO()
    call_command("record_stamps_move", stdout=said)
    moved = RecordStamp.objects.get(portfolio_id=RecordStamp.SHARED).version
    assert moved > (before or 0) and str(moved) in said.getvalue()
    after, _, rendered = download()
    assert after != first and rendered
    # Past any value it has held, when a restore put back an older one: the microseconds since 1970 at least.
    assert record_stamps_move() > moved
    RecordStamp.objects.filter(portfolio_id=RecordStamp.SHARED).update(version=10**17)
    assert record_stamps_move() == 10**17 + 1
