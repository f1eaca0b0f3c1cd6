"""The site run as on several machines (tests/multi/cluster.py): two gunicorn instances behind one address that deals
each request to the next instance in turn, an RQ worker, files in a private bucket on the local S3 server, the cache
and the queue in the local Redis, one PostgreSQL database, DEBUG off. A learner uploads evidence (refused once, the
file kept for the next try), signs; the assessor judges, opens the file and signs; the IV releases the unit; the
admin exports the records, which the worker builds; a stranger checks the record on the public verification page; a
checkpoint signed on one more machine is checked from another. Every step crosses instances; afterwards both
instances have served pages and forms, the verification page's limit and the sign-in throttle hold across them, and
with the worker stopped both say they are not ready.

Needs PostgreSQL and Redis (skipped, saying which, without them, except where REQUIRE_MULTI_INSTANCE_TESTS is set, as
.ci/run does for its PostgreSQL run), and Chromium.
"""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection
from playwright.sync_api import expect

from assessments.models import Evidence, EvidenceFile, Portfolio, PortfolioStatus, RecordCode
from assessments.records.checkpoints import new_key_text, public_key_text
from assessments.tests.test_signoff import cover_everything
from exports.models import Export, ExportStatus
from people.models import User
from tests import samples
from tests.browser.conftest import close_watched, watched_context, watched_page
from tests.browser.helpers import menu, said_once
from tests.browser.test_evidence import fill_evidence_form
from tests.browser.test_sign_in import sign_in
from tests.factories import PASSWORD
from tests.multi.cluster import Cluster, machine_env, start_cluster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Database 13 of the local Redis, which nothing else of the project uses: the cache and the task queue.
REDIS_URL = os.environ.get("TEST_MULTI_REDIS_URL", "redis://127.0.0.1:6379/13")
MISSES = 6
UPLOAD = samples.png((800, 600))


def _needs(what: str) -> None:
    # CI (.ci/run) requires it: there a skip would hide a site that no longer runs on two machines.
    if os.environ.get("CI") or os.environ.get("REQUIRE_MULTI_INSTANCE_TESTS"):
        pytest.fail(f"The multi-instance test cannot run: {what}")
    pytest.skip(f"The multi-instance test needs PostgreSQL and Redis: {what}")


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        _needs(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def cluster(transactional_db, shared_redis, s3_server, tmp_path):
    if connection.vendor != "postgresql":
        _needs("the tests run on SQLite (set DATABASE_URL to a PostgreSQL database)")
    bucket = f"multi-{uuid.uuid4().hex[:16]}"
    s3 = s3_server.shared_client()
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    options = s3_server.storage_options(bucket)
    # What each machine's environment holds: nothing else of the test process's leaks in.
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio.settings",
        ENV_FILE="",
        DEBUG="false",
        SECRET_KEY="multi-instance-test-key-" + uuid.uuid4().hex + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        DATABASE_URL=_database_url(),
        REDIS_URL=shared_redis,
        CACHE_KEY_PREFIX="multi-test",
        TASKS_BACKEND="rq",
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=options["endpoint_url"],
        AWS_S3_REGION_NAME=options["region_name"],
        AWS_ACCESS_KEY_ID=options["access_key"],
        AWS_SECRET_ACCESS_KEY=options["secret_key"],
        CHECKPOINT_LOG="storage:checkpoints/",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        VERIFY_MISSES_PER_HOUR=str(MISSES),
    )
    running = start_cluster(env, tmp_path)
    yield running
    running.stop()
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    if listed:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": item["Key"]} for item in listed]})
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def people(world):
    """The personas, their unit covered by four accepted items, with passwords the instances' own hashers read (the
    tests' fast hasher is the test process's only)."""
    cover_everything(world)
    User.objects.update(password=make_password(PASSWORD, hasher=PBKDF2PasswordHasher()))
    return world


def test_a_unit_is_evidenced_signed_exported_and_verified_across_two_instances(browser, cluster: Cluster, people):
    world = people
    contexts = []

    def open_as(email: str | None):
        context = watched_context(browser, cluster)
        contexts.append(context)
        page = watched_page(context, 30_000)
        if email:
            sign_in(page, email)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        return page

    try:
        _journey(cluster, world, open_as)
    except Exception:
        print(cluster.logs())
        raise
    finally:
        close_watched(contexts)


