"""The unit record's pages, driven through the test client: the PDF download for everyone linked to the
portfolio, and the public verification page for the code printed under the QR code."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from assessments.models import Evidence, EvidenceFile, RecordCode, RecordRender, Signature, SignatureKind
from assessments.records.pdf.render import render_pdf
from assessments.records.services import drafts, renders
from assessments.records.services.renders import record_render_store
from assessments.signoff.services import signature_withdraw as signoff_withdraw
from assessments.signoff.services import unit_refer, unit_sign
from assessments.tests.test_evidence_views import add
from assessments.tests.test_record_pdf import complete, covered, pdf_text  # noqa: F401  (fixtures)
from audit.models import AuditEvent
from people.models import Role
from tests.factories import PASSWORD
from tests.tamper import raw_sql, rewrite_file

K = SignatureKind
NAMES = ["Lena Learner", "Asha Assessor", "Ivan Verifier", "Eve External", "Northgate Training"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # The verification page counts unknown codes per client in the cache: no test may inherit another's count.
    cache.clear()
    yield
    cache.clear()


def pdf_url(world) -> str:
    return reverse("record_pdf", args=[world.portfolio.pk])


def code_of(world, round: int = 1) -> RecordCode:
    return RecordCode.objects.get(portfolio=world.portfolio, round=round)


def code_url(code: RecordCode) -> str:
    return reverse("record_verify_code", args=[code.code])


def sign_declaration(world) -> Signature:
    return unit_sign(actor=world.learner, portfolio=world.portfolio, kind=K.LEARNER, password=PASSWORD)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def local_date(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")


# --- The PDF -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv", "ev", "admin"])
def test_everyone_linked_downloads_the_signed_record_as_a_private_pdf_attachment(client, complete, persona):  # noqa: F811
    world = complete
    client.force_login(world.persona(persona))
    response = client.get(pdf_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert body(response).startswith(b"%PDF-")
    assert response["Content-Disposition"] == 'attachment; filename="unit-220-lena-learner-cg-0001.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_stored_pdf_changed_in_storage_is_refused_with_409_and_audited(client, complete):  # noqa: F811
    world = complete
    render = record_render_store(portfolio=world.portfolio)
    rewrite_file(render.file, b"%PDF-1.7 a forged record")
    client.force_login(world.admin)
    response = client.get(pdf_url(world))
    assert response.status_code == 409
    page = response.content.decode()
    assert f"The stored record PDF (record code {render.record_code.display}) no longer matches" in page
    assert b"forged" not in response.content
    event = AuditEvent.objects.get(action="file.altered_refused")
    assert (event.target_type, event.target_id) == ("assessments.recordrender", str(render.pk))


def test_an_unsigned_record_downloads_as_a_draft_named_so(client, world, covered):  # noqa: F811
    client.force_login(world.learner)
    response = client.get(pdf_url(world))
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith('-draft.pdf"')


def test_the_outsider_gets_404_for_the_pdf(client, world):
    client.force_login(world.outsider)
    assert client.get(pdf_url(world)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_pdf(client, world):
    response = client.get(pdf_url(world))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_signoff_page_links_to_the_pdf(client, world):
    client.force_login(world.learner)
    page = client.get(reverse("signoff", args=[world.portfolio.pk])).content.decode()
    assert f'href="{pdf_url(world)}"' in page


# --- Serving: queries, locks, revalidation and the draft cache ---------------------------------------------


def test_a_stored_record_is_served_in_four_queries_of_its_own_with_no_lock_and_revalidates_to_304(
    client,
    complete,  # noqa: F811
    django_assert_max_num_queries,
):
    world = complete
    record_render_store(portfolio=world.portfolio)
    client.force_login(world.learner)
    first = client.get(pdf_url(world))
    assert first.status_code == 200
    pdf = body(first)
    render = RecordRender.objects.get()
    assert first["ETag"] == f'"{render.sha256}"' and hashlib.sha256(pdf).hexdigest() == render.sha256
    assert first["Last-Modified"] == http_date(render.created_at.timestamp())
    # The session and the signed-in user (every page's two), then the portfolio, the viewer's roles (memberships,
    # external verifier posts) for the access check, and one for the record: no lock, nothing rendered.
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(2 + 4):
        again = client.get(pdf_url(world))
    assert again.status_code == 200 and body(again) == pdf
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert not [q for q in sql if "FOR UPDATE" in q or "SAVEPOINT" in q or q.startswith(("INSERT", "UPDATE"))]
    assert len([q for q in sql if "ASSESSMENTS_" in q]) <= 2  # the portfolio, then the record
    with django_assert_max_num_queries(2 + 4):
        unchanged = client.get(pdf_url(world), headers={"if-none-match": first["ETag"]})
    assert unchanged.status_code == 304 and not unchanged.has_header("Content-Disposition")
    since = client.get(pdf_url(world), headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(pdf_url(world), headers={"if-none-match": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and body(stale) == pdf


def test_a_304_is_only_for_someone_who_may_see_the_record(client, complete):  # noqa: F811
    world = complete
    render = record_render_store(portfolio=world.portfolio)
    client.force_login(world.outsider)
    response = client.get(pdf_url(world), headers={"if-none-match": f'"{render.sha256}"'})
    assert response.status_code == 404


def test_a_download_before_the_worker_renders_and_stores_the_record_holding_no_lock_while_it_renders(
    client,
    complete,  # noqa: F811
    monkeypatch,
):
    world = complete
    assert not RecordRender.objects.exists()
    baseline = len(connection.savepoint_ids)
    seen: list[int] = []

    def spy(content):
        # Any transaction (and so any row lock) opened by the request would show as a savepoint here.
        seen.append(len(connection.savepoint_ids))
        return render_pdf(content)

    monkeypatch.setattr(renders, "render_pdf", spy)
    client.force_login(world.assessor)
    response = client.get(pdf_url(world))
    assert response.status_code == 200
    assert seen == [baseline]
    render = RecordRender.objects.get()
    assert hashlib.sha256(body(response)).hexdigest() == render.sha256
    client.get(pdf_url(world))
    assert len(seen) == 1, "the stored render is served, not made again"


@pytest.fixture
def disk_storage(settings, tmp_path):
    """Files on disk, as deployed without S3, where someone with the server's files could rewrite one in place."""
    backend = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}
    settings.STORAGES = {**settings.STORAGES, "default": backend}


