"""The assessor's own records through their pages (assessments/evidence/views/records.py): observation with times,
notes per criterion and range item, feedback and the learner's acknowledgement (on the assessor's device with the
learner's password, or later from the learner's account); questioning as question and answer pairs, added and
removed without JavaScript; professional discussion with topics, duration and a recording through the file checks."""

from __future__ import annotations

import datetime
import io
import re
import wave

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.judgement.completeness import completeness
from assessments.models import (
    Acknowledgement,
    Author,
    ClaimJudgement,
    Decision,
    Evidence,
    EvidenceFile,
    EvidenceSetting,
    Observation,
    Portfolio,
    PortfolioStatus,
    QuestionAnswer,
)
from assessments.tests.test_evidence_views import add
from audit.models import AuditEvent
from tests import samples
from tests.assessor_records import (
    crit,
    discussion_post,
    observation_post,
    observe,
    question,
    questioning_post,
)
from tests.factories import PASSWORD
from tests.pages import assert_one_layout


def record_url(world, code: str) -> str:
    return reverse("assessor_record_add", args=[world.portfolio.pk, code])


def detail(item: Evidence) -> str:
    return reverse("evidence_detail", args=[item.pk])


def verdicts_of(evidence: Evidence) -> dict[str, str]:
    return {
        (j.criterion.code if j.criterion_id else j.range_item.letter): j.verdict
        for j in ClaimJudgement.objects.filter(evidence=evidence).select_related("criterion__outcome", "range_item")
    }


@pytest.fixture(autouse=True)
def _no_password_misses_carried_over():
    # Wrong learner passwords are counted in the cache (per learner id, which a later test may reuse).
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def lock(world) -> None:
    Portfolio.objects.filter(pk=world.portfolio.pk).update(status=PortfolioStatus.ASSESSOR_SIGNED)
    world.portfolio.refresh_from_db()


@pytest.fixture
def assessor_client(client, world):
    client.force_login(world.assessor)
    return client


POSTS = {"o": observation_post, "q": questioning_post, "pd": discussion_post}


def test_assessor_records_are_numbered_with_the_learners_items_accepted_and_counted(assessor_client, world):
    first = add(world, criteria=["1.1"])
    for code in ("o", "q", "pd"):
        response = assessor_client.post(record_url(world, code), POSTS[code](title=f"Record {code}"))
        assert response.status_code == 302, response.context["form"].errors
    fifth = add(world, criteria=["1.2"])
    items = list(Evidence.objects.filter(portfolio=world.portfolio).order_by("number"))
    assert [e.reference for e in items] == ["E1", "E2", "E3", "E4", "E5"]
    assert (items[0], items[4]) == (first, fifth)
    records = items[1:4]
    assert [e.method.code for e in records] == ["O", "Q", "PD"]
    for record in records:
        assert record.author == Author.ASSESSOR and record.created_by == world.assessor
        assert record.setting == EvidenceSetting.REAL_WORK
        assert record.decision == Decision.ACCEPTED and record.decided_by == world.assessor
    assert verdicts_of(records[0]) == {"2.1": "confirmed", "2.4": "confirmed", "a": "confirmed"}
    # Questioning covers the knowledge criteria of its pairs.
    assert verdicts_of(records[1]) == {"3.1": "confirmed"}
    assert records[0].place == "Service desk, Northgate store" and records[1].place == ""
    assert AuditEvent.objects.filter(action="evidence.recorded").count() == 3
    grid = assessor_client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert "Record an observation" in grid
    assert {c.code for c in completeness(world.portfolio).missing_criteria}.isdisjoint({"2.1", "2.4", "3.1"})


def test_each_record_asks_for_what_its_method_needs(assessor_client, world):
    def errors(code, **overrides):
        return assessor_client.post(record_url(world, code), POSTS[code](**overrides)).context["form"].errors

    assert "place" in errors("o", place="")
    assert "start_time" in errors("o", start_time="")
    assert "feedback" in errors("o", feedback="")
    assert "description" in errors("pd", description="")
    assert "topics" in errors("pd", topics="")
    assert "duration_minutes" in errors("pd", duration_minutes="0")
    assert "criteria" in errors("o", criteria=[], range_items=[])
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert "cannot be in the future" in " ".join(errors("o", activity_date=future)["activity_date"])
    assert not Evidence.objects.exists()


