"""Evidence files: uploaded with an evidence item, checked by content, kept
through the storage API under opaque names, and served only after an access
check with headers that stop a browser running anything in them."""

from __future__ import annotations

import hashlib
import os
from email.message import Message

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from assessments import services
from assessments.evidence.uploads import inspect_upload
from assessments.models import Evidence, EvidenceFile
from assessments.tests.test_evidence_views import add, form_data
from audit.models import AuditEvent
from tests import samples
from tests.tamper import rewrite_file


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_names() -> list[str]:
    names = []
    for folder in ("evidence", "thumbnails"):
        if default_storage.exists(folder):
            names += [f"{folder}/{n}" for n in default_storage.listdir(folder)[1]]
    return names


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def post_add(client, world, *files, **overrides):
    data = form_data(**overrides)
    data["files"] = list(files)
    return client.post(reverse("evidence_add", args=[world.portfolio.pk]), data)


def file_errors(response) -> list[str]:
    return response.context["form"].errors.get("files", [])


def attach(world, name: str, content: bytes) -> EvidenceFile:
    evidence = add(world, criteria=["2.1"], files=[inspect_upload(upload(name, content))])
    return evidence.files.get()


# --- Uploading ---------------------------------------------------------------------------------------------


def test_learner_adds_evidence_with_a_photo_and_a_pdf_kept_under_opaque_names(learner_client, world):
    photo, document = samples.png(), samples.pdf()
    response = post_add(
        learner_client, world, upload("till photo.png", photo, "image/png"), upload("my account.pdf", document)
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(portfolio=world.portfolio)
    files = {f.original_name: f for f in evidence.files.all()}
    assert set(files) == {"till photo.png", "my account.pdf"}
    png, pdf = files["till photo.png"], files["my account.pdf"]
    assert (png.content_type, png.kind, png.size) == ("image/png", "image", len(photo))
    assert (pdf.content_type, pdf.kind) == ("application/pdf", "document")
    assert png.sha256 == hashlib.sha256(photo).hexdigest()
    assert pdf.sha256 == hashlib.sha256(document).hexdigest()
    for record in (png, pdf):
        assert record.file.name.startswith("evidence/")
        assert "till" not in record.file.name and "account" not in record.file.name
        with default_storage.open(record.file.name) as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == record.sha256
    assert png.thumbnail and not pdf.thumbnail
    with default_storage.open(png.thumbnail.name) as thumb, Image.open(thumb) as image:
        assert image.format == "JPEG" and max(image.size) <= 480
    event = AuditEvent.objects.get(action="evidence.added")
    assert sorted(f["sha256"] for f in event.data["files_added"]) == sorted([png.sha256, pdf.sha256])


@pytest.mark.parametrize(
    ("name", "make", "content_type"),
    [
        ("notes.docx", samples.docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("rota.xlsx", samples.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("account.txt", lambda: samples.TEXT, "text/plain"),
        ("IMG_0042.HEIC", samples.heic, "image/heic"),
        ("photo.jpeg", samples.jpeg, "image/jpeg"),
    ],
)
def test_each_allowed_type_is_recognised_by_its_content(learner_client, world, name, make, content_type):
    response = post_add(learner_client, world, upload(name, make()))
    assert response.status_code == 302, file_errors(response)
    assert EvidenceFile.objects.get().content_type == content_type


def test_a_heic_photo_gets_a_thumbnail(world):
    record = attach(world, "IMG_0001.heic", samples.heic())
    assert record.thumbnail


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("account.txt", samples.HTML, "web pages can run code"),
        ("page.html", samples.HTML, "web pages can run code"),
        ("logo.svg", samples.SVG, "SVG images can run code"),
        ("report.pdf", samples.png(), "is a PNG image, but its name does not end in .png"),
        ("photo.jpg", samples.pdf(), "is a PDF document, but its name does not end in .pdf"),
        ("notes.docx", b"PK\x03\x04 not really a zip", "is damaged"),
        ("archive.zip", b"PK\x05\x06" + b"\0" * 18, "not a type of file the portfolio accepts"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_file_whose_content_is_refused_gets_the_reason_beside_the_field_and_nothing_is_saved(
    learner_client, world, name, content, reason
):
    response = post_add(learner_client, world, upload(name, content, "application/pdf"))
    assert response.status_code == 200
    errors = " ".join(file_errors(response))
    assert reason in errors
    assert name in errors or name == "empty.pdf"
    assert 'id="id_files"' in response.content.decode() and "is-invalid" in response.content.decode()
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()
    assert stored_names() == []


def test_one_bad_file_among_good_ones_saves_nothing(learner_client, world):
    response = post_add(learner_client, world, upload("ok.png", samples.png()), upload("bad.txt", samples.HTML))
    assert response.status_code == 200
    assert not Evidence.objects.exists() and stored_names() == []


def test_a_file_over_its_kinds_size_limit_is_refused_with_the_limit(learner_client, world, settings):
    settings.EVIDENCE_MAX_MB = {**settings.EVIDENCE_MAX_MB, "image": 1}
    noisy = Image.frombytes("RGB", (700, 600), os.urandom(700 * 600 * 3))
    big = samples.io.BytesIO()
    noisy.save(big, "PNG")
    assert big.tell() > 1_000_000
    response = post_add(learner_client, world, upload("big.png", big.getvalue()))
    assert "image files can be up to 1 MB" in " ".join(file_errors(response))
    assert not Evidence.objects.exists()


def test_documents_images_audio_and_video_have_rising_default_limits(settings):
    limits = settings.EVIDENCE_MAX_MB
    assert limits["document"] <= limits["image"] < limits["audio"] < limits["video"]


def test_too_many_files_in_one_upload_is_refused_with_the_limit(learner_client, world, settings):
    settings.EVIDENCE_MAX_FILES = 2
    response = post_add(learner_client, world, *(upload(f"p{n}.png", samples.png()) for n in range(3)))
    assert "add up to 2 at a time" in " ".join(file_errors(response))
    assert not Evidence.objects.exists()


def test_more_files_than_django_accepts_gets_a_message_not_an_error_page(learner_client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = post_add(learner_client, world, *(upload(f"p{n}.png", samples.png()) for n in range(3)))
    assert response.status_code == 400
    assert "too many files at once" in response.content.decode()
    assert not Evidence.objects.exists()


def test_files_over_the_total_upload_limit_are_refused(learner_client, world, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    settings.EVIDENCE_MAX_MB = dict.fromkeys(settings.EVIDENCE_MAX_MB, 1)
    response = post_add(learner_client, world, *(upload(f"a{n}.txt", b"x" * 600_000) for n in range(2)))
    assert "one upload can be up to 1 MB" in " ".join(file_errors(response))
    assert not Evidence.objects.exists()


def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(learner_client, world, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    body = b"x" * 10
    response = learner_client.generic(
        "POST",
        reverse("evidence_add", args=[world.portfolio.pk]),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH="5000000",
    )
    assert response.status_code == 413
    assert "one upload can be up to 1 MB" in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_interrupted_upload_leaves_no_evidence_and_no_files(learner_client, world):
    boundary = "BoUnDaRy"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nCut off\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="video.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    # The connection drops half-way through the file: no closing boundary, nothing after it.
    response = learner_client.generic(
        "POST",
        reverse("evidence_add", args=[world.portfolio.pk]),
        head + b"\0" * 5000,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code in (200, 400)
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()
    assert stored_names() == []


def test_a_failure_after_files_are_written_removes_them_again(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("assessments.evidence.services.items.audit_log", broken)
    with pytest.raises(RuntimeError):
        add(world, files=[inspect_upload(upload("a.png", samples.png()))])
    assert stored_names() == []
    assert not EvidenceFile.objects.exists()


def test_the_upload_through_htmx_asks_the_browser_to_load_the_portfolio(learner_client, world):
    data = {**form_data(), "files": [upload("a.png", samples.png())]}
    response = learner_client.post(reverse("evidence_add", args=[world.portfolio.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("portfolio_detail", args=[world.portfolio.pk])


def test_the_form_offers_the_camera_and_says_the_limits(learner_client, world, settings):
    page = learner_client.get(reverse("evidence_add", args=[world.portfolio.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "image/*" in page and ".pdf" in page and "multiple" in page
    assert f'data-max-files="{settings.EVIDENCE_MAX_FILES}"' in page
    assert "<progress" in page


# --- Images and archives that would hurt the server --------------------------------------------------------


def test_an_image_over_the_projects_pixel_limit_is_refused(learner_client, world, settings):
    settings.IMAGE_MAX_PIXELS = 1000
    response = post_add(learner_client, world, upload("huge.png", samples.png((40, 30))))
    assert "has too many pixels" in " ".join(file_errors(response))


def test_pillows_bomb_warning_is_treated_as_an_error(learner_client, world, monkeypatch):
    # Between Pillow's limit and twice it, Pillow itself only warns; the project refuses.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    response = post_add(learner_client, world, upload("bomb.png", samples.png((40, 30))))
    assert response.status_code == 200
    assert "has too many pixels" in " ".join(file_errors(response))


def test_a_damaged_image_gets_a_form_error_not_a_server_error(learner_client, world):
    response = post_add(learner_client, world, upload("cut.jpg", samples.jpeg((400, 300))[:400]))
    assert response.status_code == 200
    assert "is damaged or is not a picture we can read" in " ".join(file_errors(response))


def test_an_office_file_with_too_many_parts_is_refused_before_opening(learner_client, world, settings):
    settings.OFFICE_MAX_ENTRIES = 10
    response = post_add(learner_client, world, upload("many.docx", samples.docx(extra_entries=20)))
    assert "holds 22 parts" in " ".join(file_errors(response))


def test_an_office_file_that_unpacks_huge_is_refused(learner_client, world, settings):
    settings.OFFICE_MAX_UNPACKED_MB = 1
    bomb = samples.docx(padding_bytes=3_000_000)
    assert len(bomb) < 50_000
    response = post_add(learner_client, world, upload("bomb.docx", bomb))
    assert "would unpack to" in " ".join(file_errors(response))


# --- Changing and deleting ---------------------------------------------------------------------------------


def test_removing_a_file_on_edit_deletes_it_from_storage_after_commit(
    learner_client, world, django_capture_on_commit_callbacks
):
    record = attach(world, "a.png", samples.png())
    names = {record.file.name, record.thumbnail.name}
    data = {**form_data(), "remove_files": [record.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(reverse("evidence_edit", args=[record.evidence.pk]), data)
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()
    assert names.isdisjoint(stored_names())
    assert AuditEvent.objects.get(action="evidence.changed").data["files_removed"][0]["name"] == "a.png"


def test_edit_form_lists_attached_files_with_a_remove_box(learner_client, world):
    record = attach(world, "rota.xlsx", samples.xlsx())
    page = learner_client.get(reverse("evidence_edit", args=[record.evidence.pk])).content.decode()
    assert f'id="remove-file-{record.pk}"' in page and "rota.xlsx" in page


def test_deleting_evidence_deletes_its_files(world, django_capture_on_commit_callbacks):
    record = attach(world, "a.png", samples.png())
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=world.learner, evidence=record.evidence)
    assert stored_names() == []
    assert AuditEvent.objects.get(action="evidence.deleted").data["files"][0]["sha256"] == record.sha256


# --- Serving -----------------------------------------------------------------------------------------------


def _as(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.persona(persona))
    return client


def _disposition(response) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-disposition"] = response["Content-Disposition"]
    params = dict(message.get_params(header="content-disposition")[1:])
    return message.get_content_disposition(), params


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv", "ev", "admin"])
def test_everyone_linked_can_download_a_file_with_safe_headers(world, persona):
    content = samples.pdf()
    record = attach(world, "account.pdf", content)
    response = _as(world, persona).get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "private" in response["Cache-Control"]
    assert _disposition(response)[0] == "inline"


def test_a_file_changed_in_storage_is_refused_with_409_saying_so_and_audited(world):
    record = attach(world, "account.pdf", samples.pdf())
    rewrite_file(record.file, b"%PDF-1.4 a different account")
    response = _as(world, "assessor").get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "This file is not served: it is not the file that was stored" in page
    assert "The evidence file account.pdf no longer matches the SHA-256" in page
    event = AuditEvent.objects.get(action="file.altered_refused")
    assert (event.actor, event.target_id, event.portfolio_id) == (world.assessor, str(record.pk), world.portfolio.pk)
    assert event.data["expected_sha256"] == record.sha256 != event.data["actual_sha256"]


def test_a_file_gone_from_storage_is_refused_as_missing(world):
    record = attach(world, "account.pdf", samples.pdf())
    record.file.storage.delete(record.file.name)
    response = _as(world, "learner").get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 409
    assert "missing from storage" in response.content.decode()
    assert AuditEvent.objects.get(action="file.altered_refused").data["actual_sha256"] == "missing"


@pytest.mark.parametrize(
    ("name", "make", "inline"),
    [
        ("photo.png", samples.png, True),
        ("photo.jpg", samples.jpeg, True),
        ("account.pdf", samples.pdf, True),
        ("notes.docx", samples.docx, False),
        ("account.txt", lambda: samples.TEXT, False),
        ("IMG_1.heic", samples.heic, False),
    ],
)
def test_only_images_and_pdfs_show_inline(world, name, make, inline):
    record = attach(world, name, make())
    response = _as(world, "assessor").get(reverse("file_download", args=[record.pk]))
    assert _disposition(response)[0] == ("inline" if inline else "attachment")
    assert response["Content-Type"] == record.content_type


def test_asking_to_download_sends_even_a_pdf_as_an_attachment(world):
    record = attach(world, "account.pdf", samples.pdf())
    response = _as(world, "learner").get(reverse("file_download", args=[record.pk]) + "?download=1")
    assert _disposition(response)[0] == "attachment"


@pytest.mark.parametrize(
    "name",
    [
        'my "best" account.pdf',
        "line\r\nbreak\nSet-Cookie: x=1.pdf",
        "../../etc/passwd.pdf",
        "..\\..\\windows\\system.pdf",
        "ä" * 150 + ".pdf",
        "a" * 300 + ".pdf",
        "Réflexion – client fâché.pdf",
    ],
)
def test_awkward_file_names_never_break_the_header_or_reach_storage(world, name):
    record = attach(world, name, samples.pdf())
    assert "/" not in record.original_name and "\\" not in record.original_name
    assert "\n" not in record.original_name and "\r" not in record.original_name
    assert len(record.original_name) <= 255 and record.original_name.endswith(".pdf")
    assert record.file.name.startswith("evidence/") and "pdf" not in record.file.name
    response = _as(world, "learner").get(reverse("file_download", args=[record.pk]))
    header = response["Content-Disposition"]
    assert "\n" not in header and "\r" not in header
    disposition, params = _disposition(response)
    assert disposition == "inline"
    assert "Set-Cookie" not in response.headers
    sent = params.get("filename") or params.get("filename*")
    assert sent, header


def test_a_quoted_name_is_escaped_in_the_header(world):
    record = attach(world, 'my "best" account.pdf', samples.pdf())
    response = _as(world, "learner").get(reverse("file_download", args=[record.pk]))
    assert response["Content-Disposition"] == 'inline; filename="my \\"best\\" account.pdf"'


def test_a_non_ascii_name_is_sent_rfc_6266_encoded(world):
    record = attach(world, "Réflexion.pdf", samples.pdf())
    response = _as(world, "learner").get(reverse("file_download", args=[record.pk]))
    assert response["Content-Disposition"] == "inline; filename*=utf-8''R%C3%A9flexion.pdf"


def test_thumbnails_are_served_for_images_only(world):
    photo = attach(world, "photo.png", samples.png())
    response = _as(world, "iv").get(reverse("file_thumbnail", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Security-Policy"] == "sandbox"
    document = attach(world, "account.pdf", samples.pdf())
    assert _as(world, "iv").get(reverse("file_thumbnail", args=[document.pk])).status_code == 404


def test_an_unknown_file_is_404(world):
    assert _as(world, "admin").get(reverse("file_download", args=[999999])).status_code == 404
