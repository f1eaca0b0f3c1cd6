"""The learner builds their portfolio: adding, changing and deleting evidence,
the specification's rules, and the coverage grid."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile as Upload
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.evidence.services.files import files_hold, files_prune_pending
from assessments.evidence.uploads import NAME_MAX_CHARS, inspect_upload, size_text
from assessments.models import Evidence, EvidenceFile, EvidenceSetting
from audit.models import AuditEvent
from people.models import Role
from tests import samples
from tests.clients import CsrfClient
from tests.factories import PortfolioFactory, member
from tests.pages import assert_one_layout, page_text
from units.models import AssessmentMethod, AwardingBody, Criterion, RangeItem


def crit(code: str) -> Criterion:
    outcome, number = code.split(".")
    return Criterion.objects.get(outcome__number=int(outcome), number=int(number))


def rng(letter: str) -> RangeItem:
    return RangeItem.objects.get(letter=letter)


def add(world, *, criteria=(), range_items=(), setting=EvidenceSetting.REAL_WORK, days_ago=1, method="O", **extra):
    return services.evidence_save(
        actor=world.learner,
        portfolio=world.portfolio,
        title=extra.pop("title", "Angry caller about a late delivery"),
        method=AssessmentMethod.objects.get(code=method),
        activity_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        setting=setting,
        criteria=[crit(c) for c in criteria],
        range_items=[rng(r) for r in range_items],
        **extra,
    )


def form_data(**overrides):
    data = {
        "title": "Customer complaint at the till",
        "method": AssessmentMethod.objects.get(code="RA").pk,
        "activity_date": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "setting": EvidenceSetting.REAL_WORK,
        "description": "A customer shouted about a refund; I listened and explained our policy.",
        "criteria": [crit("2.1").pk, crit("2.4").pk],
        "range_items": [rng("b").pk],
    }
    data.update(overrides)
    return data


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


def test_learner_adds_evidence_with_criteria_and_range_and_it_shows_in_the_grid(learner_client, world):
    response = learner_client.post(reverse("evidence_add", args=[world.portfolio.pk]), form_data())
    assert response.status_code == 302
    evidence = Evidence.objects.get(portfolio=world.portfolio)
    assert evidence.reference == "E1"
    assert sorted(c.code for c in evidence.criteria.all()) == ["2.1", "2.4"]
    assert [r.letter for r in evidence.range_items.all()] == ["b"]
    assert AuditEvent.objects.filter(action="evidence.added", target_id=str(evidence.pk)).exists()
    grid = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert "2 of 27 criteria, 1 of 4 range items" in grid
    assert "Nothing yet during routine delivery of customer service" in grid


def test_references_are_numbered_in_order_and_never_reused_after_a_deletion(learner_client, world):
    first, second = add(world), add(world)
    assert (first.reference, second.reference) == ("E1", "E2")
    learner_client.post(reverse("evidence_delete", args=[second.pk]))
    assert not Evidence.objects.filter(pk=second.pk).exists()
    assert add(world).reference == "E3"


def test_simulation_cannot_cover_performance_criteria_or_the_range(learner_client, world):
    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(setting=EvidenceSetting.SIMULATION, criteria=[crit("2.1").pk], range_items=[rng("b").pk]),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (
        "Simulation is not allowed for performance evidence in this unit, so it cannot cover 2.1." in errors["criteria"]
    )
    assert "range_items" in errors
    assert not Evidence.objects.exists()
    assert world.portfolio.__class__.objects.get(pk=world.portfolio.pk).evidence_counter == 0


def test_simulation_may_cover_knowledge_criteria(learner_client, world):
    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(setting=EvidenceSetting.SIMULATION, criteria=[crit("3.6").pk], range_items=[]),
    )
    assert response.status_code == 302
    assert Evidence.objects.get().setting == EvidenceSetting.SIMULATION


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda w: timezone.localdate() + datetime.timedelta(days=1), "cannot be in the future"),
        (lambda w: w.portfolio.start_date - datetime.timedelta(days=1), "before this registration started"),
    ],
)
def test_activity_date_in_the_future_or_before_the_start_is_refused(learner_client, world, when, message):
    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]), form_data(activity_date=when(world).isoformat())
    )
    assert message in " ".join(response.context["form"].errors["activity_date"])
    assert not Evidence.objects.exists()


def test_witness_testimony_needs_the_witness_and_their_statement(learner_client, world):
    method = AssessmentMethod.objects.get(code="WT").pk
    response = learner_client.post(reverse("evidence_add", args=[world.portfolio.pk]), form_data(method=method))
    errors = response.context["form"].errors
    assert {"witness_name", "witness_email", "witness_statement"} <= set(errors)
    assert not Evidence.objects.exists()
    response = learner_client.post(
        reverse("evidence_add", args=[world.portfolio.pk]),
        form_data(
            method=method,
            witness_name="Sam Supervisor",
            witness_job_title="Shift manager",
            witness_relationship="Line manager",
            witness_email="sam@shop.example",
            witness_statement="I saw Lena calm an angry customer.",
        ),
    )
    assert response.status_code == 302
    assert Evidence.objects.get().witness_name == "Sam Supervisor"


def test_learner_changes_their_evidence_mapping(learner_client, world):
    evidence = add(world, criteria=["1.1"])
    response = learner_client.post(
        reverse("evidence_edit", args=[evidence.pk]), form_data(criteria=[crit("1.2").pk], range_items=[])
    )
    assert response.status_code == 302
    assert [c.code for c in evidence.criteria.all()] == ["1.2"]
    assert AuditEvent.objects.filter(action="evidence.changed").count() == 1


def test_the_form_saves_the_customer_and_occasion_and_keeps_them_on_a_refused_submit(learner_client, world):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    refused = learner_client.post(
        url, form_data(customer_ref="Customer A", occasion_ref="Shift 14", activity_date="2999-01-01")
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'value="Customer A"' in page and 'value="Shift 14"' in page
    assert "not their name or details" in page
    assert not Evidence.objects.exists()
    assert learner_client.post(url, form_data(customer_ref=" Customer A ", occasion_ref="Shift 14")).status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.customer_ref, evidence.occasion_ref) == ("Customer A", "Shift 14")
    event = AuditEvent.objects.get(action="evidence.added")
    assert (event.data["customer_ref"], event.data["occasion_ref"]) == ("Customer A", "Shift 14")
    edit = learner_client.get(reverse("evidence_edit", args=[evidence.pk])).content.decode()
    assert 'value="Customer A"' in edit
    detail = learner_client.get(reverse("evidence_detail", args=[evidence.pk])).content.decode()
    assert '<dt class="col-sm-3">Customer</dt><dd class="col-sm-9">Customer A</dd>' in detail
    assert '<dt class="col-sm-3">Occasion</dt><dd class="col-sm-9">Shift 14</dd>' in detail
    learner_client.post(reverse("evidence_edit", args=[evidence.pk]), form_data(customer_ref="Order 991"))
    evidence.refresh_from_db()
    assert (evidence.customer_ref, evidence.occasion_ref) == ("Order 991", "")


def test_deleting_asks_for_confirmation_first(learner_client, world):
    evidence = add(world)
    page = learner_client.get(reverse("evidence_delete_confirm", args=[evidence.pk])).content.decode()
    assert "will not be used again" in page
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert learner_client.get(reverse("evidence_delete", args=[evidence.pk])).status_code == 405


def test_criterion_covered_on_one_date_only_is_flagged(learner_client, world):
    add(world, criteria=["2.1"], days_ago=3)
    add(world, criteria=["2.1"], days_ago=3)
    add(world, criteria=["2.2"], days_ago=3)
    add(world, criteria=["2.2"], days_ago=5)
    coverage = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).context["coverage"]
    flagged = [row.criterion.code for row in coverage.one_date_only]
    assert flagged == ["2.1"]


def test_the_portfolio_shows_the_sufficiency_ledger_folded_and_what_falls_below_the_thresholds(learner_client, world):
    from assessments.models import SufficiencyThresholds
    from assessments.tests.test_completeness import judge

    judge(add(world, criteria=["2.1"], customer_ref="A", days_ago=15), world.assessor)
    judge(add(world, criteria=["2.1"], customer_ref="B", days_ago=1), world.assessor)
    url = reverse("portfolio_detail", args=[world.portfolio.pk])
    page = learner_client.get(url).content.decode()
    ledger = page.split('<details id="sufficiency"')[1].split("</details>")[0]
    assert ledger.startswith(" class=")  # closed: the unit page keeps its phone height
    assert re.search(r'<span title="[^"]*">[\d.]*\b2\.1</span></th><td>2</td><td>2</td><td>2</td>', ledger)
    assert "has set no sufficiency thresholds" in ledger and "Met</th>" not in ledger
    assert "one date" not in page and "below-thresholds" not in page
    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_customers=2)
    page = learner_client.get(url).content.decode()
    assert "30 below your centre" in page and 'href="#sufficiency"' in page
    assert re.search(r"[>.]2\.1</span></th><td>2</td><td>2</td><td>2</td><td>Met</td>", page)


def test_range_matrix_shows_which_situation_each_criterion_was_shown_in(learner_client, world):
    add(world, criteria=["2.1", "2.2"], range_items=["a"])
    add(world, criteria=["2.1"], range_items=["d"])
    coverage = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).context["coverage"]
    rows = {criterion.code: cells for _, criterion, cells in coverage.matrix}
    assert rows["2.1"] == [["E1"], [], [], ["E2"]]
    assert rows["2.2"] == [["E1"], [], [], []]
    assert "3.1" not in rows  # knowledge criteria are not in the range matrix


def test_evidence_list_filters_by_method_and_criterion_and_sorts(learner_client, world):
    add(world, criteria=["1.1"], method="O", title="Observed call", days_ago=5)
    add(world, criteria=["1.2"], method="RA", title="My reflective account", days_ago=1)
    url = reverse("evidence_list", args=[world.portfolio.pk])
    assert [e.title for e in learner_client.get(url, {"method": "RA"}).context["page"]] == ["My reflective account"]
    by_criterion = learner_client.get(url, {"criterion": crit("1.1").pk}).context["page"]
    assert [e.title for e in by_criterion] == ["Observed call"]
    oldest_first = learner_client.get(url, {"sort": "date"}).context["page"]
    assert [e.reference for e in oldest_first] == ["E1", "E2"]


@pytest.mark.parametrize("name", ["portfolio_detail", "evidence_list"])
def test_portfolio_pages_run_the_same_number_of_queries_at_5_and_at_500_items(learner_client, world, name):
    def count() -> int:
        learner_client.get(reverse(name, args=[world.portfolio.pk]))  # the first visit also saves the session
        with CaptureQueriesContext(connection) as queries:
            assert learner_client.get(reverse(name, args=[world.portfolio.pk])).status_code == 200
        return len(queries)

    for _ in range(5):
        add(world, criteria=["2.1", "3.1"], range_items=["a"])
    at_five = count()
    bulk_add(world, 495)
    assert Evidence.objects.filter(portfolio=world.portfolio).count() == 500
    assert count() == at_five


@pytest.mark.parametrize(
    "name, query, rows",
    [
        ("portfolio_detail", {}, None),
        ("evidence_list", {"page": "9999"}, 10),  # past the end: the last page, items 1 to 10
        ("evidence_list", {"sort": "date", "method": "PE"}, 25),
        ("evidence_list", {"criterion": "2.1"}, 17),  # the first 3, and every 4th of the rest
    ],
)
def test_unit_page_and_every_view_of_the_list_keep_their_query_count_from_3_to_60_items(
    learner_client, world, name, query, rows
):
    if "criterion" in query:
        query = {"criterion": crit(query["criterion"]).pk}
    url = reverse(name, args=[world.portfolio.pk])

    def visit():
        learner_client.get(url, query)  # the first visit also saves the session
        with CaptureQueriesContext(connection) as queries:
            response = learner_client.get(url, query)
        assert response.status_code == 200
        return response, len(queries)

    for _ in range(3):
        add(world, criteria=["2.1", "3.1"], range_items=["a"], method="PE")
    _, at_three = visit()
    bulk_add(world, 57)
    response, at_sixty = visit()
    assert at_sixty == at_three
    if rows:
        # The page still shows the right rows, each with what it covers in this unit.
        shown = response.context["page"]
        assert len(shown) == rows
        assert all(e.covers_text for e in shown)
        if "page" in query:
            assert [e.reference for e in shown] == [f"E{n}" for n in range(10, 0, -1)]


def bulk_add(world, n: int) -> None:
    """Many mapped items with a file each, written in bulk: the service is too slow for hundreds."""
    portfolio = world.portfolio
    portfolio.refresh_from_db()
    first = portfolio.evidence_counter + 1
    method = AssessmentMethod.objects.get(code="PE")
    Evidence.objects.bulk_create(
        Evidence(
            portfolio=portfolio,
            number=number,
            title=f"Item {number}",
            method=method,
            activity_date=portfolio.start_date + datetime.timedelta(days=number % 30),
            setting=EvidenceSetting.REAL_WORK,
            created_by=world.learner,
        )
        for number in range(first, first + n)
    )
    portfolio.evidence_counter = first + n - 1
    portfolio.save(update_fields=["evidence_counter"])
    items = list(Evidence.objects.filter(portfolio=portfolio, number__gte=first))
    criteria = [crit(c) for c in ("1.1", "2.1", "2.4", "3.1")]
    Evidence.criteria.through.objects.bulk_create(
        Evidence.criteria.through(evidence_id=e.pk, criterion_id=criteria[e.number % 4].pk) for e in items
    )
    Evidence.range_items.through.objects.bulk_create(
        Evidence.range_items.through(evidence_id=e.pk, rangeitem_id=rng("abcd"[e.number % 4]).pk) for e in items[:4]
    )
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            evidence=e,
            file=f"evidence/bulk{e.number}",
            thumbnail=f"thumbnails/bulk{e.number}.jpg",
            original_name=f"photo{e.number}.jpg",
            size=1000,
            content_type="image/jpeg",
            kind="image",
            sha256="0" * 64,
            uploaded_by=world.learner,
        )
        for e in items
    )


# Files kept through a refused form, and long file names.


def pending_names() -> list[str]:
    try:
        return default_storage.listdir("pending")[1]
    except FileNotFoundError:
        return []


def kept_token_on(page: str) -> str:
    return re.search(r'name="kept_files" value="([^"]*)"', page).group(1)


def test_a_refused_form_keeps_the_files_that_passed_and_names_those_that_failed(learner_client, world):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    photo = Upload("till.png", samples.png((1200, 900)), "image/png")
    page_file = Upload("notes.html", b"<html><body><script>alert(1)</script></body></html>", "text/html")
    response = learner_client.post(url, form_data(title="", files=[photo, page_file]))
    assert response.status_code == 200
    page = response.content.decode()
    assert_one_layout(page)
    assert "This field is required." in page
    assert f"Kept: till.png, {size_text(len(samples.png((1200, 900))))}" in page
    assert page.count("Kept: ") == 1
    assert "notes.html cannot be added: web pages can run code in a browser" in page
    assert 'value="Customer complaint at the till"' not in page  # the title was left empty on purpose
    assert "A customer shouted about a refund" in page  # what was entered is kept
    assert len(pending_names()) == 1
    assert kept_token_on(page)
    assert not Evidence.objects.exists()


def test_the_next_submit_attaches_the_kept_files_without_uploading_them_again(
    learner_client, world, django_capture_on_commit_callbacks
):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    photo = samples.png((1200, 900))
    first = learner_client.post(url, form_data(title="", files=[Upload("till.png", photo, "image/png")]))
    token = kept_token_on(first.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(url, form_data(kept_files=token))
    assert response.status_code == 302
    record = EvidenceFile.objects.get()
    assert (record.original_name, record.size) == ("till.png", len(photo))
    assert record.sha256 == hashlib.sha256(photo).hexdigest()
    assert record.thumbnail  # checked again on the way in, so it has its thumbnail like any upload
    assert record.file.read() == photo
    assert pending_names() == []


def test_kept_files_and_new_ones_go_in_together_and_a_removed_one_is_dropped(
    learner_client, world, django_capture_on_commit_callbacks
):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    uploads = [Upload("one.png", samples.png(), "image/png"), Upload("two.jpg", samples.jpeg(), "image/jpeg")]
    first = learner_client.post(url, form_data(title="", files=uploads))
    kept = {k.original_name: k.name for k in first.context["form"].kept}
    assert set(kept) == {"one.png", "two.jpg"}
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(
            url,
            form_data(
                kept_files=kept_token_on(first.content.decode()),
                kept_remove=[kept["two.jpg"]],
                files=[Upload("log.pdf", samples.pdf(), "application/pdf")],
            ),
        )
    assert response.status_code == 302
    assert sorted(EvidenceFile.objects.values_list("original_name", flat=True)) == ["log.pdf", "one.png"]
    assert pending_names() == []


def test_files_stay_kept_through_a_second_refusal(learner_client, world):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    first = learner_client.post(url, form_data(title="", files=[Upload("one.png", samples.png(), "image/png")]))
    second = learner_client.post(
        url,
        form_data(
            title="",
            kept_files=kept_token_on(first.content.decode()),
            files=[Upload("two.jpg", samples.jpeg(), "image/jpeg")],
        ),
    )
    page = second.content.decode()
    assert "Kept: one.png" in page and "Kept: two.jpg" in page
    assert len(pending_names()) == 2
    assert learner_client.post(url, form_data(kept_files=kept_token_on(page))).status_code == 302
    assert sorted(EvidenceFile.objects.values_list("original_name", flat=True)) == ["one.png", "two.jpg"]


def test_the_edit_form_keeps_files_through_a_refusal_too(learner_client, world):
    evidence = add(world, criteria=["2.1"])
    url = reverse("evidence_edit", args=[evidence.pk])
    first = learner_client.post(url, form_data(activity_date="", files=[Upload("a.png", samples.png(), "image/png")]))
    assert "Kept: a.png" in first.content.decode()
    response = learner_client.post(url, form_data(kept_files=kept_token_on(first.content.decode())))
    assert response.status_code == 302
    assert [f.original_name for f in evidence.files.all()] == ["a.png"]


def test_another_person_or_portfolio_cannot_use_the_kept_files_token(learner_client, world, request):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    first = learner_client.post(url, form_data(title="", files=[Upload("till.png", samples.png(), "image/png")]))
    token = kept_token_on(first.content.decode())
    data = form_data(kept_files=token)
    refusal = "The files kept from your last try cannot be used here"

    other = member(world.centre, Role.LEARNER, user__full_name="Olly Other")
    others_portfolio = PortfolioFactory(centre=world.centre, learner=other)
    other_client = CsrfClient()
    other_client.force_login(other)
    response = other_client.post(reverse("evidence_add", args=[others_portfolio.pk]), data)
    assert response.status_code == 200
    assert refusal in response.content.decode()
    assert "Kept: till.png" not in response.content.decode()

    # The same learner cannot move it to another of their units either.
    second_portfolio = request.getfixturevalue("second_portfolio")
    response = learner_client.post(reverse("evidence_add", args=[second_portfolio.pk]), data)
    assert refusal in response.content.decode()
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()
    assert len(pending_names()) == 1  # still the learner's own, for their own form


def test_pending_files_are_removed_after_a_day_by_the_prune(world, monkeypatch):
    (kept,) = files_hold([inspect_upload(Upload("till.png", samples.png()))])
    assert files_prune_pending() == 0
    assert files_prune_pending(now=timezone.now() + datetime.timedelta(hours=25)) == 1
    assert not default_storage.exists(kept.name)

    # The cron command (and the worker) take a day-old file and leave a fresh one.
    (fresh,) = files_hold([inspect_upload(Upload("fresh.png", samples.png()))])
    day_ago = timezone.now() - datetime.timedelta(hours=25)
    monkeypatch.setattr("django.core.files.storage.memory.now", lambda: day_ago)
    (old,) = files_hold([inspect_upload(Upload("old.png", samples.png()))])
    monkeypatch.undo()
    out = io.StringIO()
    call_command("exports_prune", stdout=out)
    assert "Removed 1 kept evidence file of forms not sent again." in out.getvalue()
    assert not default_storage.exists(old.name) and default_storage.exists(fresh.name)


def long_named(content: bytes, name: str) -> io.BytesIO:
    # SimpleUploadedFile cuts names to 255 characters itself; a browser sends the name as it is.
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_a_1000_character_file_name_is_kept_under_a_shortened_name(learner_client, world):
    name = "Photo of the complaints log " + "x" * 968 + ".png"
    assert len(name) == 1000
    url = reverse("evidence_add", args=[world.portfolio.pk])
    response = learner_client.post(url, form_data(files=[long_named(samples.png(), name)]))
    assert response.status_code == 302
    record = EvidenceFile.objects.get()
    assert len(record.original_name) == NAME_MAX_CHARS
    assert record.original_name.startswith("Photo of the complaints log xxx")
    assert "…" in record.original_name and record.original_name.endswith("x.png")


def test_a_1000_character_file_name_on_a_refused_form_keeps_the_form_and_the_file(learner_client, world):
    name = "y" * 996 + ".png"
    url = reverse("evidence_add", args=[world.portfolio.pk])
    response = learner_client.post(url, form_data(title="", files=[long_named(samples.png(), name)]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page
    assert "A customer shouted about a refund" in page
    (kept,) = response.context["form"].kept
    assert len(kept.original_name) == NAME_MAX_CHARS and "…" in kept.original_name
    assert f"Kept: {kept.original_name}" in page


def test_the_form_offers_the_phones_camera_and_recorder_beside_the_file_picker(learner_client, world):
    page = learner_client.get(reverse("evidence_add", args=[world.portfolio.pk])).content.decode()
    inputs = re.findall(r'<input[^>]*type="file"[^>]*>', page)
    assert len(inputs) == 4
    assert all('name="files"' in i for i in inputs)
    assert any('accept="image/*" capture="environment"' in i for i in inputs)
    assert any('accept="audio/*" capture ' in i for i in inputs)
    assert any('accept="video/*" capture ' in i for i in inputs)


def test_a_photo_taken_with_the_camera_input_goes_in_with_the_chosen_files(learner_client, world):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    # Both inputs post under the one name "files", as the browser sends them.
    uploads = [Upload("log.pdf", samples.pdf(), "application/pdf"), Upload("image.jpg", samples.jpeg(), "image/jpeg")]
    assert learner_client.post(url, form_data(files=uploads)).status_code == 302
    assert sorted(EvidenceFile.objects.values_list("original_name", flat=True)) == ["image.jpg", "log.pdf"]


def test_an_evidence_upload_still_needs_its_csrf_token(learner_client, world):
    upload = Upload("till.png", samples.png(), "image/png")
    for url in (reverse("evidence_add", args=[world.portfolio.pk]), reverse("evidence_edit", args=[add(world).pk])):
        response = learner_client.post(url, form_data(title="Changed", files=[upload]), csrf=False)
        assert response.status_code == 403, url
    assert not EvidenceFile.objects.exists() and not Evidence.objects.filter(title="Changed").exists()
    assert pending_names() == []


def test_an_upload_the_parser_cannot_read_gets_the_form_and_a_message(learner_client, world):
    name = "z" * 20_000 + ".png"  # past even the raised bound on a part's headers
    url = reverse("evidence_add", args=[world.portfolio.pk])
    response = learner_client.post(url, form_data(files=[long_named(samples.png(), name)]))
    assert response.status_code == 400
    page = response.content.decode()
    assert_one_layout(page)
    assert "That upload could not be read, so nothing was saved." in page
    assert not Evidence.objects.exists()


# The awarding body's own wording: a City & Guilds learner reads the workbook, an OCR learner the specification.


def register_with(world, body_code: str):
    world.portfolio.awarding_body = AwardingBody.objects.get(code=body_code)
    world.portfolio.save(update_fields=["awarding_body"])
    return world.portfolio


def test_a_city_and_guilds_learners_portfolio_reads_in_the_workbooks_numbering_and_wording(learner_client, world):
    page = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert "City &amp; Guilds unit 220" in page
    assert "220.2 To deal with difficult customers, you must:" in page
    assert '<span class="ref">220.2.1</span> listen patiently to what your customer wants to tell you' in page
    assert "Listen patiently to what their customer" not in page
    text = page_text(page)
    assert "City & Guilds unit 220" in text
    assert "OCR" not in text and "C4" not in text


def test_an_ocr_learners_portfolio_reads_in_the_specifications_numbering_and_wording(learner_client, world):
    register_with(world, "OCR")
    page = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert "OCR unit C4" in page
    assert "2 Deal with difficult customers" in page
    assert '<span class="ref">2.1</span> Listen patiently to what their customer wants to tell them' in page
    assert "220." not in page and "you must:" not in page and "City &amp; Guilds" not in page
    # OCR's specification lists no units to cross-reference to.
    assert 'id="cross-referencing"' not in page


def test_the_portfolio_lists_the_workbooks_cross_references_and_links_those_loaded(learner_client, world, second_unit):
    code = world.portfolio.unit.codes.get(awarding_body__code="CG")
    code.cross_reference_units = ["101", "998"]
    code.save(update_fields=["cross_reference_units"])
    page = learner_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    line = re.search(r'<p id="cross-referencing"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert line.startswith("Evidence from this unit could also count towards units 101, ")
    assert "<a" not in line.split(",")[0]  # 101 is not loaded: named, not linked
    assert f'<a href="{reverse("unit_detail", args=[second_unit.slug])}?numbering=CG">998</a>' in line


def test_the_evidence_form_words_criteria_as_the_learners_awarding_body_does(learner_client, world):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    page = learner_client.get(url).content.decode()
    assert "<strong>220.3.6</strong> explain the difference between assertive, aggressive and passive behaviour" in page
    assert "220.3 To understand how to deliver customer service to difficult customers, you must be able to:" in page
    assert "OCR" not in page_text(page)
    register_with(world, "OCR")
    page = learner_client.get(url).content.decode()
    assert "<strong>3.6</strong> Explain the difference between assertive, aggressive and passive behaviour" in page
    assert "220." not in page


def test_the_evidence_form_offers_the_workbooks_reflective_prompt_and_stresses_it_once_ra_is_chosen(
    learner_client, world
):
    url = reverse("evidence_add", args=[world.portfolio.pk])
    prompt = "What have you done in your workplace that is similar?"
    page = learner_client.get(url).content.decode()
    offered = re.search(r'<div id="reflective-prompt" class="([^"]*)".*?</div>', page, re.S)
    assert prompt in offered.group(0) and "Writing a reflective account (RA)?" in offered.group(0)
    assert "alert" not in offered.group(1)
    # Chosen, on a form sent back (no JavaScript needed): the prompt stands out above the description.
    page = learner_client.post(url, form_data(title="")).content.decode()
    chosen = re.search(r'<div id="reflective-prompt" class="([^"]*)".*?</div>', page, re.S)
    assert "alert" in chosen.group(1) and "Your reflective account." in chosen.group(0) and prompt in chosen.group(0)
    assert page.index('id="reflective-prompt"') < page.index('name="description"')
    page = learner_client.post(url, form_data(title="", method=AssessmentMethod.objects.get(code="PE").pk)).content
    assert "Your reflective account." not in page.decode()
    assert "The workbook asks:" in page.decode()
    # OCR's learners have no workbook: the same question, not put in a workbook's mouth.
    register_with(world, "OCR")
    page = learner_client.get(url).content.decode()
    assert f'Start from the question: <q class="fw-semibold">{prompt}</q>' in page and "workbook" not in page
