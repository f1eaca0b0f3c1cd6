from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from units.library import cross_reference_targets, qualification_places
from units.models import AssessmentMethod, Criterion, EvidenceRequirement, LearningOutcome, Unit, UnitCode


def unit_list(request: HttpRequest) -> HttpResponse:
    units = Unit.objects.prefetch_related(
        Prefetch("codes", queryset=UnitCode.objects.select_related("awarding_body"))
    ).order_by("title")
    # Whether to offer loading a file is the library policy's answer, asked by the template
    # ({% may_load_library %}, assessments/templatetags/library.py): this app sits below the roles it needs.
    return render(request, "units/unit_list.html", {"units": units})


def unit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The unit library is public to everyone signed in: it is the published specification.
    unit = get_object_or_404(
        Unit.objects.select_related("text_awarding_body", "sign_off_awarding_body").prefetch_related(
            Prefetch("codes", queryset=UnitCode.objects.select_related("awarding_body")),
            Prefetch(
                "outcomes",
                queryset=LearningOutcome.objects.order_by("number").prefetch_related(
                    Prefetch("criteria", queryset=Criterion.objects.order_by("number"))
                ),
            ),
            "range_items",
            Prefetch("evidence_requirements", queryset=EvidenceRequirement.objects.order_by("number")),
            Prefetch("methods", queryset=AssessmentMethod.objects.order_by("order")),
        ),
        slug=slug,
    )
    codes = list(unit.codes.all())
    # Number criteria the way the chosen awarding body prints them (?numbering=CG gives 220.1.1).
    numbering = next((c for c in codes if c.awarding_body.code == request.GET.get("numbering")), None)
    outcomes = []
    for outcome in unit.outcomes.all():
        criteria = [(criterion.label(numbering), criterion) for criterion in outcome.criteria.all()]
        outcomes.append((outcome, criteria))
    # Each awarding body's requirements under its own name: OCR's name OCR's handbook, City & Guilds' the workbook's.
    requirements_by_code = [
        (code, [r for r in unit.evidence_requirements.all() if r.awarding_body_id in (None, code.awarding_body_id)])
        for code in codes
    ]
    return render(
        request,
        "units/unit_detail.html",
        {
            "unit": unit,
            "codes": codes,
            "numbering": numbering,
            "outcomes": outcomes,
            "requirements_by_code": requirements_by_code,
            "cross_references": cross_reference_targets(unit),
            "qualification_places": qualification_places(unit),
        },
    )