def test_the_end_time_before_the_start_is_refused_beside_the_end_time_and_the_form_keeps_what_was_typed(
    assessor_client, world
):
    response = assessor_client.post(record_url(world, "o"), observation_post(start_time="11:00", end_time="10:30"))
    form = response.context["form"]
    assert form.errors["end_time"] == ["The observation must end after it started."]
    html = response.content.decode()
    # The message sits with the end time's field; what was typed is still there.
    end_field = re.search(r'<div[^>]*id="div_id_end_time".*?</div>\s*</div>', html, re.S).group(0)
    assert "must end after it started" in end_field
    assert 'value="11:00"' in html and 'value="Service desk, Northgate store"' in html
    assert not Evidence.objects.exists()


def test_each_ticked_criterion_and_range_item_needs_a_note_shown_beside_it(assessor_client, world):
    data = observation_post(criteria=("2.1",), range_items=("a",))
    data[f"note_c{crit('2.1').pk}"] = ""
    response = assessor_client.post(record_url(world, "o"), data)
    assert response.context["form"].errors[f"note_c{crit('2.1').pk}"] == ["Say what you saw for this one."]
    assert f'id="id_note_c{crit("2.1").pk}-error"' in response.content.decode()
    assert not Evidence.objects.exists()


def test_simulation_is_refused_for_performance_evidence_by_the_units_own_rule(assessor_client, world):
    assert not world.portfolio.unit.simulation_allowed_for_performance
    response = assessor_client.post(record_url(world, "o"), observation_post(setting="simulation"))
    errors = response.context["form"].errors
    assert "Simulation is not allowed for performance evidence in this unit" in " ".join(errors["criteria"])
    assert "range" in " ".join(errors["range_items"])
    assert not Evidence.objects.exists()
    # A simulation covering only knowledge is the unit's rule's to allow.
    allowed = observation_post(setting="simulation", criteria=("3.1",), range_items=())
    assert assessor_client.post(record_url(world, "o"), allowed).status_code == 302
    assert Evidence.objects.get().setting == EvidenceSetting.SIMULATION


def test_the_learner_acknowledges_on_the_assessors_device_with_their_own_password(assessor_client, world):
    response = assessor_client.post(record_url(world, "o"), observation_post(learner_password=PASSWORD))
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.acknowledgement == Acknowledgement.ON_DEVICE
    assert observation.acknowledged_by == world.learner and observation.acknowledged_at is not None
    event = AuditEvent.objects.get(action="evidence.observation_acknowledged")
    assert event.actor == world.learner and event.data["how"] == "on_device"
    page = assessor_client.get(detail(observation.evidence)).content.decode()
    assert page.count('id="acknowledgement"') == 1
    assert "with their password on the assessor&#x27;s device" in page or "assessor's device" in page
    assert "09:30 to 10:15" in page


def test_a_wrong_learner_password_saves_nothing_and_says_so_beside_the_field(assessor_client, world):
    response = assessor_client.post(record_url(world, "o"), observation_post(learner_password="not-it"))
    assert response.status_code == 200
    assert "not the learner" in " ".join(response.context["form"].errors["learner_password"])
    assert not Evidence.objects.exists() and not Observation.objects.exists()
    # The assessor's own password is not the learner's.
    response = assessor_client.post(record_url(world, "o"), observation_post(learner_password=PASSWORD + "x"))
    assert not Evidence.objects.exists()


def test_without_a_password_the_learner_acknowledges_later_from_their_own_account(client, world):
    record = observe(world)
    client.force_login(world.learner)
    home = client.get(reverse("home")).content.decode()
    assert home.count('id="pending-acknowledgements"') == 1 and detail(record) in home
    unit_page = client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert unit_page.count('id="pending-acknowledgements"') == 1
    page = client.get(detail(record)).content.decode()
    assert "I acknowledge this observation" in page and "Not yet acknowledged" in page
    response = client.post(reverse("observation_acknowledge", args=[record.pk]))
    assert response.status_code == 302 and response.url == detail(record)
    observation = Observation.objects.get()
    assert observation.acknowledgement == Acknowledgement.OWN_ACCOUNT and observation.acknowledged_by == world.learner
    page = client.get(detail(record)).content.decode()
    assert "from their own account" in page and "I acknowledge this observation" not in page
    assert 'id="pending-acknowledgements"' not in client.get(reverse("home")).content.decode()
    # A second acknowledgement says when the first was made.
    client.post(reverse("observation_acknowledge", args=[record.pk]))
    assert AuditEvent.objects.filter(action="evidence.observation_acknowledged").count() == 1


