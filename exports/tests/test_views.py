"""The export pages, driven through the test client: the cohort page with its filter, starting an export,
its progress, the download, a failure and its retry, one learner's exports, and a learner's own portable
portfolio; and who may open each of them."""

from __future__ import annotations

import datetime
import html
import io
import json
import re
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import PortfolioStatus
from audit.models import AuditEvent
from exports.models import Export, ExportKind, ExportStatus
from exports.services import export_build, export_request
from people.models import Membership, Qualification, Role
from tests.factories import PortfolioFactory, member
from tests.worker import run_worker

E = ExportStatus


# --- Helpers ---------------------------------------------------------------------------------------------------


def text_of(response) -> str:
    page = response.content.decode()
    main = page[page.index('<main id="main"') :] if '<main id="main"' in page else page
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def shown(response) -> set[int]:
    """The registrations listed on the cohort page."""
    return {p.pk for p in response.context["page"]}


def registration(world, name: str, **kwargs):
    learner = member(world.centre, Role.LEARNER, user__full_name=name)
    kwargs.setdefault("assessor", world.assessor)
    return PortfolioFactory(centre=world.centre, learner=learner, iv=world.iv, **kwargs)


def download(client, export: Export):
    response = client.get(reverse("export_download", args=[export.pk]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def cohort_export(world, portfolios=None, *, build: bool = False) -> Export:
    export = export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=ExportKind.COHORT,
        portfolios=portfolios or [world.portfolio],
        description="Cohort: every registration (1 registration)",
    )
    if build:
        export_build(str(export.pk))
        export.refresh_from_db()
    return export


def own_portable_export(world, learner=None, *, build: bool = False) -> Export:
    learner = learner or world.learner
    export = export_request(
        actor=learner,
        role=Role.LEARNER,
        centre=world.centre,
        kind=ExportKind.PORTABLE,
        portfolios=list(world.centre.portfolios.filter(learner=learner)),
        description=f"Portable portfolio: {learner.full_name}",
    )
    if build:
        export_build(str(export.pk))
        export.refresh_from_db()
    return export


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


# --- The cohort page and its filter ----------------------------------------------------------------------------


def test_admin_sees_the_cohort_page_with_the_centres_registrations_only(admin_client, world):
    ben = registration(world, "Ben Baker")
    elsewhere = PortfolioFactory(centre=world.other_centre, learner=member(world.other_centre, Role.LEARNER))
    response = admin_client.get(reverse("export_list"))
    assert response.status_code == 200
    assert shown(response) == {world.portfolio.pk, ben.pk}
    text = text_of(response)
    assert "Exports at Northgate Training" in text
    assert "Lena Learner" in text and "Ben Baker" in text
    assert elsewhere.learner.full_name not in text
    assert "2 registrations match (every registration)" in text


def test_filtering_by_assessor_narrows_the_list(admin_client, world):
    other_assessor = member(world.centre, Role.ASSESSOR, user__full_name="Omar Other")
    theirs = registration(world, "Ben Baker", assessor=other_assessor)
    response = admin_client.get(reverse("export_list"), {"assessor": other_assessor.pk})
    assert shown(response) == {theirs.pk}
    assert "1 registration match (assessor Omar Other)" in text_of(response)
    response = admin_client.get(reverse("export_list"), {"assessor": world.assessor.pk})
    assert shown(response) == {world.portfolio.pk}


def test_filtering_by_status_narrows_the_list(admin_client, world):
    done = registration(world, "Ben Baker", status=PortfolioStatus.COMPLETE)
    response = admin_client.get(reverse("export_list"), {"status": PortfolioStatus.COMPLETE})
    assert shown(response) == {done.pk}
    response = admin_client.get(reverse("export_list"), {"status": PortfolioStatus.IN_PROGRESS})
    assert shown(response) == {world.portfolio.pk}


def test_filtering_by_start_dates_narrows_the_list(admin_client, world):
    world.portfolio.start_date = datetime.date(2025, 1, 15)
    world.portfolio.save(update_fields=["start_date"])
    march = registration(world, "Ben Baker", start_date=datetime.date(2025, 3, 10))
    may = registration(world, "Cara Cole", start_date=datetime.date(2025, 5, 20))
    url = reverse("export_list")
    assert shown(admin_client.get(url, {"start_from": "2025-03-01"})) == {march.pk, may.pk}
    assert shown(admin_client.get(url, {"start_to": "2025-03-10"})) == {world.portfolio.pk, march.pk}
    response = admin_client.get(url, {"start_from": "2025-02-01", "start_to": "2025-04-30"})
    assert shown(response) == {march.pk}
    assert "started from 01/02/2025, started by 30/04/2025" in text_of(response)


def test_a_date_range_the_wrong_way_round_shows_the_error_beside_the_field(admin_client, world):
    response = admin_client.get(reverse("export_list"), {"start_from": "2025-05-01", "start_to": "2025-01-01"})
    assert response.status_code == 200
    page = response.content.decode()
    message = "This date is before the first one: swap them round."
    # The error sits in the field's own column, straight after its input, which points at it.
    field = re.search(r"<input[^>]*id=\"id_start_to\"[^>]*>", page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_start_to_error"' in field
    after = page[page.index(field) :]
    error = re.search(r'<div[^>]*id="id_start_to_error"[^>]*>(.*?)</div>', after)
    assert error and error.group(1).strip() == message
    assert after.index(message) < after.index("</div>\n")
    assert page.count(message) == 1


def test_the_cohort_page_runs_as_many_queries_for_30_registrations_as_for_3(admin_client, world):
    second_assessor = member(world.centre, Role.ASSESSOR, user__full_name="Omar Other")
    url = reverse("export_list")
    admin_client.get(url)  # settle the session first

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["page"].object_list)

    def grow(to: int) -> None:
        n = Export.objects.count()
        while world.centre.portfolios.count() < to:
            n += 1
            portfolio = registration(world, f"Learner {n:02d}", assessor=second_assessor if n % 2 else world.assessor)
            cohort_export(world, [portfolio])

    grow(3)
    three, shown_three = count()
    grow(30)
    thirty, shown_thirty = count()
    assert (shown_three, shown_thirty) == (3, 30)
    assert thirty == three


# --- Starting a cohort export ----------------------------------------------------------------------------------


def test_exporting_all_matching_creates_one_export_of_exactly_the_filtered_registrations(admin_client, world):
    done = [registration(world, f"Done {n}", status=PortfolioStatus.COMPLETE) for n in range(2)]
    registration(world, "Still Going")
    response = admin_client.post(reverse("export_cohort_start"), {"status": PortfolioStatus.COMPLETE, "scope": "all"})
    export = Export.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("export_detail", args=[export.pk])
    assert set(export.portfolios.all()) == set(done)
    assert (export.kind, export.centre, export.requested_by, export.total) == (
        ExportKind.COHORT,
        world.centre,
        world.admin,
        2,
    )
    assert not export.include_files
    assert export.description == "Cohort: status complete (2 registrations)"


def test_exporting_the_ticked_ones_with_none_ticked_shows_the_error_and_creates_nothing(admin_client, world):
    response = admin_client.post(reverse("export_cohort_start"), {"scope": "ticked"})
    assert response.status_code == 200
    assert "Tick at least one registration, or export everything that matches." in text_of(response)
    assert not Export.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_the_page_after_a_refused_start_still_lists_the_filtered_registrations(admin_client, world):
    done = registration(world, "Ben Baker", status=PortfolioStatus.COMPLETE)
    response = admin_client.post(
        reverse("export_cohort_start"), {"status": PortfolioStatus.COMPLETE, "scope": "ticked"}
    )
    assert "Tick at least one registration" in text_of(response)
    # The filter still holds: the list, its count and the "export all" button agree with what it would export.
    assert shown(response) == {done.pk}
    assert "Export all 1 matching" in text_of(response)


def test_include_files_stays_ticked_on_the_page_after_a_refused_start(admin_client, world):
    response = admin_client.post(reverse("export_cohort_start"), {"scope": "ticked", "include_files": "on"})
    assert "Tick at least one registration" in text_of(response)
    box = re.search(r'<input[^>]*id="include-files"[^>]*>', response.content.decode()).group(0)
    assert "checked" in box
    box = re.search(r'<input[^>]*id="include-files"[^>]*>', admin_client.get(reverse("export_list")).content.decode())
    assert "checked" not in box.group(0)


def test_ticking_a_registration_of_another_centre_is_refused(admin_client, world):
    elsewhere = PortfolioFactory(centre=world.other_centre, learner=member(world.other_centre, Role.LEARNER))
    response = admin_client.post(
        reverse("export_cohort_start"), {"scope": "ticked", "portfolio": [world.portfolio.pk, elsewhere.pk]}
    )
    assert response.status_code == 200
    assert "One of the ticked registrations is not at your centre." in text_of(response)
    assert not Export.objects.exists()


def test_the_ticked_registrations_and_include_files_are_carried(admin_client, world):
    ben = registration(world, "Ben Baker")
    registration(world, "Cara Cole")
    response = admin_client.post(
        reverse("export_cohort_start"),
        {"scope": "ticked", "portfolio": [world.portfolio.pk, ben.pk], "include_files": "on"},
    )
    export = Export.objects.get()
    assert response.url == reverse("export_detail", args=[export.pk])
    assert set(export.portfolios.all()) == {world.portfolio, ben}
    assert export.include_files is True
    assert export.description == "Cohort: ticked registrations (2 registrations)"


def test_starting_an_export_queues_its_task_once_the_request_commits(
    admin_client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("export_cohort_start"), {"scope": "all"})
    export = Export.objects.get()
    assert export.task_id == str(DBTaskResult.objects.get().id)
    assert AuditEvent.objects.filter(action="export.requested", actor=world.admin).count() == 1


# --- Progress, download, failure and retry ---------------------------------------------------------------------


def test_the_detail_page_shows_progress_and_polls_only_while_the_export_is_active(admin_client, world):
    export = cohort_export(world)
    detail = admin_client.get(reverse("export_detail", args=[export.pk]))
    assert detail.status_code == 200
    text = text_of(detail)
    assert "Waiting to start" in text and "0 of 1 registration done" in text
    assert 'hx-trigger="every 1s"' in detail.content.decode()
    progress_url = reverse("export_progress", args=[export.pk])
    partial = admin_client.get(progress_url)
    assert partial.status_code == 200
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert f'hx-get="{progress_url}"' in partial.content.decode()
    assert "<html" not in partial.content.decode()

    Export.objects.filter(pk=export.pk).update(status=E.RUNNING, done=1, total=2)
    partial = admin_client.get(progress_url)
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert "Being built" in text_of(partial) and "1 of 2 registrations done" in text_of(partial)
    assert 'value="50"' in partial.content.decode()

    Export.objects.filter(pk=export.pk).update(status=E.QUEUED, done=0, total=1)
    export_build(str(export.pk))
    partial = admin_client.get(progress_url)
    assert "hx-trigger" not in partial.content.decode()
    assert "Ready to download" in text_of(partial)
    assert reverse("export_download", args=[export.pk]) in partial.content.decode()
    detail = admin_client.get(reverse("export_detail", args=[export.pk]))
    assert "hx-trigger" not in detail.content.decode()


def test_after_the_worker_runs_the_download_is_a_private_zip_attachment_and_is_audited(
    admin_client, world, django_capture_on_commit_callbacks
):
    registration(world, "Ben Baker")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("export_cohort_start"), {"scope": "all"})
    export = Export.objects.get()
    assert admin_client.get(reverse("export_download", args=[export.pk])).status_code == 404  # not built yet
    run_worker()
    export.refresh_from_db()
    assert export.status == E.DONE
    assert "Download cohort-" in text_of(admin_client.get(response.url))

    response, data = download(admin_client, export)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    assert export.filename == f"cohort-{timezone.localdate().isoformat()}.zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "summary.csv" in names and sum(name.endswith(".pdf") for name in names) == 2
    audit = AuditEvent.objects.get(action="export.downloaded")
    assert (audit.actor, audit.actor_role, audit.centre, audit.target_id) == (
        world.admin,
        Role.ADMIN,
        world.centre,
        str(export.pk),
    )


