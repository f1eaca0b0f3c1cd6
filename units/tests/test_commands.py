"""unit_export and unit_import: exact round trips, every problem named before anything is written, one
transaction, and a unit in use never changed (a changed file is its next version)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.factories import PortfolioFactory
from units.library import importing
from units.library.documents import dumps, unit_document
from units.models import (
    AssessmentMethod,
    AwardingBody,
    Criterion,
    Qualification,
    QualificationGroup,
    QualificationUnit,
    Unit,
    UnitCode,
)

QUALIFICATION = "level-2-nvq-certificate-in-customer-service"


def export(*args: str) -> str:
    out = StringIO()
    call_command("unit_export", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def import_file(path: Path) -> str:
    out = StringIO()
    call_command("unit_import", str(path), stdout=out)
    return out.getvalue()


def write(tmp_path: Path, document: dict, name: str = "unit.json") -> Path:
    path = tmp_path / name
    path.write_text(dumps(document), encoding="utf-8")
    return path


def empty_library() -> None:
    Qualification.objects.all().delete()
    Unit.objects.all().delete()
    AwardingBody.objects.all().delete()
    AssessmentMethod.objects.all().delete()


def library_rows() -> dict[str, int]:
    models = [Unit, UnitCode, Criterion, AwardingBody, AssessmentMethod, Qualification, QualificationGroup]
    return {model.__name__: model.objects.count() for model in [*models, QualificationUnit]}


@pytest.fixture
def unit_file(unit, tmp_path) -> Path:
    path = tmp_path / "c4.json"
    call_command("unit_export", "CG:220", "--output", str(path), stderr=StringIO())
    return path


def test_export_import_into_an_empty_library_export_gives_the_same_bytes(unit_file, tmp_path):
    qualification_file = tmp_path / "qualification.json"
    qualification_file.write_text(export("--qualification", QUALIFICATION), encoding="utf-8")
    before = library_rows()
    empty_library()
    assert Unit.objects.count() == 0
    assert "Created unit deliver-customer-service-to-difficult-customers version 1." in import_file(unit_file)
    assert "Created qualification" in import_file(qualification_file)
    assert export("deliver-customer-service-to-difficult-customers").encode() == unit_file.read_bytes()
    assert export("--qualification", QUALIFICATION).encode() == qualification_file.read_bytes()
    assert library_rows() == before


def test_the_file_is_json_in_utf_8_with_the_specifications_wording(unit_file):
    text = unit_file.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "\u2019" in text  # typographic apostrophes kept, not escaped
    document = json.loads(text)
    assert (document["format"], document["format_version"], document["version"]) == ("unit", 1, 1)
    assert [c["number"] for c in document["codes"]] == ["220", "C4"]
    assert document["codes"][0]["cross_reference_units"][:3] == ["101", "102", "103"]
    assert sum(len(o["criteria"]) for o in document["outcomes"]) == 27
    # Whose words the unit's text and its sign-off block are: OCR's specification, City & Guilds' workbook.
    assert (document["text_awarding_body"], document["sign_off_awarding_body"]) == ("OCR", "CG")


@pytest.mark.parametrize("code", ["deliver-customer-service-to-difficult-customers", "CG:220", "cg:220", "220", "C4"])
def test_a_unit_is_found_by_its_slug_or_any_of_its_numbers(unit_file, code):
    assert export(code) == unit_file.read_text(encoding="utf-8")


def test_exporting_an_unknown_unit_or_version_says_so(unit):
    with pytest.raises(CommandError, match="No unit is called or numbered 'CG:999'"):
        export("CG:999")
    with pytest.raises(CommandError, match="has versions 1, not 4"):
        export("220", "--unit-version", "4")


def test_importing_the_same_file_again_changes_nothing(unit_file):
    before = library_rows()
    events = AuditEvent.objects.count()
    out = import_file(unit_file)
    assert "Unchanged: the file matches unit deliver-customer-service-to-difficult-customers version 1" in out
    assert library_rows() == before
    assert AuditEvent.objects.count() == events


def test_a_changed_file_for_a_unit_portfolios_use_becomes_version_2_and_version_1_stays(unit, unit_file, world):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["outcomes"][1]["criteria"][0]["text"] = "Listen patiently and without interrupting"
    original = list(Criterion.objects.filter(outcome__unit=unit).values_list("pk", "text"))
    out = import_file(write(unit_file.parent, document))
    assert "Created unit deliver-customer-service-to-difficult-customers version 2" in out
    assert "used by 1 portfolio" in out
    new = Unit.objects.get(slug="deliver-customer-service-to-difficult-customers-v2")
    assert (new.family, new.version) == (unit.slug, 2)
    assert new.outcomes.get(number=2).criteria.get(number=1).text == "Listen patiently and without interrupting"
    assert list(Criterion.objects.filter(outcome__unit=unit).values_list("pk", "text")) == original
    world.portfolio.refresh_from_db()
    assert world.portfolio.unit == unit  # the registration keeps the version it started on
    assert sorted(
        UnitCode.objects.filter(awarding_body__code="CG", code="220").values_list("unit__version", flat=True)
    ) == [1, 2]
    # The newest version is what the number now exports, and the same file again is a no-op.
    assert json.loads(export("CG:220"))["version"] == 2
    assert json.loads(export("CG:220", "--unit-version", "1")) == unit_document(unit)
    assert "Unchanged: the file matches unit deliver-customer-service-to-difficult-customers version 2" in import_file(
        write(unit_file.parent, document)
    )
    event = AuditEvent.objects.filter(action="unit_imported").latest("pk")
    assert event.data["action"] == "new version" and event.data["used_by"] == ["1 portfolio"]


def test_a_changed_file_for_a_unit_nothing_uses_updates_it_in_place(unit, unit_file):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["range"][1]["text"] = "during a very busy time in your job"
    out = import_file(write(unit_file.parent, document))
    assert "Updated unit deliver-customer-service-to-difficult-customers version 1 in place" in out
    assert Unit.objects.filter(title=unit.title).count() == 1
    assert unit.range_items.get(letter="b").text == "during a very busy time in your job"
    assert export("C4") == dumps(document)


def test_a_version_2_file_loads_as_version_2_into_an_empty_library(unit_file):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["version"] = 2
    path = write(unit_file.parent, document, "v2.json")
    empty_library()
    import_file(path)
    assert Unit.objects.get().slug == "deliver-customer-service-to-difficult-customers-v2"
    assert export("C4").encode() == path.read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["outcomes"][1]["criteria"][3].pop("text"), "outcomes[1].criteria[3].text: required"),
        (lambda d: d["outcomes"][2].update(number=1), "outcomes[2].number: outcome 1 is already outcomes[0]"),
        (
            lambda d: d["outcomes"][0]["criteria"][6].update(number=2),
            "outcomes[0].criteria[6].number: criterion 2 is already outcomes[0].criteria[1]",
        ),
        (lambda d: d["range"][3].update(letter="a"), 'range[3].letter: letter "a" is already range[0]'),
        (
            lambda d: d["evidence_requirements"][0].update(introduces_range=True),
            "evidence_requirements[3].introduces_range: only one requirement introduces the range"
            " (evidence_requirements[0] already does)",
        ),
        (
            lambda d: d["evidence_requirements"][7].update(awarding_body=None),
            "evidence_requirements[7].introduces_range: only one requirement introduces the range"
            " (evidence_requirements[3] already does)",
        ),
        (
            lambda d: d["evidence_requirements"][0].update(awarding_body="AQA"),
            "evidence_requirements[0].awarding_body: AQA is not one of the unit's awarding bodies (CG, OCR)",
        ),
        (
            lambda d: d.update(text_awarding_body="AQA"),
            "text_awarding_body: AQA is not one of the unit's awarding bodies (CG, OCR)",
        ),
        (
            lambda d: d.update(sign_off_awarding_body="AQA"),
            "sign_off_awarding_body: AQA is not one of the unit's awarding bodies (CG, OCR)",
        ),
        (
            lambda d: d.pop("sign_off_awarding_body"),
            "sign_off_awarding_body",
        ),
        (
            lambda d: d["codes"][0]["cross_reference_units"].append("220"),
            "codes[0].cross_reference_units[17]: the unit's own number cannot be a cross-reference",
        ),
        (
            lambda d: d["codes"][0]["cross_reference_units"].append("101"),
            'codes[0].cross_reference_units[17]: unit "101" is already codes[0].cross_reference_units[0]',
        ),
        (
            lambda d: d["codes"][0]["awarding_body"].update(name="C&G"),
            'codes[0].awarding_body.name: the library\'s awarding body CG has "City & Guilds", not "C&G"'
            " (awarding bodies are shared by every unit)",
        ),
        (
            lambda d: d["methods"][0].update(name="Watching"),
            'methods[0].name: the library\'s method O has "Observation", not "Watching"'
            " (methods are shared by every unit)",
        ),
        (
            lambda d: d.update(slug="another-unit"),
            "codes[0].number: CG 220 is already the number of unit 'deliver-customer-service-to-difficult-customers'"
            " (Deliver customer service to difficult customers)",
        ),
        (
            lambda d: d.update(format="units"),
            'format: this is not a file this library reads (it reads "format": "unit"',
        ),
    ],
)
def test_each_problem_is_named_by_its_field_and_nothing_is_written(unit_file, change, message):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    change(document)
    before = library_rows()
    with pytest.raises(CommandError) as raised:
        import_file(write(unit_file.parent, document, "broken.json"))
    assert message in str(raised.value)
    assert "nothing was written" in str(raised.value)
    assert library_rows() == before


def test_every_problem_in_a_file_is_listed_in_one_refusal(unit_file):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document.pop("title")
    document["outcomes"][0]["criteria"][0]["text"] = ""
    document["outcomes"][2]["kind"] = "skills"
    with pytest.raises(CommandError) as raised:
        import_file(write(unit_file.parent, document, "broken.json"))
    assert str(raised.value).splitlines() == [
        f"{unit_file.parent / 'broken.json'}: 3 problems; nothing was written.",
        "  title: required",
        "  outcomes[0].criteria[0].text: required",
        '  outcomes[2].kind: must be one of "performance", "knowledge"',
    ]


def test_a_file_that_is_not_json_is_refused_naming_the_line(unit_file):
    text = unit_file.read_text(encoding="utf-8").replace('"level": 2,', '"level": 2', 1)
    unit_file.write_text(text, encoding="utf-8")
    line = text.splitlines().index('  "level": 2') + 2
    with pytest.raises(CommandError, match=rf"line {line}, column 3: not valid JSON \(Expecting ',' delimiter\)"):
        import_file(unit_file)


def test_a_failure_part_way_through_writing_leaves_the_library_as_it_was(unit_file, monkeypatch):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["slug"] = "test-new-unit"
    document["codes"] = [
        {"awarding_body": {"code": "NEW", "name": "New Body", "criterion_style": "plain"}, "number": "N1",
         "cross_reference_units": [], "assessment_note": "", "iv_statement": "", "ev_statement": ""}
    ]  # fmt: skip
    # Requirements name one of the unit's own bodies: OCR's wording becomes the only body's.
    document["evidence_requirements"] = [
        {**r, "awarding_body": "NEW"} for r in document["evidence_requirements"] if r["awarding_body"] == "OCR"
    ]
    document["text_awarding_body"] = document["sign_off_awarding_body"] = "NEW"
    document["methods"].append(
        {"code": "XX", "name": "New method", "description": "", "in_workbook_key": False, "order": 9}
    )
    before = library_rows()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    # The range items are written after the unit, its codes, a new awarding body, a new method and its criteria.
    monkeypatch.setattr(importing.RangeItem.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        import_file(write(unit_file.parent, document, "new.json"))
    assert library_rows() == before
    assert not AwardingBody.objects.filter(code="NEW").exists()
    assert not AssessmentMethod.objects.filter(code="XX").exists()
    assert not AuditEvent.objects.filter(action="unit_imported").exists()
    monkeypatch.undo()
    assert "Created unit test-new-unit version 1." in import_file(write(unit_file.parent, document, "new.json"))
    assert Unit.objects.get(slug="test-new-unit").codes.get().awarding_body.name == "New Body"


def test_a_dry_run_checks_and_reports_but_writes_nothing(unit_file):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["title"] = "Deliver customer service to very difficult customers"
    before = library_rows()
    out = StringIO()
    call_command("unit_import", str(write(unit_file.parent, document)), "--dry-run", stdout=out)
    assert out.getvalue().startswith("Dry run, nothing written. Updated unit")
    assert library_rows() == before
    assert Unit.objects.filter(title=document["title"]).count() == 0


def test_a_qualification_in_use_is_never_changed_a_changed_file_is_its_next_version(unit, tmp_path, monkeypatch):
    path = tmp_path / "q.json"
    path.write_text(export("--qualification", QUALIFICATION), encoding="utf-8")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["number"] = "0000-00"
    monkeypatch.setattr(importing, "uses", lambda row: ["1 registration"])
    assert "Created qualification level-2-nvq-certificate-in-customer-service version 2" in import_file(
        write(tmp_path, document, "q2.json")
    )
    assert Qualification.objects.get(slug=QUALIFICATION).number == ""
    assert Qualification.objects.get(slug=f"{QUALIFICATION}-v2").number == "0000-00"


def test_uses_counts_what_outside_the_library_refers_to_the_unit_through_reverse_relations(unit, world):
    assert importing.uses(unit) == ["1 portfolio"]
    PortfolioFactory(centre=world.centre)
    assert importing.uses(unit) == ["2 portfolios"]
    other = Unit.objects.create(
        **{f.name: getattr(unit, f.name) for f in Unit._meta.concrete_fields if f.name not in ("id", "slug", "family")},
        slug="test-unused",
    )
    assert importing.uses(other) == []


def test_an_item_mapped_to_a_criterion_and_a_range_item_is_counted_once(unit, world):
    from assessments.tests.test_evidence_views import add

    add(world, criteria=["2.1", "2.4"], range_items=["a", "b"])
    assert importing.uses(unit) == ["1 portfolio", "1 evidence"]


def test_a_file_saved_with_a_byte_order_mark_imports_the_same(unit_file):
    unit_file.write_bytes(b"\xef\xbb\xbf" + unit_file.read_bytes())
    assert "Unchanged" in import_file(unit_file)


def test_a_number_two_units_share_under_different_bodies_asks_for_the_body(unit, unit_file):
    document = json.loads(unit_file.read_text(encoding="utf-8"))
    document["slug"] = "test-other-unit"
    document["codes"] = [{**document["codes"][1], "number": "220"}]  # OCR 220, while City & Guilds 220 is C4
    document["evidence_requirements"] = [r for r in document["evidence_requirements"] if r["awarding_body"] == "OCR"]
    document["sign_off_awarding_body"] = "OCR"  # City & Guilds is not one of this unit's bodies
    import_file(write(unit_file.parent, document, "other.json"))
    with pytest.raises(CommandError, match="'220' could be any of deliver-customer-service-to-difficult-customers"):
        export("220")
    assert json.loads(export("OCR:220"))["slug"] == "test-other-unit"
    assert json.loads(export("CG:220"))["slug"] == "deliver-customer-service-to-difficult-customers"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(level="two"), "level: must be a whole number or null"),
        (lambda d: d["groups"][0].update(kind="core"), 'groups[0].kind: must be one of "mandatory", "optional", ""'),
        (
            lambda d: d["groups"][0].update(minimum_units=2),
            "groups[0].minimum_units: 2 is more than the group's 1 units",
        ),
        (
            lambda d: d["groups"].append({**d["groups"][0], "number": 2}),
            "groups[1].units[0].number: unit 220 is already listed at groups[0].units[0].number",
        ),
        (
            lambda d: d["groups"].append({**d["groups"][0], "units": []}),
            "groups[1].number: group 1 is already groups[0]",
        ),
        (
            lambda d: d["awarding_body"].update(criterion_style="plain"),
            'awarding_body.criterion_style: the library\'s awarding body CG has "unit_prefixed", not "plain"',
        ),
    ],
)
def test_each_problem_in_a_qualification_file_is_named_and_nothing_is_written(unit, tmp_path, change, message):
    document = json.loads(export("--qualification", QUALIFICATION))
    change(document)
    before = library_rows()
    with pytest.raises(CommandError) as raised:
        import_file(write(tmp_path, document, "q.json"))
    assert message in str(raised.value)
    assert library_rows() == before