def test_only_the_learner_acknowledges_and_only_an_assessors_observation(client, world):
    record = observe(world)
    client.force_login(world.assessor)
    assert client.post(reverse("observation_acknowledge", args=[record.pk])).status_code == 403
    client.force_login(world.learner)
    own = add(world, criteria=["1.1"])
    assert client.post(reverse("observation_acknowledge", args=[own.pk])).status_code == 404
    assert client.get(reverse("observation_acknowledge", args=[record.pk])).status_code == 405
    assert Observation.objects.get().acknowledgement == Acknowledgement.PENDING


def test_a_signed_unit_keeps_its_observation_as_it_was(client, world):
    record = observe(world)
    lock(world)
    client.force_login(world.learner)
    page = client.get(detail(record)).content.decode()
    assert "I acknowledge this observation" not in page
    client.post(reverse("observation_acknowledge", args=[record.pk]))
    assert Observation.objects.get().acknowledgement == Acknowledgement.PENDING
    assert 'id="pending-acknowledgements"' not in client.get(reverse("home")).content.decode()


def test_changing_an_acknowledged_observation_asks_the_learner_again(assessor_client, world):
    assessor_client.post(record_url(world, "o"), observation_post(learner_password=PASSWORD))
    record = Evidence.objects.get()
    edit = reverse("assessor_record_edit", args=[record.pk])
    form = assessor_client.get(edit).context["form"]
    assert form.initial["start_time"].strftime("%H:%M") == "09:30"
    assert form.initial[f"note_c{crit('2.1').pk}"] == "Seen for 2.1"
    # Saved as it was: still acknowledged.
    assert assessor_client.post(edit, observation_post()).status_code == 302
    assert Observation.objects.get().acknowledgement == Acknowledgement.ON_DEVICE
    assert assessor_client.post(edit, observation_post(end_time="10:45")).status_code == 302
    observation = Observation.objects.get()
    assert observation.acknowledgement == Acknowledgement.PENDING and observation.acknowledged_at is None
    event = AuditEvent.objects.filter(action="evidence.record_changed").latest("pk")
    assert event.data["before"]["observation"]["end"] == "10:15"
    assert event.data["after"]["observation"] == {**event.data["after"]["observation"], "end": "10:45"}
    assert event.data["after"]["observation"]["acknowledgement"] == "pending"


def test_questioning_rows_are_added_and_removed_without_javascript(assessor_client, world):
    url = record_url(world, "q")
    page = assessor_client.get(url)
    assert page.context["pairs"].total_form_count() == 1
    first = questioning_post()
    added = assessor_client.post(url, {**first, "add_pair": "1"})
    assert added.status_code == 200 and not Evidence.objects.exists()
    assert added.context["pairs"].total_form_count() == 2 and not added.context["form"].errors
    html = added.content.decode()
    assert "What upsets customers most?" in html and 'name="pairs-1-question"' in html
    # Two pairs posted, the first marked for removal: only the second is kept.
    two = questioning_post(
        pairs=(
            ("A question to drop", "An answer", ("3.1",)),
            ("How do you calm a shouting customer?", "Lower my voice and listen.", ("3.2", "3.3")),
        )
    )
    response = assessor_client.post(url, {**two, "pairs-0-DELETE": "on"})
    assert response.status_code == 302
    record = Evidence.objects.get()
    pairs = list(QuestionAnswer.objects.filter(evidence=record).prefetch_related("criteria"))
    assert [(p.order, p.question) for p in pairs] == [(1, "How do you calm a shouting customer?")]
    assert sorted(c.code for c in pairs[0].criteria.all()) == ["3.2", "3.3"]
    assert verdicts_of(record) == {"3.2": "confirmed", "3.3": "confirmed"}
    page = assessor_client.get(detail(record)).content.decode()
    assert page.count("question-pair") == 1 and "Lower my voice and listen." in page