def test_a_failed_export_shows_why_and_a_retry_button_and_retrying_requeues_it(
    admin_client, world, monkeypatch, django_capture_on_commit_callbacks
):
    export = cohort_export(world)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("exports.services.cohort_zip", broken)
    export_build(str(export.pk))
    detail = admin_client.get(reverse("export_detail", args=[export.pk]))
    text = text_of(detail)
    assert "Failed" in text and "OSError: disk full" in text
    retry_url = reverse("export_retry", args=[export.pk])
    assert f'action="{retry_url}"' in detail.content.decode()
    assert "Try again" in text
    assert "hx-trigger" not in detail.content.decode()
    assert admin_client.get(reverse("export_download", args=[export.pk])).status_code == 404

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(retry_url, follow=True)
    assert response.redirect_chain == [(reverse("export_detail", args=[export.pk]), 302)]
    assert "The export has been queued again." in messages_of(response)
    export.refresh_from_db()
    assert (export.status, export.attempts, export.error) == (E.QUEUED, 2, "")
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert export.task_id == str(DBTaskResult.objects.get().id)
    assert AuditEvent.objects.filter(action="export.retried").count() == 1
    run_worker()
    export.refresh_from_db()
    assert export.status == E.DONE


def test_retrying_an_export_that_has_not_failed_says_why_and_changes_nothing(admin_client, world):
    export = cohort_export(world, build=True)
    response = admin_client.post(reverse("export_retry", args=[export.pk]), follow=True)
    assert messages_of(response) == ["This export is ready to download, so it cannot become waiting to start."]
    export.refresh_from_db()
    assert (export.status, export.attempts) == (E.DONE, 1)