def test_a_stored_pdf_rewritten_after_it_was_served_is_refused_even_with_its_size_and_times_put_back(
    disk_storage,
    client,
    complete,  # noqa: F811
):
    world = complete
    render = record_render_store(portfolio=world.portfolio)
    client.force_login(world.admin)
    assert client.get(pdf_url(world)).status_code == 200  # hashed once and trusted while the file is untouched
    with render.file.open("rb") as handle:
        genuine = handle.read()
    path = render.file.path
    before = os.stat(path)
    middle = len(genuine) // 2
    forged = genuine[:middle] + bytes([genuine[middle] ^ 1]) + genuine[middle + 1 :]
    with open(path, "r+b") as handle:  # in place: the same file, the same size
        handle.write(forged)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    response = client.get(pdf_url(world))
    assert response.status_code == 409
    assert b"%PDF" not in response.content
    assert AuditEvent.objects.filter(action="file.altered_refused").count() == 1


@pytest.fixture
def draft_renders(monkeypatch) -> list[int]:
    """A list that grows by one each time a draft is rendered rather than served from the draft cache."""
    made: list[int] = []

    def counting(content):
        made.append(1)
        return render_pdf(content)

    monkeypatch.setattr(drafts, "render_pdf", counting)
    return made


def test_a_draft_is_rendered_once_for_each_state_of_the_record(client, world, covered, draft_renders):  # noqa: F811
    renders_made = draft_renders
    client.force_login(world.learner)
    first = client.get(pdf_url(world))
    assert first.status_code == 200 and len(renders_made) == 1
    pdf = body(first)
    second = client.get(pdf_url(world))
    assert body(second) == pdf and second["ETag"] == first["ETag"]
    assert len(renders_made) == 1, "the unchanged draft comes from the cache"
    assert client.get(pdf_url(world), headers={"if-none-match": first["ETag"]}).status_code == 304
    # Any change to what the record covers is a new digest, so a new render: nothing is invalidated by hand.
    add(world, criteria=["1.1"], title="A refund refused politely")
    third = client.get(pdf_url(world))
    assert len(renders_made) == 2 and third["ETag"] != first["ETag"]
    changed = body(third)
    assert "A refund refused politely" in " ".join(pdf_text(changed))
    assert body(client.get(pdf_url(world))) == changed and len(renders_made) == 2
    # One draft kept per portfolio: the state it has left is gone from storage.
    assert len(default_storage.listdir(f"{drafts.FOLDER}/{world.portfolio.pk}")[1]) == 1
    # Anonymising the learner's records removes the draft, which prints their name; the next request renders anew.
    assert drafts.record_drafts_delete(portfolio=world.portfolio) == 1
    assert default_storage.listdir(f"{drafts.FOLDER}/{world.portfolio.pk}")[1] == []
    client.get(pdf_url(world))
    assert len(renders_made) == 3