def test_each_pair_needs_its_answer_and_knowledge_criteria(assessor_client, world):
    url = record_url(world, "q")
    no_answer = questioning_post(pairs=(("Why?", "", ("3.1",)),))
    assert "answer" in assessor_client.post(url, no_answer).context["pairs"].forms[0].errors
    performance = questioning_post(pairs=(("Why?", "Because.", ("2.1",)),))
    assert "criteria" in assessor_client.post(url, performance).context["pairs"].forms[0].errors
    assert not Evidence.objects.exists()
    with pytest.raises(Exception, match="knowledge criteria"):
        question(world, pairs=(("Why?", "Because.", ("2.1",)),))


def test_a_legacy_questions_text_is_shown_read_only_and_kept(assessor_client, world):
    record = question(world)
    Evidence.objects.filter(pk=record.pk).update(questions="Q: Old question? A: Old answer.")
    QuestionAnswer.objects.filter(evidence=record).delete()
    edit = reverse("assessor_record_edit", args=[record.pk])
    html = assessor_client.get(edit).content.decode()
    assert "Questions and answers recorded before pairs" in html and "Old answer." in html
    assert 'name="questions"' not in html
    # Saved with no pairs, the old text still stands as its record.
    data = questioning_post(pairs=())
    data["pairs-TOTAL_FORMS"] = "0"
    assert assessor_client.post(edit, data).status_code == 302
    assert Evidence.objects.get(pk=record.pk).questions == "Q: Old question? A: Old answer."


def test_other_methods_are_not_assessor_records(assessor_client, world):
    for code in ("pe", "wt", "ra", "x"):
        assert assessor_client.get(record_url(world, code)).status_code == 404