def _journey(cluster: Cluster, world, open_as) -> None:
    # Each instance answers its readiness probe, the worker's heartbeat in Redis included.
    probe = open_as(None)
    for _ in cluster.ports:
        assert _ready(probe) == (200, "ok")

    # The learner adds an item with a photo; the form is refused for its title first and keeps the photo, in the
    # bucket, for the next try, which the other instance answers.
    learner = open_as(world.learner.email)
    learner.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    fill_evidence_form(learner, world, title="")
    learner.get_by_label("Files").set_input_files([{"name": "till.png", "mimeType": "image/png", "buffer": UPLOAD}])
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("This field is required.")).to_be_visible()
    expect(learner.get_by_text("Kept: till.png, ")).to_be_visible()
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Refund at the till")
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E5 Refund at the till")).to_be_visible()
    photo = EvidenceFile.objects.get(evidence__portfolio=world.portfolio)
    assert (photo.original_name, photo.size) == ("till.png", len(UPLOAD))

    learner.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    learner.get_by_label("I confirm that the evidence provided is a result of my own work.").check()
    learner.get_by_label("Your password, to sign").fill(PASSWORD)
    learner.get_by_role("button", name="Submit for assessment").click()
    expect(learner.get_by_text("Status: Submitted by the learner")).to_be_visible()

    # The assessor opens the photo (streamed from the bucket by whichever instance answers), judges it and signs.
    assessor = open_as(world.assessor.email)
    for _ in cluster.ports:
        response = assessor.request.get(f"/files/{photo.pk}/")
        assert response.status == 200 and response.body() == UPLOAD
    item = Evidence.objects.get(portfolio=world.portfolio, number=5)
    assessor.goto(f"/evidence/{item.pk}/review/")
    for radio in assessor.get_by_role("radio", name="Confirmed").all():
        radio.check()
    assessor.get_by_label("Accept the evidence").check()
    assessor.get_by_role("button", name="Save my judgement").click()
    expect(assessor).not_to_have_url(f"/evidence/{item.pk}/review/")
    assessor.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    assessor.get_by_label("Your password, to sign").fill(PASSWORD)
    assessor.get_by_role("button", name="Sign as assessor").click()
    expect(assessor.get_by_text("Status: Signed by the assessor")).to_be_visible()

    iv = open_as(world.iv.email)
    iv.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    iv.get_by_role("button", name="Release without sampling").click()
    expect(iv.get_by_text("Status: Complete")).to_be_visible()
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == PortfolioStatus.COMPLETE

    # The nightly checkpoint, signed on a machine of its own (the only one with the key), goes to the bucket
    # (CHECKPOINT_LOG=storage:checkpoints/), where any other machine checks the history against it.
    key = new_key_text()
    signed = cluster.manage("records_checkpoint", "--no-email", RECORDS_SIGNING_KEY=key, **elsewhere(cluster, "cron"))
    assert signed.returncode == 0 and "appended to storage:checkpoints/" in signed.stdout, signed.stderr
    public = public_key_text(Ed25519PrivateKey.from_private_bytes(base64.b64decode(key)).public_key())
    checked = cluster.manage(
        "verify_records", "--checkpoint", "storage:checkpoints/", RECORDS_PUBLIC_KEY=public, **elsewhere(cluster, "it")
    )
    assert checked.returncode == 0 and "still holds 1 signed checkpoint(s)" in checked.stdout, checked.stdout

    # The admin exports the learner's records; the worker builds the PDF into the bucket; the page, polling
    # whichever instance, shows the link, and the download is streamed from the bucket.
    admin = open_as(world.admin.email)
    menu(admin, "Exports")
    admin.get_by_role("link", name="Export this learner Lena Learner").click()
    admin.get_by_role("button", name="Export the records (PDF)").click()
    said_once(admin, "Your export has started. This page shows its progress.")
    link = admin.get_by_role("link", name="Download ")
    expect(link).to_be_visible(timeout=120_000)
    export = Export.objects.get()
    assert export.status == ExportStatus.DONE
    with admin.expect_download() as download:
        link.click()
    assert download.value.failure() is None
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # A stranger checks the record's code on the public page.
    code = RecordCode.objects.get(portfolio=world.portfolio, round=1).code
    stranger = open_as(None)
    stranger.goto("/verify/")
    stranger.get_by_label("Record code").fill(code.lower())
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_text("Genuine and unaltered.", exact=True)).to_be_visible()

    # Every step crossed instances: both served pages and both took forms.
    assert not [s for s in cluster.proxy.served if s.status >= 500], cluster.proxy.served
    assert set(cluster.proxy.counts()) == {0, 1}
    assert set(cluster.proxy.counts(method="POST")) == {0, 1}

    # The verification page's limit on unknown codes is counted once for both instances, in Redis: the misses
    # alternate between them, and the one past the limit is refused, whichever instance it reaches.
    statuses = [stranger.request.get(f"/verify/ZZZZ{n:04d}ZZZZ/").status for n in range(MISSES + 2)]
    assert statuses == [404] * MISSES + [429, 429]
    # So do failed sign-ins (counted in the database): the guesses alternate between instances, and the account is
    # paused after the fifth wherever the next one lands.
    guesser = open_as(None)
    for _ in range(5):
        sign_in(guesser, world.learner.email, password="not-the-password")
    sign_in(guesser, world.learner.email)
    expect(guesser.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    for page in (learner, assessor, iv, admin, stranger):
        assert page.problems == [], page.problems

    # With the worker stopped, both instances say so to the load balancer, and nothing more.
    next(p for p in cluster.processes if p.name == "worker").stop()
    for _ in cluster.ports:
        response = probe.request.get("/readyz")
        assert response.status == 503
        assert response.json()["checks"] == {"database": "ok", "storage": "ok", "cache": "ok", "worker": "not running"}


def elsewhere(cluster: Cluster, name: str) -> dict[str, str]:
    """The local folders of another machine, which has none of the web instances' files."""
    folder = Path(cluster.env["STATIC_ROOT"]).parent / name
    return machine_env({}, folder)


def _ready(page) -> tuple[int, str]:
    response = page.request.get("/readyz")
    return response.status, response.json()["status"]
