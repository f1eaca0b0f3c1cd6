"""Importing learners from a CSV file through the import page."""

from __future__ import annotations

import contextlib
import datetime
import html
import re
import threading

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from assessments.models import Portfolio
from audit.models import AuditEvent
from people.models import Membership, Role, User
from tests.factories import PASSWORD, member, unit_next_version

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,learner_number,unit,start_date,planned_end_date,assessor_email,iv_email"
GOOD_ROWS = [
    "nia@example.org,Nia Newcomer,CG-1001,220,23/11/2026,23/05/2027,assessor@example.org,iv@example.org",
    "omar@example.org,Omar Onboard,OCR-2002,C4,2026-11-23,2027-06-30,assessor@example.org,",
]


def csv_bytes(*lines: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *lines]).encode() + newline.encode()


def error_beside(response, field: str) -> str:
    """The text of the error crispy renders under `field`, or "" when there is none."""
    page = response.content.decode()
    found = re.search(rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def upload(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)

    def send(data: bytes, name: str = "learners.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("centre_learner_import"),
                {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
            )

    return send


def rejected(response) -> dict[int, list[str]]:
    return {row.line: row.errors for row in response.context["report"].rejected}


# A good file -------------------------------------------------------------------------------------------------------


def test_good_file_imports_every_row(upload, world):
    response = upload(csv_bytes(*GOOD_ROWS))

    assert response.status_code == 200
    assert "2 imported, 0 rejected." in page_text(response)
    nia = User.objects.get(email="nia@example.org")
    omar = User.objects.get(email="omar@example.org")
    assert (nia.full_name, omar.full_name) == ("Nia Newcomer", "Omar Onboard")
    assert not nia.has_usable_password()
    for user in (nia, omar):
        membership = Membership.objects.get(user=user)
        assert (membership.centre, membership.role, membership.is_active) == (world.centre, Role.LEARNER, True)

    first = Portfolio.objects.get(learner=nia)
    assert first.centre == world.centre
    assert first.awarding_body.name == "City & Guilds"
    assert first.learner_number == "CG-1001"
    assert (first.start_date, first.planned_end_date) == (datetime.date(2026, 11, 23), datetime.date(2027, 5, 23))
    assert (first.assessor, first.iv) == (world.assessor, world.iv)

    second = Portfolio.objects.get(learner=omar)
    assert second.awarding_body.name == "OCR"
    assert (second.start_date, second.planned_end_date) == (datetime.date(2026, 11, 23), datetime.date(2027, 6, 30))
    assert (second.assessor, second.iv) == (world.assessor, None)


def test_a_unit_number_registers_on_the_newest_version_of_its_unit(upload, world):
    newer = unit_next_version(world.portfolio.unit)
    response = upload(csv_bytes(*GOOD_ROWS))

    assert "2 imported, 0 rejected." in page_text(response)
    # "220" and "C4" each name two versions now; both rows start on the newest, not "more than one" refused.
    for email in ("nia@example.org", "omar@example.org"):
        assert Portfolio.objects.get(learner__email=email).unit == newer
    world.portfolio.refresh_from_db()
    assert world.portfolio.unit.version == 1


def test_good_file_sends_each_new_learner_a_set_password_email(upload, world):
    upload(csv_bytes(*GOOD_ROWS))

    assert sorted(m.to[0] for m in mail.outbox) == ["nia@example.org", "omar@example.org"]
    for message in mail.outbox:
        assert "Set your password" in message.subject
        assert "http://testserver/accounts/password/reset/" in message.body


def test_good_file_is_audited_row_by_row(upload, world):
    upload(csv_bytes(*GOOD_ROWS))

    assert AuditEvent.objects.filter(action="member.added", centre=world.centre, actor=world.admin).count() == 2
    assert AuditEvent.objects.filter(action="portfolio.registered", centre=world.centre, actor=world.admin).count() == 2


def test_file_with_bom_and_windows_line_endings_imports(upload, world):
    data = b"\xef\xbb\xbf" + csv_bytes(*GOOD_ROWS, newline="\r\n")

    response = upload(data)

    assert "2 imported, 0 rejected." in page_text(response)
    assert Portfolio.objects.filter(learner__email__in=["nia@example.org", "omar@example.org"]).count() == 2


def test_existing_learner_is_registered_without_a_second_account(upload, world):
    existing = member(world.centre, Role.LEARNER, user__full_name="Kim Known", user__email="kim@example.org")
    users_before = User.objects.count()

    response = upload(csv_bytes("KIM@example.org,Kimberly Other,OCR-3003,C4,23/11/2026,23/05/2027,,"))

    assert "1 imported, 0 rejected." in page_text(response)
    assert User.objects.count() == users_before
    assert Membership.objects.filter(user=existing, centre=world.centre, role=Role.LEARNER).count() == 1
    existing.refresh_from_db()
    assert existing.full_name == "Kim Known"
    assert existing.check_password(PASSWORD)
    assert Portfolio.objects.get(learner=existing).learner_number == "OCR-3003"
    assert mail.outbox == []


# A file with bad rows ----------------------------------------------------------------------------------------------

BAD_ROW_CASES = [
    pytest.param(
        "not-an-email,Bad Email,B-1,220,23/11/2026,23/05/2027,,",
        "“not-an-email” is not a valid email address.",
        id="bad-email",
    ),
    pytest.param(
        "unit@example.org,Unknown Unit,B-2,X9,23/11/2026,23/05/2027,,",
        "No unit is numbered “X9”.",
        id="unknown-unit",
    ),
    pytest.param(
        "date@example.org,Bad Date,B-3,220,31/02/2026,23/05/2027,,",
        "The start date “31/02/2026” is not a date like 23/11/2026.",
        id="impossible-date",
    ),
    pytest.param(
        "stranger@example.org,Has Stranger,B-4,220,23/11/2026,23/05/2027,outsider@example.org,",
        "outsider@example.org is not an active assessor at this centre.",
        id="assessor-not-at-centre",
    ),
    pytest.param(
        "learner@example.org,Lena Learner,B-5,C4,23/11/2026,23/05/2027,,",
        "Lena Learner is already registered on",
        id="already-registered",
    ),
]


@pytest.mark.parametrize(("bad_row", "reason"), BAD_ROW_CASES)
def test_bad_row_among_good_rows_is_reported_and_good_rows_import(upload, world, bad_row, reason):
    response = upload(csv_bytes(GOOD_ROWS[0], bad_row, GOOD_ROWS[1]))

    assert "2 imported, 1 rejected." in page_text(response)
    errors = rejected(response)
    assert list(errors) == [3]
    assert any(error.startswith(reason) for error in errors[3]), errors[3]
    assert reason in page_text(response)
    assert Portfolio.objects.filter(learner__email__in=["nia@example.org", "omar@example.org"]).count() == 2
    bad_email = bad_row.split(",")[0]
    if bad_email != "learner@example.org":
        assert not User.objects.filter(email=bad_email).exists()
        assert bad_email not in [m.to[0] for m in mail.outbox]
    assert Portfolio.objects.filter(learner=world.learner).count() == 1


def test_rejected_row_lists_every_reason(upload, world):
    bad = "nope,Many Faults,B-9,X9,31/02/2026,2026-13-01,outsider@example.org,assessor@example.org"

    response = upload(csv_bytes(GOOD_ROWS[0], bad))

    assert "1 imported, 1 rejected." in page_text(response)
    assert rejected(response)[3] == [
        "“nope” is not a valid email address.",
        "No unit is numbered “X9”.",
        "The start date “31/02/2026” is not a date like 23/11/2026.",
        "The planned end date “2026-13-01” is not a date like 23/11/2026.",
        "outsider@example.org is not an active assessor at this centre.",
        "assessor@example.org is not an active internal verifier at this centre.",
    ]


def test_duplicate_of_earlier_row_is_rejected_and_first_is_imported(upload, world):
    duplicate = "NIA@example.org,Nia Again,CG-1009,C4,23/11/2026,23/05/2027,,"

    response = upload(csv_bytes(GOOD_ROWS[0], GOOD_ROWS[1], duplicate))

    assert "2 imported, 1 rejected." in page_text(response)
    assert rejected(response) == {4: ["This learner and unit appear earlier in the file."]}
    assert Portfolio.objects.get(learner__email="nia@example.org").learner_number == "CG-1001"


def test_rejected_lines_count_blank_lines_and_header(upload, world):
    data = "\n".join([HEADER, GOOD_ROWS[0], "", "x,Bad,B-1,220,23/11/2026,23/05/2027,,"]).encode()

    response = upload(data)

    assert list(rejected(response)) == [4]
    assert re.search(r"<td>4</td>\s*<td>Bad x</td>", response.content.decode())


def test_row_rejected_after_adding_learner_role_leaves_no_role_and_sends_no_email(upload, world):
    # The assessor is not yet a learner: the row adds the role, then fails because nobody assesses themselves.
    row = "assessor@example.org,Asha Assessor,B-7,C4,23/11/2026,23/05/2027,assessor@example.org,"

    response = upload(csv_bytes(GOOD_ROWS[0], row))

    assert "1 imported, 1 rejected." in page_text(response)
    assert rejected(response) == {3: ["A learner cannot assess their own portfolio."]}
    assert not Membership.objects.filter(user=world.assessor, role=Role.LEARNER).exists()
    assert not AuditEvent.objects.filter(action="member.added", data__user=world.assessor.pk).exists()
    assert [m.to for m in mail.outbox] == [["nia@example.org"]]


def test_windows_1252_file_keeps_accented_names(upload, world):
    data = csv_bytes("zoe@example.org,Zoë Brontë,CG-4004,220,23/11/2026,23/05/2027,,").decode().encode("cp1252")

    response = upload(data)

    assert "1 imported, 0 rejected." in page_text(response)
    assert User.objects.get(email="zoe@example.org").full_name == "Zoë Brontë"


# Malformed files ---------------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"

MALFORMED_CASES = [
    pytest.param(
        csv_bytes(
            *(",".join(r.split(",")[:3] + r.split(",")[4:]) for r in GOOD_ROWS),
            header="email,full_name,learner_number,start_date,planned_end_date,assessor_email,iv_email",
        ),
        "Nothing was imported. The first line must name the columns. Missing: unit.",
        id="missing-column",
    ),
    pytest.param(
        csv_bytes(GOOD_ROWS[0], GOOD_ROWS[1] + ",extra"),
        "Nothing was imported. Line 3 has 9 fields but the header has 8. Check for a missing or extra comma.",
        id="extra-field",
    ),
    pytest.param(PNG, "Nothing was imported. This is not a CSV file: it contains binary data.", id="png-bytes"),
    pytest.param(b"", "The submitted file is empty.", id="empty-file"),
    pytest.param(b"\n\r\n  \n", "Nothing was imported. The file is empty.", id="blank-lines-only"),
    pytest.param(csv_bytes(), "Nothing was imported. The file has a header line but no learners.", id="header-only"),
]


@pytest.mark.parametrize(("data", "reason"), MALFORMED_CASES)
def test_malformed_file_imports_nothing_and_says_why_beside_file_field(upload, world, data, reason):
    users_before = User.objects.count()
    portfolios_before = Portfolio.objects.count()
    audit_before = AuditEvent.objects.count()

    response = upload(data)

    assert response.status_code == 200
    assert error_beside(response, "file").startswith(reason)
    assert response.context["report"] is None
    assert User.objects.count() == users_before
    assert Portfolio.objects.count() == portfolios_before
    assert AuditEvent.objects.count() == audit_before
    assert mail.outbox == []


# The same file twice -----------------------------------------------------------------------------------------------


def test_importing_the_same_file_again_reports_each_row_as_already_registered(upload, world):
    data = csv_bytes(*GOOD_ROWS)
    assert "2 imported, 0 rejected." in page_text(upload(data))
    again = upload(data)
    assert again.status_code == 200
    assert "0 imported, 2 rejected." in page_text(again)
    assert rejected(again) == {
        2: ["Nia Newcomer is already registered on Deliver customer service to difficult customers at this centre."],
        3: ["Omar Onboard is already registered on Deliver customer service to difficult customers at this centre."],
    }
    assert Portfolio.objects.filter(learner__email__in=["nia@example.org", "omar@example.org"]).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Two imports at the same moment need PostgreSQL: SQLite lets one in."
)
def test_two_imports_of_the_same_file_at_the_same_moment_register_each_learner_once(world, monkeypatch):
    from assessments.centre import imports
    from tests.clients import CsrfClient

    kim = member(world.centre, Role.LEARNER, user__full_name="Kim Known", user__email="kim@example.org")
    data = csv_bytes("kim@example.org,Kim Known,OCR-3003,C4,23/11/2026,23/05/2027,,")
    # Both imports find Kim not yet registered before either registers her.
    both_checked = threading.Barrier(2)
    register = imports.portfolio_register
    waited: set[int] = set()

    def after_both_checked(**kwargs):
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait(timeout=5)
        return register(**kwargs)

    monkeypatch.setattr(imports, "portfolio_register", after_both_checked)
    admins = [world.admin, member(world.centre, Role.ADMIN, user__full_name="Alex Admin")]
    responses: list = [None, None]

    def send(n: int) -> None:
        browser = CsrfClient()
        browser.force_login(admins[n])
        try:
            responses[n] = browser.post(
                reverse("centre_learner_import"), {"file": SimpleUploadedFile("l.csv", data, content_type="text/csv")}
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [200, 200]
    said = sorted((page_text(r) for r in responses), key=lambda text: "1 imported" in text)
    assert "0 imported, 1 rejected." in said[0] and "1 imported, 0 rejected." in said[1]
    assert "Kim Known is already registered on Deliver customer service to difficult customers" in said[0]
    assert Portfolio.objects.filter(learner=kim).count() == 1
    assert AuditEvent.objects.filter(action="portfolio.registered").count() == 1