def test_the_learner_cannot_edit_or_delete_an_assessor_record(client, world):
    record = observe(world, title="Observation")
    own = add(world, criteria=["1.1"])
    client.force_login(world.learner)
    listing = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    assert reverse("evidence_edit", args=[own.pk]) in listing
    assert reverse("evidence_edit", args=[record.pk]) not in listing
    assert client.get(reverse("evidence_edit", args=[record.pk])).status_code == 403
    assert client.post(reverse("evidence_delete", args=[record.pk])).status_code == 403
    assert client.get(reverse("assessor_record_edit", args=[record.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.evidence_delete(actor=world.learner, evidence=record)
    assert Evidence.objects.get(pk=record.pk).title == "Observation"


def test_the_assessor_changes_their_own_record_while_unlocked_and_never_after(assessor_client, world):
    assessor_client.post(record_url(world, "o"), observation_post())
    record = Evidence.objects.get()
    edit = reverse("assessor_record_edit", args=[record.pk])
    assert assessor_client.get(edit).context["form"].initial["place"] == "Service desk, Northgate store"
    response = assessor_client.post(edit, observation_post(criteria=("2.1",), range_items=("c",)))
    assert response.status_code == 302
    assert verdicts_of(record) == {"2.1": "confirmed", "c": "confirmed"}
    event = AuditEvent.objects.get(action="evidence.record_changed")
    assert event.data["before"]["criteria"] == ["2.1", "2.4"] and event.data["after"]["criteria"] == ["2.1"]
    assert assessor_client.get(reverse("evidence_review", args=[record.pk])).url == edit
    learners = add(world, criteria=["1.1"])
    assert assessor_client.get(reverse("assessor_record_edit", args=[learners.pk])).status_code == 404
    lock(world)
    page = assessor_client.get(edit).content.decode()
    assert "Locked." in page and '<form method="post" novalidate' not in page
    assessor_client.post(edit, observation_post(title="Changed after signing"))
    assert Evidence.objects.get(pk=record.pk).title == "Observed at the service desk"
    assessor_client.post(record_url(world, "q"), questioning_post())
    assert Evidence.objects.count() == 2


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return out.getvalue()


def test_a_professional_discussion_recording_goes_through_the_file_checks(assessor_client, world):
    url = record_url(world, "pd")
    refused = assessor_client.post(
        url, {**discussion_post(), "files": [SimpleUploadedFile("talk.mp3", b"<html><script>alert(1)</script></html>")]}
    )
    assert refused.status_code == 200 and "files" in refused.context["form"].errors
    photo = assessor_client.post(url, {**discussion_post(), "files": [SimpleUploadedFile("me.png", samples.png())]})
    assert "sound recording or a video" in " ".join(photo.context["form"].errors["files"])
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()
    response = assessor_client.post(url, {**discussion_post(), "files": [SimpleUploadedFile("discussion.wav", wav())]})
    assert response.status_code == 302
    stored = EvidenceFile.objects.get()
    assert stored.content_type == "audio/wav" and stored.kind == "audio"
    assert stored.original_name == "discussion.wav" and "discussion" not in stored.file.name
    event = AuditEvent.objects.get(action="evidence.recorded")
    assert event.data["files_added"][0]["sha256"] == stored.sha256
    assert event.data["after"]["discussion"] == {"topics": "Refunds; difficult callers", "minutes": 25}
    page = assessor_client.get(detail(stored.evidence)).content.decode()
    assert reverse("file_download", args=[stored.pk]) in page
    assert "25 minutes" in page and "Refunds; difficult callers" in page
    # Observations and questioning carry no file field.
    assert "files" not in assessor_client.get(record_url(world, "o")).context["form"].fields


def test_record_pages_use_no_inline_script_or_style(assessor_client, world):
    record = observe(world)
    for url in [*(record_url(world, code) for code in ("o", "q", "pd")), detail(record)]:
        html = assessor_client.get(url).content.decode()
        assert_one_layout(html)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url


def test_the_item_page_reads_an_observation_in_the_same_queries_whatever_its_notes(assessor_client, world):
    small = observe(world, criteria=("2.1",))
    big = observe(world, criteria=("1.1", "1.2", "2.1", "2.2", "2.3", "2.4"), range_items=("a", "b", "c"))

    def count(item):
        with CaptureQueriesContext(connection) as queries:
            assert assessor_client.get(detail(item)).status_code == 200
        return len(queries)

    count(small)
    assert count(small) == count(big)


# The assessor's record upload over the limits: a clear page under real CSRF checking, never a bare 400


def _record_targets(world) -> dict[str, str]:
    """The add page of a professional discussion and the edit page of one already recorded."""
    from tests.assessor_records import discuss

    recorded = discuss(world, range_items=("a",))
    return {"add": record_url(world, "pd"), "edit": reverse("assessor_record_edit", args=[recorded.pk])}


@pytest.mark.parametrize("page", ["add", "edit"])
def test_a_record_with_more_files_than_django_accepts_gets_the_form_and_a_message(
    assessor_client, world, settings, page
):
    url = _record_targets(world)[page]
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"talk{n}.wav", wav()) for n in range(3)]
    response = assessor_client.post(url, {**discussion_post(title="Too many"), "files": files})
    assert response.status_code == 400
    html = response.content.decode()
    assert_one_layout(html)
    assert 'id="upload-refusal"' in html and "too many files at once" in html
    assert html.count("<form") >= 1 and 'name="title"' in html
    assert not Evidence.objects.filter(title="Too many").exists() and not EvidenceFile.objects.exists()


@pytest.mark.parametrize("page", ["add", "edit"])
def test_a_record_upload_far_over_the_total_limit_is_refused_before_it_is_read(assessor_client, world, settings, page):
    url = _record_targets(world)[page]
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    response = assessor_client.generic(
        "POST", url, b"x" * 10, content_type="multipart/form-data; boundary=BoUnDaRy", CONTENT_LENGTH="5000000"
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert_one_layout(html)
    assert "one upload can be up to 1 MB" in html and 'name="title"' in html
    assert Evidence.objects.count() == 1 and not EvidenceFile.objects.exists()


def test_a_record_posted_without_the_csrf_token_is_still_refused(assessor_client, world):
    response = assessor_client.post(
        record_url(world, "pd"),
        {**discussion_post(), "files": [SimpleUploadedFile("talk.wav", wav())]},
        csrf=False,
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_the_item_page_shows_each_part_of_an_observation_once(client, world):
    record = observe(world, criteria=("2.1",), range_items=("a",))
    client.force_login(world.iv)
    html = client.get(detail(record)).content.decode()
    assert_one_layout(html)
    for once in (
        'id="observation-times"',
        'id="observation-notes"',
        'id="acknowledgement"',
        "Service desk, Northgate store",
    ):
        assert html.count(once) == 1, once
    assert "09:30 to 10:15" in html and "Not yet acknowledged" in html
    # Only the learner is offered the acknowledgement.
    assert "I acknowledge this observation" not in html