def test_export_pages_refuse_the_wrong_method(admin_client, world):
    export = cohort_export(world)
    assert admin_client.get(reverse("export_cohort_start")).status_code == 405
    assert admin_client.get(reverse("export_retry", args=[export.pk])).status_code == 405
    assert admin_client.post(reverse("export_download", args=[export.pk])).status_code == 405


# --- One learner's exports -------------------------------------------------------------------------------------


def test_the_learner_export_page_lists_their_registrations_and_both_exports(admin_client, world, second_portfolio):
    response = admin_client.get(reverse("export_learner", args=[world.learner.pk]))
    assert response.status_code == 200
    text = text_of(response)
    assert "Export Lena Learner's records" in text
    assert set(response.context["portfolios"]) == {world.portfolio, second_portfolio}
    assert "Export the records (PDF)" in text and "Export the portable portfolio (ZIP)" in text


def test_the_cohort_page_links_each_learner_to_their_export_page(admin_client, world):
    response = admin_client.get(reverse("export_list"))
    assert reverse("export_learner", args=[world.learner.pk]) in response.content.decode()


def test_an_admin_exports_one_learners_records_as_one_pdf(
    admin_client, world, second_portfolio, django_capture_on_commit_callbacks
):
    url = reverse("export_learner_start", args=[world.learner.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"kind": ExportKind.LEARNER})
    export = Export.objects.get()
    assert response.url == reverse("export_detail", args=[export.pk])
    assert (export.kind, export.learner, export.total) == (ExportKind.LEARNER, world.learner, 2)
    run_worker()
    response, data = download(admin_client, export)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="lena-learner-cg-0001-records.pdf"'
    assert data.startswith(b"%PDF-")


