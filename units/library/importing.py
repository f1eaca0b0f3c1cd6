"""Loading a unit or qualification file into the library: all checks first, then one transaction.

A unit (or qualification) that anything outside the library already uses (a portfolio, evidence mapped to its
criteria, a registration) is never changed: a changed file becomes its next version, and what was started on the
old version stays on it. A version nothing uses yet is brought up to date in place. A file that matches a version
already loaded changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from audit.services import audit_log
from units.library.checks import check, family_of, parse
from units.library.documents import (
    CODE_SIGN_OFF_FIELDS,
    SIGN_OFF_FIELDS,
    SOURCE_FIELDS,
    UNIT_TEXT_FIELDS,
    canonical,
    qualification_document,
    unit_document,
)
from units.models import (
    AssessmentMethod,
    AwardingBody,
    Criterion,
    EvidenceRequirement,
    LearningOutcome,
    Qualification,
    QualificationGroup,
    QualificationUnit,
    RangeItem,
    Unit,
    UnitCode,
    versioned_slug,
)

UNIT_PARTS = (Unit, UnitCode, LearningOutcome, Criterion, RangeItem, EvidenceRequirement)
QUALIFICATION_PARTS = (Qualification, QualificationGroup, QualificationUnit)


class LibraryImportError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    kind: str  # "unit" or "qualification"
    slug: str
    version: int
    action: str  # "created", "unchanged", "updated" (in place, unused) or "new version"
    used_by: list[str] = field(default_factory=list)
    title: str = ""
    library_slug: str = ""  # the version's own address in the library (`...-v2` for a second version)
    parts: list[str] = field(default_factory=list)  # what the file holds, in words: "3 outcomes", "27 criteria"

    def __str__(self) -> str:
        name = f"{self.kind} {self.slug} version {self.version}"
        if self.action == "unchanged":
            return f"Unchanged: the file matches {name}; nothing was written."
        if self.action == "new version":
            return f"Created {name}: the previous version is used by {', '.join(self.used_by)} and stays as it was."
        if self.action == "updated":
            return f"Updated {name} in place: nothing uses it yet."
        return f"Created {name}."


def uses(row: models.Model) -> list[str]:
    """What outside the library refers to this unit or qualification or any part of it, e.g. ["2 portfolios"].

    Asked through the models' reverse relations, so the library never imports the apps built on it.
    """
    if isinstance(row, Unit):
        parts = {
            Unit: [row.pk],
            UnitCode: list(row.codes.values_list("pk", flat=True)),
            LearningOutcome: list(row.outcomes.values_list("pk", flat=True)),
            Criterion: list(Criterion.objects.filter(outcome__unit=row).values_list("pk", flat=True)),
            RangeItem: list(row.range_items.values_list("pk", flat=True)),
            EvidenceRequirement: list(row.evidence_requirements.values_list("pk", flat=True)),
        }
    else:
        parts = {
            Qualification: [row.pk],
            QualificationGroup: list(row.groups.values_list("pk", flat=True)),
            QualificationUnit: list(
                QualificationUnit.objects.filter(group__qualification=row).values_list("pk", flat=True)
            ),
        }
    # One count per outside model over all its relations to the unit's parts: an evidence item mapped to both a
    # criterion and a range item is one item, not two.
    refers: dict[type[models.Model], Q] = {}
    for model, pks in parts.items():
        for relation in model._meta.related_objects:
            other = relation.related_model
            if other._meta.app_label == "units" or not pks:
                continue
            refers[other] = refers.get(other, Q()) | Q(**{f"{relation.field.name}__in": pks})
    found = []
    for other, where in refers.items():
        count = other._base_manager.filter(where).distinct().count()
        if count:
            name = other._meta.verbose_name if count == 1 else other._meta.verbose_name_plural
            found.append(f"{count} {name}")
    return found


def library_import(*, text: str, dry_run: bool = False, actor: Any = None, centre: Any = None) -> ImportResult:
    """Check the file in full, then load it in one transaction; raise LibraryImportError listing every problem.

    A dry run is the preview: the same checks and the same answer (created, new version, unchanged), then rolled
    back. `actor` and `centre` (the admin who loaded it from the page, and their centre) go into the audit trail."""
    document, errors = parse(text)
    with transaction.atomic():
        errors = errors or check(document)
        if errors:
            raise LibraryImportError(errors)
        is_unit = document["format"] == "unit"
        model = Unit if is_unit else Qualification
        # Two imports of one unit at once are put in order here, and the second then sees the first's version.
        slug = document["slug"]
        list(model.objects.select_for_update().filter(Q(family=slug) | Q(family__isnull=True, slug=slug)))
        result = _apply(document, family_of(model, slug), is_unit, actor=actor, centre=centre)
        if dry_run:
            transaction.set_rollback(True)
        return result


def _parts(document: dict[str, Any], is_unit: bool) -> list[str]:
    def count(number: int, one: str, many: str) -> str:
        return f"{number} {one if number == 1 else many}"

    if not is_unit:
        units = sum(len(group["units"]) for group in document["groups"])
        return [count(len(document["groups"]), "group", "groups"), count(units, "unit", "units")]
    criteria = sum(len(outcome["criteria"]) for outcome in document["outcomes"])
    numbers = ", ".join(f"{c['awarding_body']['name']} {c['number']}" for c in document["codes"])
    return [
        count(len(document["outcomes"]), "learning outcome", "learning outcomes"),
        count(criteria, "assessment criterion", "assessment criteria"),
        count(len(document["range"]), "range item", "range items"),
        count(len(document["evidence_requirements"]), "evidence requirement", "evidence requirements"),
        f"numbered {numbers}",
    ]


def _apply(
    document: dict[str, Any], versions: list[Any], is_unit: bool, *, actor: Any = None, centre: Any = None
) -> ImportResult:
    kind = document["format"]
    about = {"title": document["title"], "parts": _parts(document, is_unit)}
    export = unit_document if is_unit else qualification_document
    save = _save_unit if is_unit else _save_qualification
    wanted = canonical(document)
    for existing in versions:
        if canonical(export(existing)) == wanted:
            return ImportResult(
                kind, document["slug"], existing.version, "unchanged", library_slug=existing.slug, **about
            )
    if not versions:
        row, action, used = save(document, None, document["version"]), "created", []
    else:
        latest = versions[-1]
        used = uses(latest)
        if used:
            slug = versioned_slug(document["slug"], latest.version + 1)
            if type(latest).objects.filter(slug=slug).exists():
                raise LibraryImportError([f"slug: the next version's name {slug!r} is already taken"])
            row, action = save(document, None, latest.version + 1), "new version"
        else:
            row, action = save(document, latest, latest.version), "updated"
    result = ImportResult(kind, document["slug"], row.version, action, used, library_slug=row.slug, **about)
    audit_log(
        actor=actor,
        centre=centre,
        action=f"{kind}_imported",
        summary=str(result),
        target=row,
        data={"slug": document["slug"], "version": row.version, "action": action, "used_by": used},
    )
    return result


def _body(data: dict[str, Any]) -> AwardingBody:
    body, _ = AwardingBody.objects.get_or_create(
        code=data["code"], defaults={"name": data["name"], "criterion_style": data["criterion_style"]}
    )
    return body


def _save_unit(doc: dict[str, Any], unit: Unit | None, version: int) -> Unit:
    if unit is None:
        family = doc["slug"]
        unit = Unit(slug=versioned_slug(family, version), family=None if version == 1 else family, version=version)
    else:
        # Nothing outside the library refers to these rows (checked by the caller), so they are simply replaced.
        unit.outcomes.all().delete()
        unit.range_items.all().delete()
        unit.evidence_requirements.all().delete()
        unit.codes.all().delete()
    for name in ("title", "level", "credit_value", "guided_learning_hours", *UNIT_TEXT_FIELDS, *SIGN_OFF_FIELDS):
        setattr(unit, name, doc[name])
    unit.simulation_allowed_for_performance = doc["simulation_allowed_for_performance"]
    bodies = {code["awarding_body"]["code"]: code["awarding_body"] for code in doc["codes"]}
    for name in SOURCE_FIELDS:
        # Checked to be one of the unit's own awarding bodies before anything is written.
        setattr(unit, name, _body(bodies[doc[name]]) if doc[name] else None)
    unit.save()
    methods = []
    for data in doc["methods"]:
        method, _ = AssessmentMethod.objects.get_or_create(
            code=data["code"], defaults={k: data[k] for k in ("name", "description", "in_workbook_key", "order")}
        )
        methods.append(method)
    unit.methods.set(methods)
    UnitCode.objects.bulk_create(
        UnitCode(
            unit=unit,
            awarding_body=_body(code["awarding_body"]),
            code=code["number"],
            cross_reference_units=code["cross_reference_units"],
            assessment_note=code["assessment_note"],
            **{field: code[field] for field in CODE_SIGN_OFF_FIELDS},
        )
        for code in doc["codes"]
    )
    for data in doc["outcomes"]:
        outcome = LearningOutcome.objects.create(
            unit=unit,
            **{k: data[k] for k in ("number", "title", "kind", "element_title", "guidance_intro", "guidance")},
        )
        Criterion.objects.bulk_create(Criterion(outcome=outcome, **c) for c in data["criteria"])
    RangeItem.objects.bulk_create(RangeItem(unit=unit, **item) for item in doc["range"])
    bodies = {code.awarding_body.code: code.awarding_body for code in unit.codes.select_related("awarding_body")}
    EvidenceRequirement.objects.bulk_create(
        EvidenceRequirement(
            unit=unit,
            awarding_body=bodies[r["awarding_body"]] if r["awarding_body"] else None,
            **{k: r[k] for k in ("number", "text", "introduces_range")},
        )
        for r in doc["evidence_requirements"]
    )
    return unit


def _save_qualification(doc: dict[str, Any], qualification: Qualification | None, version: int) -> Qualification:
    if qualification is None:
        family = doc["slug"]
        qualification = Qualification(
            slug=versioned_slug(family, version), family=None if version == 1 else family, version=version
        )
    else:
        qualification.groups.all().delete()
    for name in ("title", "level", "number", "total_minimum_credits"):
        setattr(qualification, name, doc[name])
    qualification.awarding_body = _body(doc["awarding_body"])
    qualification.save()
    for data in doc["groups"]:
        group = QualificationGroup.objects.create(
            qualification=qualification,
            **{k: data[k] for k in ("number", "title", "kind", "minimum_credits", "minimum_units")},
        )
        QualificationUnit.objects.bulk_create(
            QualificationUnit(group=group, position=position, **member)
            for position, member in enumerate(data["units"], start=1)
        )
    return qualification
