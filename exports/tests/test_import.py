"""Importing a portable portfolio at the learner's new centre: every hash checked, everything or nothing kept,
each item brought in as recognised prior learning for the new assessor to judge."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.evidence.uploads import inspect_upload
from assessments.models import Decision, Evidence, EvidenceFile, EvidenceSetting, Portfolio, PortfolioStatus
from assessments.signoff.services import unit_sign
from audit.models import AuditEvent
from exports.builders import portable_zip
from exports.importing import portable_import
from people.models import Role
from tests import samples
from tests.factories import PASSWORD, MembershipFactory, PortfolioFactory
from units.models import AssessmentMethod, Criterion, RangeItem


def crit(unit, code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__unit=unit, outcome__number=int(outcome), number=int(number))


def rng(unit, letter: str) -> RangeItem:
    return RangeItem.objects.get(unit=unit, letter=letter)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_names() -> list[str]:
    names = []
    for folder in ("evidence", "thumbnails"):
        if default_storage.exists(folder):
            names += [f"{folder}/{n}" for n in default_storage.listdir(folder)[1]]
    return names


@pytest.fixture
def source(world):
    """The learner's portfolio at their first centre: a photo item the assessor accepted and a PDF account,
    with the learner's signature so the record carries a code."""
    unit = world.portfolio.unit
    photo = services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Photo of the complaints log",
        method=AssessmentMethod.objects.get(code="PE"),
        activity_date=timezone.localdate() - datetime.timedelta(days=20),
        setting=EvidenceSetting.REAL_WORK,
        description="The log after I dealt with the refund complaint.",
        criteria=[crit(unit, "2.1"), crit(unit, "2.4")],
        range_items=[rng(unit, "b")],
        files=[inspect_upload(upload("complaints log.png", samples.png()))],
    )
    services.evidence_judge(
        actor=world.assessor,
        evidence=photo,
        decision=Decision.ACCEPTED,
        verdicts={crit(unit, "2.1"): "confirmed", crit(unit, "2.4"): "confirmed", rng(unit, "b"): "confirmed"},
    )
    services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title="Reflective account of a late delivery",
        method=AssessmentMethod.objects.get(code="RA"),
        activity_date=timezone.localdate() - datetime.timedelta(days=10),
        setting=EvidenceSetting.REALISTIC,
        description="A customer rang about a late delivery; I apologised and rebooked it.",
        criteria=[crit(unit, "1.1")],
        files=[inspect_upload(upload("my account.pdf", samples.pdf("My reflective account")))],
    )
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    world.portfolio.refresh_from_db()
    return world.portfolio


@pytest.fixture
def archive_bytes(source) -> bytes:
    built = portable_zip([source], lambda n: None)
    with built.file:
        return built.file.read()


@pytest.fixture
def target(world) -> Portfolio:
    """The same learner on the same unit at the new centre, registered today by its admin (the outsider)."""
    MembershipFactory(user=world.learner, centre=world.other_centre, role=Role.LEARNER)
    return PortfolioFactory(
        centre=world.other_centre, learner=world.learner, learner_number="SB-0042", start_date=timezone.localdate()
    )


def do_import(world, target, data: bytes, name: str = "portfolio.zip"):
    return portable_import(actor=world.outsider, role=Role.ADMIN, portfolio=target, archive=upload(name, data))


def manifest_of(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("manifest.json"))


