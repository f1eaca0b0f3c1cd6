"""Files in a private S3 bucket (STORAGE_BACKEND=s3), against the local S3 server (tests/s3.py): the settings, the
bucket's privacy, and downloads that keep their access check, with a large file handed over as a short-lived
signed URL only after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from assessments.tests.test_file_views import attach
from exports.models import ExportStatus
from exports.tests.test_views import cohort_export
from tests import samples

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str) -> tuple[int, Message, bytes]:
    """The bucket's answer to a plain HTTP GET, as a browser following the redirect would get it (no keys)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


@pytest.fixture
def on_s3(s3_bucket, settings):
    # Each of these tests has a bucket, whichever storage the rest of the run uses.
    return s3_bucket


# --- Settings ---------------------------------------------------------------------------------------------------


def _settings_in_a_new_process(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_BACKEND"))}
    clean.update(ENV_FILE="", DEBUG="true", **env)
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portfolio.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_storage_backend_s3_reads_the_django_storages_names_and_keeps_the_bucket_private():
    result = _settings_in_a_new_process(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="college-portfolio",
        AWS_S3_ENDPOINT_URL="http://objects.internal:9000",
        AWS_S3_REGION_NAME="eu-west-2",
        AWS_ACCESS_KEY_ID="key-id",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "college-portfolio",
        "http://objects.internal:9000",
        "eu-west-2",
    )
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    # Private objects, no signed URL from .url, no file replaced by another of the same name, path addressing for
    # a server of the college's own.
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is False
    assert options["file_overwrite"] is False
    assert options["addressing_style"] == "path"


def test_storage_backend_s3_without_a_bucket_stops_start_up_naming_the_variable():
    result = _settings_in_a_new_process(STORAGE_BACKEND="s3")
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_an_unknown_storage_backend_stops_start_up():
    result = _settings_in_a_new_process(STORAGE_BACKEND="nfs")
    assert result.returncode != 0
    assert "STORAGE_BACKEND must be filesystem or s3" in result.stderr


def test_by_default_files_are_on_the_file_system():
    result = _settings_in_a_new_process()
    assert result.returncode == 0, result.stderr
    assert '"django.core.files.storage.FileSystemStorage"' in result.stdout


# --- The bucket -------------------------------------------------------------------------------------------------


def test_an_uploaded_evidence_file_is_an_object_in_the_bucket_that_answers_nobody_without_a_signature(
    on_s3, world, s3_server
):
    photo = samples.png()
    record = attach(world, "till.png", photo)
    listed = s3_server.client().list_objects_v2(Bucket=on_s3)["Contents"]
    assert record.file.name in {item["Key"] for item in listed}
    with default_storage.open(record.file.name) as stored:
        assert stored.read() == photo
    status, _, _ = fetch(f"{s3_server.endpoint}/{on_s3}/{record.file.name}")
    assert status == 403


# --- Downloads --------------------------------------------------------------------------------------------------


def test_a_small_file_in_the_bucket_is_streamed_through_the_view(on_s3, client, world, settings):
    settings.S3_REDIRECT_BYTES = 10_000_000
    document = samples.pdf()
    record = attach(world, "account.pdf", document)
    client.force_login(world.assessor)
    response = client.get(reverse("file_download", args=[record.pk]) + "?download=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document
    assert response["Content-Disposition"] == 'attachment; filename="account.pdf"'


def test_a_large_file_is_a_redirect_to_a_short_lived_signed_url_after_the_access_check(
    on_s3, client, world, settings, s3_server
):
    settings.S3_REDIRECT_BYTES = 100
    settings.S3_SIGNED_URL_SECONDS = 45
    document = samples.pdf()
    assert len(document) > 100
    record = attach(world, "my account.pdf", document)

    client.force_login(world.outsider)
    refused = client.get(reverse("file_download", args=[record.pk]))
    assert refused.status_code == 404 and "Location" not in refused

    client.force_login(world.assessor)
    response = client.get(reverse("file_download", args=[record.pk]) + "?download=1")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{s3_server.endpoint}/{on_s3}/{record.file.name}?")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["45"]
    assert "X-Amz-Signature" in query
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    status, headers, body = fetch(url)
    assert status == 200 and body == document
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="my account.pdf"'
    # The name and type travel in the signed query (S3 checks the signature; the local server does not).
    assert query["response-content-disposition"] == ['attachment; filename="my account.pdf"']
    assert query["response-content-type"] == ["application/pdf"]


def test_a_large_image_shown_in_the_page_is_signed_to_show_inline(on_s3, client, world, settings):
    settings.S3_REDIRECT_BYTES = 100
    record = attach(world, "till.png", samples.png(size=(200, 200)))
    client.force_login(world.learner)
    response = client.get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 302
    status, headers, _ = fetch(response["Location"])
    assert status == 200
    assert headers["Content-Disposition"] == 'inline; filename="till.png"'
    assert headers["Content-Type"] == "image/png"


def test_a_thumbnail_is_always_streamed_since_pages_may_load_images_from_the_site_only(on_s3, client, world, settings):
    settings.S3_REDIRECT_BYTES = 1
    record = attach(world, "till.png", samples.png(size=(400, 300)))
    assert record.thumbnail
    client.force_login(world.learner)
    response = client.get(reverse("file_thumbnail", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_changed_large_file_is_refused_rather_than_redirected(on_s3, client, world, settings, s3_server):
    settings.S3_REDIRECT_BYTES = 100
    record = attach(world, "account.pdf", samples.pdf())
    s3_server.client().put_object(Bucket=on_s3, Key=record.file.name, Body=samples.pdf("Something else"))
    client.force_login(world.assessor)
    response = client.get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 409
    assert "Location" not in response


def test_a_large_export_is_a_redirect_to_a_signed_attachment_for_its_admin_only(on_s3, client, world, settings):
    settings.S3_REDIRECT_BYTES = 100
    export = cohort_export(world, build=True)
    assert export.status == ExportStatus.DONE and export.size > 100
    client.force_login(world.outsider)
    assert client.get(reverse("export_download", args=[export.pk])).status_code == 404
    client.force_login(world.admin)
    response = client.get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 302
    status, headers, body = fetch(response["Location"])
    assert status == 200 and len(body) == export.size
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"] == f'attachment; filename="{export.filename}"'


def test_with_redirects_off_even_a_large_file_is_streamed(on_s3, client, world, settings):
    settings.S3_REDIRECT_BYTES = 0
    export = cohort_export(world, build=True)
    client.force_login(world.admin)
    response = client.get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) == export.size


def test_files_on_the_file_system_are_never_redirected(client, world, settings, tmp_path):
    settings.S3_REDIRECT_BYTES = 1
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    document = samples.pdf()
    record = attach(world, "account.pdf", document)
    client.force_login(world.assessor)
    response = client.get(reverse("file_download", args=[record.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document