def test_an_admin_exports_one_learners_portable_portfolio_as_a_zip(
    admin_client, world, django_capture_on_commit_callbacks
):
    url = reverse("export_learner_start", args=[world.learner.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"kind": ExportKind.PORTABLE})
    export = Export.objects.get()
    assert (export.kind, export.learner, export.include_files) == (ExportKind.PORTABLE, world.learner, True)
    run_worker()
    response, data = download(admin_client, export)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="lena-learner-cg-0001-portfolio.zip"'
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(archive.read("manifest.json"))["learner"]["name"] == "Lena Learner"


def test_a_learner_export_of_an_unknown_kind_is_refused(admin_client, world):
    response = admin_client.post(reverse("export_learner_start", args=[world.learner.pk]), {"kind": "cohort"})
    assert response.url == reverse("export_learner", args=[world.learner.pk])
    assert not Export.objects.exists()


def test_the_learner_export_pages_of_a_learner_elsewhere_are_404_for_the_admin(admin_client, world):
    elsewhere = PortfolioFactory(centre=world.other_centre, learner=member(world.other_centre, Role.LEARNER))
    learner = elsewhere.learner
    assert admin_client.get(reverse("export_learner", args=[learner.pk])).status_code == 404
    response = admin_client.post(reverse("export_learner_start", args=[learner.pk]), {"kind": ExportKind.LEARNER})
    assert response.status_code == 404
    assert not Export.objects.exists()