# --- Verification: what it says -----------------------------------------------------------------------------


def test_a_stranger_learns_the_signed_record_is_genuine_with_dates_and_digests_but_no_names(client, complete):  # noqa: F811
    world = complete
    code = code_of(world)
    response = client.get(code_url(code))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Genuine and unaltered" in page
    assert code.display in page
    assert world.portfolio.unit.title in page
    signatures = list(Signature.objects.filter(portfolio=world.portfolio, round=1))
    assert len(signatures) == 4
    for signature in signatures:
        assert local_date(signature.signed_at) in page
        assert signature.digest in page
    assert page.count("Matches") == 4
    for name in [*NAMES, world.portfolio.learner_number]:
        assert name not in page, name
    assert reverse("record_pdf", args=[world.portfolio.pk]) not in page


def test_someone_linked_to_the_portfolio_sees_the_names_and_learner_number(client, complete):  # noqa: F811
    world = complete
    client.force_login(world.assessor)
    page = client.get(code_url(code_of(world))).content.decode()
    assert "Genuine and unaltered" in page
    for name in NAMES:
        assert name in page, name
    assert "CG-0001" in page
    assert f'href="{pdf_url(world)}"' in page


def test_a_signed_in_outsider_sees_no_names(client, complete):  # noqa: F811
    world = complete
    client.force_login(world.outsider)
    response = client.get(code_url(code_of(world)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Genuine and unaltered" in page
    for name in [*NAMES, "CG-0001"]:
        assert name not in page, name


# --- Verification: the form ----------------------------------------------------------------------------------


def test_anyone_opens_the_empty_form(client, world):
    response = client.get(reverse("record_verify"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="code"' in page and "is-invalid" not in page


def test_a_code_typed_in_lower_case_with_spaces_and_dashes_goes_to_its_page(client, world, covered):  # noqa: F811
    sign_declaration(world)
    code = code_of(world)
    typed = f"  {code.code[:4].lower()} - {code.code[4:8].lower()} {code.code[8:].lower()} "
    response = client.get(reverse("record_verify"), {"code": typed})
    assert response.status_code == 302
    assert response.url == code_url(code)
    assert "Genuine and unaltered" in client.get(response.url).content.decode()


def test_a_malformed_code_is_shown_again_with_the_error_beside_the_field(client, world):
    response = client.get(reverse("record_verify"), {"code": "7K2M-9QXD"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "A record code has 12 letters and digits" in page
    assert 'id="code-error"' in page and "code-error" in page[page.index('id="code"') : page.index("</form>")]
    field = page[page.index("<input") : page.index(">", page.index("<input"))]
    assert "is-invalid" in field and 'value="7K2M-9QXD"' in field
    assert 'aria-describedby="code-help code-error"' in field


def test_an_unknown_well_formed_code_gives_404_and_says_so(client, world):
    response = client.get(reverse("record_verify_code", args=["7K2M9QXD4HTA"]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "Unknown code" in page and "There is no record with this code" in page
    assert "Genuine" not in page


def test_a_stranger_is_told_which_kind_of_change_was_made_naming_no_one(client, complete):  # noqa: F811
    world = complete
    record_render_store(portfolio=world.portfolio)
    evidence_file = EvidenceFile.objects.get(evidence__portfolio=world.portfolio)
    rewrite_file(evidence_file.file, b"another photo")
    page = client.get(code_url(code_of(world))).content.decode()
    assert "Altered" in page and "Genuine and unaltered" not in page
    assert "An evidence file has been changed or removed since it was uploaded." in page
    for name in [*NAMES, "till.png", "CG-0001"]:
        assert name not in page, name


def test_someone_linked_is_told_which_file_and_signature_changed(client, complete):  # noqa: F811
    world = complete
    render = record_render_store(portfolio=world.portfolio)
    rewrite_file(render.file, b"forged")
    ev = Signature.objects.get(portfolio=world.portfolio, kind=K.EV)
    raw_sql("DELETE FROM assessments_recordrender WHERE id = %s", [render.pk], "assessments_recordrender")
    raw_sql("DELETE FROM assessments_signature WHERE id = %s", [ev.pk], "assessments_signature")
    client.force_login(world.iv)
    page = client.get(code_url(code_of(world))).content.decode()
    assert "Altered" in page
    assert f"Signature {ev.pk} on registration {world.portfolio.pk} (Lena Learner" in page
    assert "it has been deleted" in page


# --- Verification: records that no longer stand --------------------------------------------------------------


def test_a_record_altered_behind_the_application_is_reported_altered(client, world, covered):  # noqa: F811
    # Only the learner has signed, so the evidence is not locked yet and an update outside the services goes in.
    sign_declaration(world)
    Evidence.objects.filter(pk=covered["E2"].pk).update(title="changed")
    page = client.get(code_url(code_of(world))).content.decode()
    assert "Altered" in page
    assert "Genuine and unaltered" not in page
    assert "Does not match" in page


def test_the_code_of_a_referred_record_says_it_was_withdrawn_and_referred_back(client, world, covered):  # noqa: F811
    sign_declaration(world)
    old = code_of(world)
    unit_refer(actor=world.assessor, portfolio=world.portfolio, role=Role.ASSESSOR, reasons="E2 is not dated.")
    response = client.get(code_url(old))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Withdrawn" in page and "referred back" in page
    assert "Genuine and unaltered" not in page
    assert "E2 is not dated." not in page  # the reasons are for the learner, not for strangers


def _verdict(page: str) -> str:
    """The text of the alerts under the record's heading: the verdict and any notice of withdrawn signatures."""
    import re

    return " ".join(
        re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    )


def test_a_signature_withdrawn_after_signing_says_withdrawn_with_its_date_not_genuine(client, world, covered):  # noqa: F811
    sign_declaration(world)
    assessor = unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    signoff_withdraw(actor=world.assessor, signature=assessor, reason="Signed the wrong unit.")
    assessor.refresh_from_db()
    page = client.get(code_url(code_of(world))).content.decode()
    verdict = _verdict(page)
    assert "Genuine and unaltered" not in page
    assert (
        f"Withdrawn. A signature on this record was withdrawn after it was made: the assessor signature of "
        f"{local_date(assessor.signed_at)}, withdrawn on {local_date(assessor.withdrawn_at)}." in verdict
    )
    assert "Signed the wrong unit." not in page  # the reason is the centre's, not a stranger's


def test_a_signature_withdrawn_then_made_again_verifies_but_says_a_copy_before_is_out_of_date(client, world, covered):  # noqa: F811
    sign_declaration(world)
    first = unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    signoff_withdraw(actor=world.assessor, signature=first, reason="Signed too soon.")
    again = unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=K.ASSESSOR, password=PASSWORD)
    first.refresh_from_db()
    verdict = _verdict(client.get(code_url(code_of(world))).content.decode())
    assert "Genuine and unaltered." in verdict
    assert (
        f"Signed again. The assessor signature of {local_date(first.signed_at)} was withdrawn on "
        f"{local_date(first.withdrawn_at)} and superseded by the one of {local_date(again.signed_at)}: "
        "a printed copy made before then is out of date." in verdict
    )


# --- Verification: guessing --------------------------------------------------------------------------------


def test_after_too_many_unknown_codes_even_a_real_code_gets_429(client, world, covered, settings):  # noqa: F811
    settings.VERIFY_MISSES_PER_HOUR = 3
    sign_declaration(world)
    real = code_of(world)
    assert client.get(code_url(real)).status_code == 200  # a hit costs nothing
    for guess in ["AAAAAAAAAAAA", "BBBBBBBBBBBB", "CCCCCCCCCCCC"]:
        assert client.get(reverse("record_verify_code", args=[guess])).status_code == 404
    response = client.get(code_url(real))
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    page = response.content.decode()
    assert "Too many unknown codes" in page and "Genuine" not in page


def test_the_drafts_layout_key_covers_every_template_the_record_includes():
    from assessments.records.services.drafts import record_templates

    # The assessor's records were once left out of the key: a change to them would have served stale drafts.
    names = record_templates()
    assert names[0] == "pdf/unit_record.html" and len(names) == len(set(names))
    assert {"pdf/refs_table.html", "pdf/assessor_records.html"} <= set(names)


def test_the_drafts_layout_key_moves_with_the_code_that_fills_the_record(monkeypatch, tmp_path):
    from assessments.records.pdf import content
    from assessments.records.services import drafts

    # A deployment that changes what record_content writes must not serve drafts rendered by the old code.
    drafts._layout.cache_clear()
    before = drafts._layout()
    changed = tmp_path / "content.py"
    changed.write_bytes(Path(content.__file__).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(content, "__file__", str(changed))
    drafts._layout.cache_clear()
    try:
        assert drafts._layout() != before
    finally:
        monkeypatch.undo()
        drafts._layout.cache_clear()
    assert drafts._layout() == before
