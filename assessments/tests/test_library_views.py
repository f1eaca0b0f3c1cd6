"""The library's upload page: a file is checked in full and previewed before anything is written, every problem
is listed beside the file field naming its field or line, and the confirmed import is one audited transaction."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from people.models import Membership, Role
from units.forms import MAX_BYTES
from units.models import Criterion, Unit
from units.tests.library_files import TEST_TITLE, as_bytes, broken_document, c4_document, new_unit_document

PAGE = reverse("library_import")
CONFIRM = reverse("library_import_confirm")


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def upload(client, data: bytes, name: str = "unit.json", content_type: str = "application/json"):
    return client.post(PAGE, {"file": SimpleUploadedFile(name, data, content_type=content_type)})


def problems(response) -> list[str]:
    html = response.content.decode()
    block = re.search(r'<div class="invalid-feedback d-block" id="id_file_error">(.*?)</div>', html, re.S)
    assert block, "no problems beside the file field"
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def test_a_new_unit_is_previewed_then_imported_once_confirmed_and_audited(admin, world, unit):
    units = Unit.objects.count()
    response = upload(admin, as_bytes(new_unit_document(unit)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "New unit" in html and TEST_TITLE in html and "27 assessment criteria" in html
    assert html.count('name="document"') == 1
    assert Unit.objects.count() == units  # the preview writes nothing
    assert not AuditEvent.objects.filter(action="unit_imported").exists()

    document = re.search(r'name="document" value="([^"]*)"', html, re.S)
    response = admin.post(CONFIRM, {"document": unescape(document.group(1))})
    created = Unit.objects.get(slug="test-unit-loaded-through-the-page")
    assert response.status_code == 302 and response.url == reverse("unit_detail", args=[created.slug])
    assert Criterion.objects.filter(outcome__unit=created).count() == 27
    event = AuditEvent.objects.get(action="unit_imported")
    assert (event.actor, event.centre, event.data["action"]) == (world.admin, world.centre, "created")
    page = admin.get(reverse("unit_list")).content.decode()
    assert page.count(f'<a href="{reverse("unit_detail", args=[created.slug])}">{TEST_TITLE}</a>') == 1


def test_every_problem_is_listed_beside_the_file_field_by_its_field_and_nothing_is_written(admin, unit):
    units = Unit.objects.count()
    response = upload(admin, as_bytes(broken_document(unit)))
    assert response.status_code == 200
    assert problems(response) == [
        "title: required",
        "outcomes[0].criteria[0].text: required",
        "outcomes[2].kind: must be one of &quot;performance&quot;, &quot;knowledge&quot;",
    ]
    html = response.content.decode()
    assert "3 problems; nothing was written" in html and "choose the file again" in html
    assert 'aria-invalid="true"' in html and 'name="document"' not in html
    assert Unit.objects.count() == units


def test_a_file_that_is_not_json_is_refused_naming_its_line(admin, unit):
    text = as_bytes(new_unit_document(unit)).replace(b'"level": 2,', b'"level": 2', 1)
    line = text.decode().splitlines().index('  "level": 2') + 2
    assert problems(upload(admin, text)) == [
        f"line {line}, column 3: not valid JSON (Expecting &#x27;,&#x27; delimiter)"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it holds binary data, not JSON text"),
        (b'{"title": "caf\xe9"}', "The file is not UTF-8 text (byte 15 cannot be read)"),
        (b" " * (MAX_BYTES + 1), "larger than 512 KB"),
    ],
)
def test_the_file_is_checked_by_its_content_not_its_name(admin, unit, data, message):
    # Named and typed as JSON: the name and the type the browser sends are not believed.
    refused = problems(upload(admin, data, name="unit.json", content_type="application/json"))
    assert len(refused) == 1 and message in refused[0]


def test_a_json_file_with_any_name_is_read_by_its_content(admin, unit):
    response = upload(admin, as_bytes(new_unit_document(unit)), name="spec.txt", content_type="text/plain")
    assert "New unit" in response.content.decode()


def test_the_same_file_again_is_identical_and_offers_nothing_to_confirm(admin, unit):
    html = upload(admin, as_bytes(c4_document(unit))).content.decode()
    assert "Identical" in html and "Nothing to do" in html and 'name="document"' not in html


def test_a_changed_file_for_a_unit_in_use_is_previewed_as_a_new_version(admin, unit, world):
    document = c4_document(unit)
    document["outcomes"][1]["criteria"][0]["text"] = "Listen patiently and without interrupting"
    html = upload(admin, as_bytes(document)).content.decode()
    assert "New version" in html and "version 2" in html and "1 portfolio" in html
    assert not Unit.objects.filter(version=2).exists()


def test_a_file_the_library_refuses_at_confirmation_writes_nothing_and_lists_why(admin, unit):
    response = admin.post(CONFIRM, {"document": '{"format": "unit"}'})
    assert response.status_code == 200
    assert problems(response) == ["format: this is not a file this library reads (it reads &quot;format&quot;: "
                                  "&quot;unit&quot;, &quot;format_version&quot;: 1; &quot;format&quot;: "
                                  "&quot;qualification&quot;, &quot;format_version&quot;: 1)"]  # fmt: skip
    assert not AuditEvent.objects.filter(action="unit_imported").exists()


def test_a_confirmation_without_the_file_asks_for_it_again(admin, unit):
    assert problems(admin.post(CONFIRM, {})) == ["The file to import did not arrive: choose it again."]


def test_the_unit_list_offers_the_page_only_to_those_the_policy_lets_load(client, world, unit):
    client.force_login(world.admin)
    assert PAGE in client.get(reverse("unit_list")).content.decode()
    client.force_login(world.assessor)
    assert PAGE not in client.get(reverse("unit_list")).content.decode()
    assert client.get(PAGE).status_code == 403


def test_the_sites_staff_may_load_in_any_role(client, world, unit):
    world.assessor.is_staff = True
    world.assessor.save(update_fields=["is_staff"])
    client.force_login(world.assessor)
    assert client.get(PAGE).status_code == 200


def test_an_admin_acting_in_another_role_is_refused_with_the_reason(client, world, unit):
    learning = Membership.objects.create(user=world.admin, centre=world.centre, role=Role.LEARNER)
    client.force_login(world.admin)
    client.post(reverse("role_switch"), {"role": f"m{learning.pk}"})
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "Switch to your centre admin role" in response.content.decode()
    assert client.post(CONFIRM, {"document": "{}"}).status_code == 403


def test_a_qualification_file_is_previewed_and_imported_through_the_same_page(admin, world, unit):
    from units.library.documents import dumps, qualification_document
    from units.models import Qualification

    document = qualification_document(Qualification.objects.get())
    document.update(slug="test-qualification-loaded-through-the-page", title="Test qualification")
    html = upload(admin, dumps(document).encode()).content.decode()
    assert "New qualification" in html and "1 group" in html and "1 unit" in html
    text = unescape(re.search(r'name="document" value="([^"]*)"', html).group(1))
    response = admin.post(CONFIRM, {"document": text})
    assert response.status_code == 302 and response.url == reverse("unit_list")
    created = Qualification.objects.get(slug="test-qualification-loaded-through-the-page")
    event = AuditEvent.objects.get(action="qualification_imported")
    assert (event.target_id, event.actor, event.centre) == (str(created.pk), world.admin, world.centre)
