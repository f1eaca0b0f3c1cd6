"""The library's data: versions, the qualification the seeds name, and the workbook's cross-referencing list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from units.library import cross_reference_targets, qualification_places, stated
from units.library.documents import dumps, unit_document
from units.library.importing import library_import
from units.models import Qualification, QualificationUnit, Unit, UnitCode, versioned_slug

WORKBOOK = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "002_36a952da0903581f.txt"
WORKBOOK_LIST = ["101", "102", "103", "104", "105", "106", "202", "203", "209", "210", "211", "212", "216", "218"]
WORKBOOK_LIST += ["219", "310", "312"]
QUALIFICATION = "level-2-nvq-certificate-in-customer-service"


def another_unit(unit: Unit, *, slug: str, cg: str, ocr: str) -> Unit:
    """A copy of the fixture's unit under other numbers, loaded through the importer as a centre would."""
    document = unit_document(unit)
    document["slug"] = slug
    document["codes"][0]["number"], document["codes"][0]["cross_reference_units"] = cg, []
    document["codes"][1]["number"] = ocr
    library_import(text=dumps(document))
    return Unit.objects.get(slug=slug)


def test_the_qualification_is_what_the_seeds_state_and_nothing_more(unit):
    qualification = Qualification.objects.get(slug=QUALIFICATION)
    assert qualification.title == "Level 2 NVQ Certificate in Customer Service"
    assert "level 2 nvq certificate in customer service" in WORKBOOK.read_text(encoding="utf-8").lower()
    assert (qualification.level, qualification.awarding_body.code, qualification.version) == (2, "CG", 1)
    # The seeds give no qualification number, credits or rules of combination: they stay "not stated".
    assert qualification.number == ""
    assert qualification.total_minimum_credits is None
    [group] = qualification.groups.all()
    assert (group.title, group.kind, group.minimum_credits, group.minimum_units) == ("", "", None, None)
    [member] = group.units.all()
    assert (member.number, member.title, member.credit_value) == ("220", "", None)
    assert member.loaded_unit() == unit


def test_a_qualification_lists_a_unit_by_number_before_it_is_loaded(unit):
    group = Qualification.objects.get(slug=QUALIFICATION).groups.get()
    missing = QualificationUnit.objects.create(group=group, position=2, number="101")
    assert missing.loaded_unit() is None
    loaded = another_unit(unit, slug="test-unit-101", cg="101", ocr="T1")
    assert missing.loaded_unit() == loaded


def test_the_cross_referencing_list_is_the_workbooks_in_its_order_under_city_and_guilds(unit):
    code = UnitCode.objects.get(unit=unit, awarding_body__code="CG")
    assert code.cross_reference_units == WORKBOOK_LIST
    workbook = re.sub(r"\s+", " ", WORKBOOK.read_text(encoding="utf-8"))
    assert "e.g. " + ", ".join(WORKBOOK_LIST[:-1]) + " or 312." in workbook
    # OCR's specification gives no such list.
    assert UnitCode.objects.get(unit=unit, awarding_body__code="OCR").cross_reference_units == []


def test_cross_reference_targets_say_which_listed_units_are_loaded_newest_version_first(unit, world):
    targets = cross_reference_targets(unit)
    assert [t.number for t in targets] == WORKBOOK_LIST
    assert {t.awarding_body.code for t in targets} == {"CG"}
    assert not any(t.loaded for t in targets)
    loaded = another_unit(unit, slug="test-unit-202", cg="202", ocr="T2")
    targets = {t.number: t for t in cross_reference_targets(unit)}
    assert targets["202"].loaded and targets["202"].unit == loaded
    assert [n for n, t in targets.items() if t.loaded] == ["202"]
    assert str(targets["202"]) == "CG 202"


def test_the_unit_page_links_the_loaded_cross_reference_and_names_the_others(client, world, unit):
    loaded = another_unit(unit, slug="test-unit-209", cg="209", ocr="T3")
    client.force_login(world.learner)
    html = client.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    assert "could also count towards City &amp; Guilds units 101, 102," in html
    assert f'<a href="{reverse("unit_detail", args=[loaded.slug])}">209</a>' in html


def test_versions_keep_the_first_slug_and_number_the_rest():
    assert versioned_slug("deliver-x", 1) == "deliver-x"
    assert versioned_slug("deliver-x", 3) == "deliver-x-v3"


def test_a_family_has_one_unit_per_version_whether_or_not_the_first_names_its_family(unit):
    fields = {f.name: getattr(unit, f.name) for f in Unit._meta.concrete_fields if f.name not in ("id", "slug")}
    with pytest.raises(IntegrityError), transaction.atomic():
        # The fixture's unit has no family (its slug is its family); a second "version 1" of it is refused.
        Unit.objects.create(**{**fields, "slug": "another-slug", "family": unit.slug, "version": 1})
    second = Unit.objects.create(**{**fields, "slug": versioned_slug(unit.slug, 2), "family": unit.slug, "version": 2})
    assert str(second) == f"{unit.title} (version 2)"
    assert str(unit) == unit.title
    assert second.family_slug == unit.family_slug == unit.slug


def test_what_the_specification_does_not_give_reads_as_not_stated():
    assert stated(None) == stated("") == "not stated in the specification"
    assert stated(0) == 0
    assert stated("601/1234/5") == "601/1234/5"


def test_the_unit_page_names_its_qualification_and_says_what_is_not_stated(client, world, unit):
    client.force_login(world.learner)
    html = client.get(reverse("unit_detail", args=[unit.slug])).content.decode()
    assert "<strong>Level 2 NVQ Certificate in Customer Service</strong> (City &amp; Guilds" in html
    assert "qualification number not stated in the specification" in html
    assert "total minimum credits not stated in the specification" in html
    assert "group 1, not stated in the specification; minimum credits from the group not stated" in html
    assert [place.number for place in qualification_places(unit)] == ["220"]
