from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assessments.decisions import enforce
from people.access import active_role
from units.forms import LibraryConfirmForm, LibraryFileForm
from units.library import cross_reference_targets, qualification_places
from units.library.importing import ImportResult, LibraryImportError, library_import
from units.models import AssessmentMethod, Criterion, EvidenceRequirement, LearningOutcome, Unit, UnitCode
from units.policy import library_links, library_may


def unit_list(request: HttpRequest) -> HttpResponse:
    units = Unit.objects.prefetch_related(
        Prefetch("codes", queryset=UnitCode.objects.select_related("awarding_body"))
    ).order_by("title")
    may_import = library_may(request.user.pk, library_links(request), "import")
    return render(request, "units/unit_list.html", {"units": units, "may_import": may_import})


def _import_page(
    request: HttpRequest,
    form: LibraryFileForm,
    *,
    preview: ImportResult | None = None,
    confirm: LibraryConfirmForm | None = None,
    problems: list[str] | None = None,
) -> HttpResponse:
    refused = list(problems or form.errors.get("file", []))
    return render(
        request,
        "units/library_import.html",
        {"form": form, "preview": preview, "confirm": confirm, "problems": refused},
    )


def library_import_check(request: HttpRequest) -> HttpResponse:
    """Choose a file: every problem is listed beside the field; a good file is previewed, and nothing is written."""
    enforce(library_may(request.user.pk, library_links(request), "import"))
    form = LibraryFileForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _import_page(request, form)
    text = form.cleaned_data["file"]
    try:
        preview = library_import(text=text, dry_run=True)
    except LibraryImportError as error:
        for message in error.errors:
            form.add_error("file", message)
        return _import_page(request, form)
    confirm = LibraryConfirmForm(initial={"document": text}) if preview.action != "unchanged" else None
    return _import_page(request, LibraryFileForm(), preview=preview, confirm=confirm)


@require_POST
def library_import_confirm(request: HttpRequest) -> HttpResponse:
    """Load the previewed file in one transaction, checked in full again: the library may have changed since."""
    enforce(library_may(request.user.pk, library_links(request), "import"))
    confirm = LibraryConfirmForm(request.POST)
    if not confirm.is_valid():
        return _import_page(
            request, LibraryFileForm(), problems=["The file to import did not arrive: choose it again."]
        )
    role = active_role(request)
    try:
        result = library_import(
            text=confirm.cleaned_data["document"], actor=request.user, centre=role.centre if role else None
        )
    except LibraryImportError as error:
        return _import_page(request, LibraryFileForm(), problems=error.errors)
    messages.success(request, f"{result.title}: {result}")
    if result.kind == "unit":
        return redirect("unit_detail", slug=result.library_slug)
    return redirect("unit_list")


def unit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The unit library is public to everyone signed in: it is the published specification.
    unit = get_object_or_404(
        Unit.objects.prefetch_related(
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