def rewrite(
    data: bytes, changes: dict[str, bytes | None] | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """The archive again with some entries' bytes replaced (None drops one) and extra entries added."""
    changes, extra = changes or {}, extra or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    target.writestr(info.filename, changes[info.filename])
            else:
                target.writestr(info.filename, source.read(info))
        for name, content in extra.items():
            target.writestr(name, content)
    return out.getvalue()


def with_manifest(data: bytes, edit) -> bytes:
    manifest = manifest_of(data)
    edit(manifest)
    return rewrite(data, {"manifest.json": json.dumps(manifest).encode()})


def listed_files(data: bytes) -> list[dict]:
    return [f for e in manifest_of(data)["portfolios"][0]["evidence"] for f in e["files"]]


def assert_nothing_imported(target) -> None:
    assert not Evidence.objects.filter(portfolio=target).exists()
    assert not EvidenceFile.objects.filter(evidence__portfolio=target).exists()
    assert not AuditEvent.objects.filter(action="portfolio.imported").exists()
    target.refresh_from_db()
    assert target.evidence_counter == 0


# --- The service ----------------------------------------------------------------------------------------------


def test_import_brings_each_item_in_as_rpl_with_its_mapping_files_and_the_signed_record(
    world, source, archive_bytes, target
):
    before = set(stored_names())
    result = do_import(world, target, archive_bytes)

    assert (result.items, result.files) == (2, 3)
    items = list(Evidence.objects.filter(portfolio=target).order_by("number"))
    assert [e.reference for e in items] == ["E1", "E2", "E3"]
    assert {e.method.code for e in items} == {"RPL"}
    assert {e.decision for e in items} == {Decision.PENDING}
    assert all(e.created_by == world.outsider for e in items)

    photo, account, record = items
    assert photo.title == "Prior evidence E1: Photo of the complaints log"
    assert sorted(c.code for c in photo.criteria.all()) == ["2.1", "2.4"]
    assert [r.letter for r in photo.range_items.all()] == ["b"]
    assert photo.setting == EvidenceSetting.REAL_WORK
    assert photo.activity_date == timezone.localdate() - datetime.timedelta(days=20)
    # Dated before the new registration started: prior evidence always is.
    assert photo.activity_date < target.start_date
    code = source.record_codes.get().display
    for text in ("Northgate Training", "51001", "Original reference there: E1", "PE", "Accepted by the assessor",
                 code, "2.1 confirmed", "The log after I dealt with the refund complaint."):  # fmt: skip
        assert text in photo.description, text
    assert account.setting == EvidenceSetting.REALISTIC
    assert [c.code for c in account.criteria.all()] == ["1.1"]
    assert "Waiting for the assessor" in account.description

    # The files are stored again here, under new names, with the content (and hash) they left with.
    originals = {f.original_name: f for f in EvidenceFile.objects.filter(evidence__portfolio=source)}
    for item, name, kind in ((photo, "complaints log.png", "image"), (account, "my account.pdf", "document")):
        copy = item.files.get()
        assert (copy.original_name, copy.kind, copy.uploaded_by) == (name, kind, world.outsider)
        assert copy.sha256 == originals[name].sha256
        assert copy.file.name != originals[name].file.name
        with default_storage.open(copy.file.name) as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == copy.sha256
    assert photo.files.get().thumbnail

    # The signed record, as one more item with no claims.
    assert record.title == "Signed unit record from Northgate Training"
    assert not record.criteria.exists() and not record.range_items.exists()
    pdf = record.files.get()
    assert pdf.content_type == "application/pdf"
    assert pdf.sha256 == manifest_of(archive_bytes)["portfolios"][0]["record"]["pdf_sha256"]
    assert code in record.description

    target.refresh_from_db()
    assert target.evidence_counter == 3
    assert len(set(stored_names()) - before) == 4  # three files and the photo's thumbnail

    event = AuditEvent.objects.get(action="portfolio.imported")
    assert (event.actor, event.actor_role, event.centre) == (world.outsider, Role.ADMIN, world.other_centre)
    assert event.target_id == str(target.pk)
    assert (event.data["items"], event.data["files"], event.data["record_code"]) == (2, 3, code)
    assert [e["original_reference"] for e in event.data["evidence"]] == ["E1", "E2"]
    # The source portfolio is untouched.
    assert Evidence.objects.filter(portfolio=source).count() == 2


def test_the_new_assessor_can_judge_an_imported_item(world, archive_bytes, target):
    assessor = MembershipFactory(centre=world.other_centre, role=Role.ASSESSOR).user
    Portfolio.objects.filter(pk=target.pk).update(assessor=assessor)
    photo = do_import(world, target, archive_bytes).evidence[0]
    unit = target.unit
    services.evidence_judge(
        actor=assessor,
        evidence=photo,
        decision=Decision.ACCEPTED,
        verdicts={crit(unit, "2.1"): "confirmed", crit(unit, "2.4"): "confirmed", rng(unit, "b"): "confirmed"},
    )
    photo.refresh_from_db()
    assert photo.decision == Decision.ACCEPTED


def test_a_changed_file_is_refused_by_name_and_nothing_is_kept(world, archive_bytes, target):
    photo = next(f for f in listed_files(archive_bytes) if f["name"].endswith(".png"))
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        content = bytearray(archive.read(photo["path"]))
    content[-20] ^= 0xFF  # same size, different bytes
    before = set(stored_names())
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {photo["path"]: bytes(content)}))
    message = " ".join(exc.value.messages)
    assert photo["path"] in message and "SHA-256" in message
    assert_nothing_imported(target)
    assert set(stored_names()) == before