# --- A learner's own portable portfolio ------------------------------------------------------------------------


def test_a_learner_packs_their_own_portfolio_follows_it_and_downloads_it(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world.learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_mine_start"))
    export = Export.objects.get()
    assert response.url == reverse("export_detail", args=[export.pk])
    assert (export.kind, export.learner, export.requested_by, export.requested_role) == (
        ExportKind.PORTABLE,
        world.learner,
        world.learner,
        Role.LEARNER,
    )
    detail = client.get(response.url)
    assert detail.status_code == 200
    assert "Waiting to start" in text_of(detail)
    assert "Back to your dashboard" in text_of(detail)
    assert client.get(reverse("export_progress", args=[export.pk])).status_code == 200
    run_worker()
    response, data = download(client, export)
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    audit = AuditEvent.objects.get(action="export.downloaded")
    assert (audit.actor, audit.actor_role) == (world.learner, Role.LEARNER)


def test_a_learner_with_no_registration_is_told_there_is_nothing_to_export(client, world):
    client.force_login(member(world.centre, Role.LEARNER))
    response = client.post(reverse("export_mine_start"), follow=True)
    assert response.redirect_chain[-1] == (reverse("home"), 302)
    assert messages_of(response) == ["No registrations match: there is nothing to export."]
    assert not Export.objects.exists()


def test_the_centre_admin_also_sees_a_learners_own_export(admin_client, world):
    export = own_portable_export(world, build=True)
    assert admin_client.get(reverse("export_detail", args=[export.pk])).status_code == 200
    assert admin_client.get(reverse("export_download", args=[export.pk])).status_code == 200


@pytest.mark.parametrize("name", ["export_detail", "export_progress", "export_download"])
def test_another_learner_at_the_same_centre_gets_404_for_a_learners_own_export(client, world, name):
    export = own_portable_export(world, build=True)
    client.force_login(registration(world, "Ben Baker").learner)
    assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert client.post(reverse("export_retry", args=[export.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["assessor", "iv", "ev"])
def test_people_linked_to_the_learners_portfolio_get_403_for_their_own_export(client, world, persona):
    export = own_portable_export(world, build=True)
    client.force_login(world.persona(persona))
    assert client.get(reverse("export_detail", args=[export.pk])).status_code == 403
    assert client.get(reverse("export_download", args=[export.pk])).status_code == 403


def test_an_assessor_of_other_learners_gets_404_for_a_learners_own_export(client, world):
    export = own_portable_export(world, build=True)
    client.force_login(member(world.centre, Role.ASSESSOR))
    assert client.get(reverse("export_detail", args=[export.pk])).status_code == 404


def test_a_learner_acting_in_another_role_is_asked_to_switch_to_fetch_their_own_export(client, world):
    export = own_portable_export(world, build=True)
    assessor = Membership.objects.create(
        user=world.learner, centre=world.centre, role=Role.ASSESSOR, qualification=Qualification.QUALIFIED
    )
    client.force_login(world.learner)
    client.post(reverse("role_switch"), {"role": f"m{assessor.pk}"})
    assert client.get(reverse("export_download", args=[export.pk])).status_code == 403


@pytest.mark.parametrize("name", ["export_detail", "export_progress", "export_download"])
def test_a_learner_gets_403_for_an_admins_cohort_export_at_their_centre(client, world, name):
    # Linked to the centre, so told no (403) rather than "no such export"; the cohort even holds their registration.
    export = cohort_export(world, build=True)
    client.force_login(world.learner)
    assert client.get(reverse(name, args=[export.pk])).status_code == 403
    assert client.post(reverse("export_retry", args=[export.pk])).status_code == 403


def test_a_learner_gets_403_for_an_admin_made_export_of_their_own_records(client, world):
    # Only the portable portfolio a learner packed themselves is theirs to fetch.
    export = export_request(
        actor=world.admin,
        role=Role.ADMIN,
        centre=world.centre,
        kind=ExportKind.PORTABLE,
        portfolios=[world.portfolio],
        description="Portable portfolio: Lena Learner",
    )
    client.force_login(world.learner)
    assert client.get(reverse("export_detail", args=[export.pk])).status_code == 403


def test_the_outsider_gets_404_for_everything(client, world):
    cohort = cohort_export(world, build=True)
    own = own_portable_export(world, build=True)
    client.force_login(world.outsider)
    for export in (cohort, own):
        for name in ["export_detail", "export_progress", "export_download"]:
            assert client.get(reverse(name, args=[export.pk])).status_code == 404, name
        assert client.post(reverse("export_retry", args=[export.pk])).status_code == 404
    assert client.get(reverse("export_learner", args=[world.learner.pk])).status_code == 404
    response = client.post(reverse("export_learner_start", args=[world.learner.pk]), {"kind": ExportKind.LEARNER})
    assert response.status_code == 404
    # Their own centre's cohort page shows nothing of ours, and they cannot tick our registrations.
    page = client.get(reverse("export_list"))
    assert page.status_code == 200 and "Lena Learner" not in text_of(page)
    response = client.post(reverse("export_cohort_start"), {"scope": "ticked", "portfolio": [world.portfolio.pk]})
    assert "One of the ticked registrations is not at your centre." in text_of(response)
    assert Export.objects.count() == 2


def test_an_unknown_export_is_404(admin_client):
    assert admin_client.get(reverse("export_detail", args=["00000000-0000-4000-8000-000000000000"])).status_code == 404


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv", "ev"])
def test_only_centre_admins_open_the_admin_export_pages(client, world, persona, django_capture_on_commit_callbacks):
    export = cohort_export(world, build=True)
    client.force_login(world.persona(persona))
    assert client.get(reverse("export_list")).status_code == 403
    assert client.post(reverse("export_cohort_start"), {"scope": "all"}).status_code == 403
    assert client.get(reverse("export_learner", args=[world.learner.pk])).status_code == 403
    response = client.post(reverse("export_learner_start", args=[world.learner.pk]), {"kind": ExportKind.LEARNER})
    assert response.status_code == 403
    for name in ["export_detail", "export_progress", "export_download"]:
        assert client.get(reverse(name, args=[export.pk])).status_code == 403, name
    assert client.post(reverse("export_retry", args=[export.pk])).status_code == 403
    assert Export.objects.count() == 1


@pytest.mark.parametrize("persona", ["assessor", "iv", "ev", "admin"])
def test_only_a_learner_packs_their_own_portfolio(client, world, persona):
    client.force_login(world.persona(persona))
    assert client.post(reverse("export_mine_start")).status_code == 403
    assert not Export.objects.exists()


# Every export view, GET and POST, for every persona and for anonymous visitors: tests/test_access_matrix.py.