def test_a_file_of_another_size_is_refused_by_name(world, archive_bytes, target):
    document = next(f for f in listed_files(archive_bytes) if f["name"].endswith(".pdf"))
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {document["path"]: samples.pdf("Something else entirely")}))
    assert document["path"] in " ".join(exc.value.messages)
    assert_nothing_imported(target)


def test_a_changed_record_pdf_is_refused(world, archive_bytes, target):
    path = manifest_of(archive_bytes)["portfolios"][0]["record"]["pdf"]
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {path: samples.pdf("Forged record")}))
    assert path in " ".join(exc.value.messages)
    assert_nothing_imported(target)


def test_a_changed_hash_in_the_manifest_is_refused_by_name(world, archive_bytes, target):
    def edit(manifest):
        manifest["portfolios"][0]["evidence"][1]["files"][0]["sha256"] = "0" * 64

    path = listed_files(archive_bytes)[1]["path"]
    before = set(stored_names())
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, with_manifest(archive_bytes, edit))
    assert path in " ".join(exc.value.messages)
    assert_nothing_imported(target)
    assert set(stored_names()) == before


def test_a_file_listed_but_missing_is_refused(world, archive_bytes, target):
    path = listed_files(archive_bytes)[0]["path"]
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {path: None}))
    assert f"({path}) is listed in the manifest but missing" in " ".join(exc.value.messages)
    assert_nothing_imported(target)


def test_a_file_the_portfolio_would_refuse_is_refused_even_with_a_matching_hash(world, archive_bytes, target):
    """The content rules apply again on the way in: a web page renamed and listed with its true hash."""

    def edit(manifest):
        manifest["portfolios"][0]["evidence"][1]["files"].append(
            {
                "path": "evidence/extra/page.txt",
                "name": "page.txt",
                "sha256": hashlib.sha256(samples.HTML).hexdigest(),
                "size": len(samples.HTML),
                "content_type": "text/plain",
            }
        )

    data = rewrite(with_manifest(archive_bytes, edit), extra={"evidence/extra/page.txt": samples.HTML})
    before = set(stored_names())
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, data)
    assert "page.txt" in " ".join(exc.value.messages)
    assert_nothing_imported(target)
    # The files written before the refusal were removed again.
    assert set(stored_names()) == before


def test_entries_the_manifest_does_not_list_are_ignored(world, archive_bytes, target):
    data = rewrite(
        archive_bytes, extra={"../../etc/passwd": b"root:x:0:0", "/abs/evil.html": samples.HTML, "extra.png": b"x"}
    )
    result = do_import(world, target, data)
    assert result.files == 3
    names = set(EvidenceFile.objects.filter(evidence__portfolio=target).values_list("original_name", flat=True))
    assert names == {"complaints log.png", "my account.pdf", f"unit-record-{result.record_code}.pdf"}


def test_a_path_in_the_manifest_is_only_ever_an_entry_name(world, archive_bytes, target):
    """A manifest naming ../ paths reads those ZIP entries (if there), never the disk; the kept name is cleaned."""
    photo = listed_files(archive_bytes)[0]
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        content = archive.read(photo["path"])

    def edit(manifest):
        entry = manifest["portfolios"][0]["evidence"][0]["files"][0]
        entry["path"], entry["name"] = "../../outside.png", "../../outside.png"

    data = rewrite(with_manifest(archive_bytes, edit), {photo["path"]: None}, extra={"../../outside.png": content})
    do_import(world, target, data)
    copy = EvidenceFile.objects.get(evidence__portfolio=target, sha256=photo["sha256"])
    assert copy.original_name == "outside.png"
    assert copy.file.name.startswith("evidence/")


def test_not_a_zip_gives_a_plain_error(world, target):
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, b"These are my notes, not a ZIP.", name="notes.zip")
    assert "not a ZIP archive" in exc.value.messages[0]
    assert_nothing_imported(target)


def test_a_zip_without_a_manifest_is_refused(world, archive_bytes, target):
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {"manifest.json": None}))
    assert "no manifest.json" in exc.value.messages[0]


def test_a_manifest_that_is_not_json_is_refused(world, archive_bytes, target):
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, rewrite(archive_bytes, {"manifest.json": b"{not json"}))
    assert "not valid JSON" in exc.value.messages[0]


def test_an_unknown_manifest_format_is_refused(world, archive_bytes, target):
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, with_manifest(archive_bytes, lambda m: m.update(format="someone-else/2")))
    assert "unknown format" in exc.value.messages[0]


def test_a_manifest_of_the_wrong_shape_is_refused(world, archive_bytes, target):
    def edit(manifest):
        manifest["portfolios"][0]["evidence"][0]["date"] = "last Tuesday"

    with pytest.raises(ValidationError) as exc:
        do_import(world, target, with_manifest(archive_bytes, edit))
    assert "damaged or incomplete" in exc.value.messages[0]
    assert_nothing_imported(target)


def test_an_archive_of_another_unit_has_no_record_of_this_one(world, archive_bytes, second_unit):
    MembershipFactory(user=world.learner, centre=world.other_centre, role=Role.LEARNER)
    other = PortfolioFactory(centre=world.other_centre, learner=world.learner, unit=second_unit)
    with pytest.raises(ValidationError) as exc:
        do_import(world, other, archive_bytes)
    assert exc.value.messages[0].startswith(f"This archive holds no record of unit “{second_unit.title}”")
    assert_nothing_imported(other)


def test_a_unit_that_does_not_allow_rpl_is_refused(world, archive_bytes, target):
    target.unit.methods.remove(AssessmentMethod.objects.get(code="RPL"))
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, archive_bytes)
    assert "RPL" in exc.value.messages[0] and "not an assessment method" in exc.value.messages[0]
    assert_nothing_imported(target)


def test_too_many_entries_or_too_much_unpacked_is_refused_before_reading(world, archive_bytes, target, settings):
    settings.OFFICE_MAX_ENTRIES = 3
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, archive_bytes)
    assert "more than the 3" in exc.value.messages[0]
    settings.OFFICE_MAX_ENTRIES = 5000
    settings.PORTABLE_IMPORT_MAX_UNPACKED_MB = 0
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, archive_bytes)
    assert "would unpack to" in exc.value.messages[0]
    assert_nothing_imported(target)


def test_a_signed_unit_is_refused(world, archive_bytes, target):
    Portfolio.objects.filter(pk=target.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, archive_bytes)
    assert "locked" in exc.value.messages[0]
    assert_nothing_imported(target)


def test_the_same_record_is_not_imported_twice(world, archive_bytes, target):
    do_import(world, target, archive_bytes)
    with pytest.raises(ValidationError) as exc:
        do_import(world, target, archive_bytes)
    assert "already in this portfolio as E3" in exc.value.messages[0]
    assert Evidence.objects.filter(portfolio=target).count() == 3


def test_only_an_admin_of_the_new_centre_may_import(world, archive_bytes, target):
    for actor, role in ((world.learner, Role.LEARNER), (world.admin, Role.ADMIN)):
        with pytest.raises(PermissionDenied):
            portable_import(actor=actor, role=role, portfolio=target, archive=upload("p.zip", archive_bytes))
    assert_nothing_imported(target)


def test_a_long_title_is_shortened_to_fit(world, archive_bytes, target):
    def edit(manifest):
        manifest["portfolios"][0]["evidence"][0]["title"] = "A" * 200

    result = do_import(world, target, with_manifest(archive_bytes, edit))
    title = result.evidence[0].title
    assert len(title) == 200 and title.startswith("Prior evidence E1: AAA") and title.endswith("…")


# --- The page -------------------------------------------------------------------------------------------------


def page(target) -> str:
    return reverse("portable_import", args=[target.pk])


def test_admin_gets_the_form_and_imports_and_is_sent_to_the_registrations(client, world, archive_bytes, target):
    client.force_login(world.outsider)
    response = client.get(page(target))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_archive" class="form-label' in html and "Portable portfolio (ZIP file)" in html
    assert 'enctype="multipart/form-data"' in html

    response = client.post(page(target), {"archive": upload("portfolio.zip", archive_bytes)})
    assert response.status_code == 302
    assert response.url == reverse("centre_portfolios")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Imported 2 items of prior evidence and the unit record from Northgate Training" in message
    assert Evidence.objects.filter(portfolio=target, method__code="RPL").count() == 3


def test_a_bad_upload_shows_the_error_beside_the_field_and_keeps_nothing(client, world, archive_bytes, target):
    client.force_login(world.outsider)
    path = listed_files(archive_bytes)[0]["path"]
    response = client.post(page(target), {"archive": upload("portfolio.zip", rewrite(archive_bytes, {path: b"x"}))})
    assert response.status_code == 200
    errors = response.context["form"].errors["archive"]
    assert path in errors[0]
    html = response.content.decode()
    assert 'id="error_1_id_archive"' in html and 'aria-invalid="true"' in html
    assert_nothing_imported(target)

    response = client.post(page(target), {"archive": upload("notes.zip", b"plain text")})
    assert response.status_code == 200
    assert "not a ZIP archive" in response.context["form"].errors["archive"][0]


def test_an_upload_larger_than_any_portfolio_is_refused_at_the_form(client, world, archive_bytes, target, settings):
    settings.PORTABLE_IMPORT_MAX_UNPACKED_MB = 0
    client.force_login(world.outsider)
    response = client.post(page(target), {"archive": upload("portfolio.zip", archive_bytes)})
    assert response.status_code == 200
    assert "a portable portfolio can be up to" in response.context["form"].errors["archive"][0]
    assert_nothing_imported(target)


def test_the_learner_gets_403(client, world, target):
    client.force_login(world.learner)
    assert client.get(page(target)).status_code == 403
    assert client.post(page(target), {"archive": upload("p.zip", b"x")}).status_code == 403


def test_an_admin_at_an_unrelated_centre_gets_404(client, world, target):
    client.force_login(world.admin)
    assert client.get(page(target)).status_code == 404
    assert client.post(page(target), {"archive": upload("p.zip", b"x")}).status_code == 404


def test_the_registrations_list_links_each_row_to_the_import(client, world, target):
    client.force_login(world.outsider)
    html = client.get(reverse("centre_portfolios")).content.decode()
    assert f'href="{page(target)}"' in html
    assert f'Import prior evidence<span class="visually-hidden"> for {world.learner.full_name}' in html


def test_the_registrations_list_still_opens_before_the_import_urls_are_included(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("centre_portfolios"))
    assert response.status_code == 200


def test_the_same_import_sent_twice_imports_once(world, archive_bytes, target):
    from tests.submit import assert_second_sent_where_the_first_went, browser_client, post_twice

    admin = browser_client(world.outsider)
    first, second = post_twice(
        admin, page(target), page(target), lambda: {"archive": upload("portfolio.zip", archive_bytes)}
    )
    assert Evidence.objects.filter(portfolio=target, method__code="RPL").count() == 3
    # The evidence files and the unit record, once each.
    assert EvidenceFile.objects.filter(evidence__portfolio=target).count() == len(listed_files(archive_bytes)) + 1
    assert_second_sent_where_the_first_went(admin, first, second)
