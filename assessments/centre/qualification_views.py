"""Centre admin: the centre's qualification registrations with their progress, and registering a cohort on a
qualification and its units."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from assessments.centre.forms import CohortForm, QualificationUnitsForm, people_with_role
from assessments.centre.qualifications import cohort_register, qualification_units
from assessments.centre.qualifications import qualification_units_add as units_add
from assessments.centre.views import _page_of
from assessments.judgement.coverage import portfolios_progress
from assessments.judgement.progress import RULE_IN_WORDS, attach, qualifications_standing, units_standing
from assessments.models import Portfolio, PortfolioStatus, QualificationRegistration
from people.access import require_centre_admin, require_role
from people.models import Role
from people.search import name_or_email
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token
from units.models import Qualification

# The most learners the cohort page offers at once; a search by name or email finds the others.
LEARNERS_SHOWN = 200


def _newest_qualifications() -> list[Qualification]:
    """Each qualification once, at its newest version: what a new registration starts on. A library holds a few."""
    newest: dict[str, Qualification] = {}
    for qualification in Qualification.objects.select_related("awarding_body").order_by("title", "version"):
        newest[qualification.family_slug] = qualification
    return sorted(newest.values(), key=lambda q: q.title)


def qualification_registration_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    registrations = (
        QualificationRegistration.objects.filter(centre=role.centre)
        .select_related("learner", "qualification__awarding_body")
        .prefetch_related(Prefetch("portfolios", queryset=Portfolio.objects.select_related("unit").order_by("pk")))
        .order_by("-pk")
    )
    page = _page_of(registrations, request.GET.get("page"))
    portfolios = [p for r in page.rows for p in r.portfolios.all()]
    progress = portfolios_progress(portfolios)
    standings = units_standing(portfolios, progress=progress)
    for portfolio in portfolios:
        portfolio.unit_standing = standings[portfolio.pk]  # type: ignore[attr-defined]
    attach(page.rows, qualifications_standing(page.rows, progress=progress))
    return render(
        request,
        "assessments/centre/qualification_registrations.html",
        {
            "page": page,
            "qualifications": _newest_qualifications(),
            "rule": RULE_IN_WORDS,
            "centre": role.centre,
        },
    )


@once_per_token
def qualification_register(request: HttpRequest, qualification_id: int) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    qualification = get_object_or_404(Qualification.objects.select_related("awarding_body"), pk=qualification_id)
    choices = qualification_units(qualification)
    # The centre's learners not yet on the qualification, found by name or email: a bounded number on the page, as
    # a centre may have thousands. The search stays in the page's address, so the form posts back the same list.
    query = request.GET.get("q", "").strip()
    candidates = people_with_role(role.centre, Role.LEARNER).exclude(
        pk__in=QualificationRegistration.objects.filter(centre=role.centre, qualification=qualification).values(
            "learner_id"
        )
    )
    if query:
        candidates = candidates.filter(name_or_email(query))
    learners = list(candidates[: LEARNERS_SHOWN + 1])
    more = len(learners) > LEARNERS_SHOWN
    learners = learners[:LEARNERS_SHOWN]
    # Each learner's number as the centre last entered it, offered again beside their name.
    numbers = dict(
        Portfolio.objects.filter(centre=role.centre, learner__in=[learner.pk for learner in learners])
        .order_by("learner_id", "pk")
        .values_list("learner_id", "learner_number")
    )
    form = CohortForm(
        request.POST if request.method == "POST" else None,
        centre=role.centre,
        learners=learners,
        choices=choices,
        numbers=numbers,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registrations = cohort_register(
                actor=request.user,
                centre=role.centre,
                learners=data["cohort"],
                qualification=qualification,
                start_date=data["start_date"],
                planned_end_date=data["planned_end_date"],
                optional_units=data["optional_units"],
                assessor=data["assessor"],
                iv=data["iv"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            count = len(registrations)
            messages.success(
                request, f"{count} learner{'s are' if count != 1 else ' is'} registered on {qualification}."
            )
            return redirect("centre_qualification_registrations")
    return render(
        request,
        "assessments/centre/qualification_register.html",
        {
            "form": form,
            "qualification": qualification,
            "choices": choices,
            "centre": role.centre,
            "query": query,
            "more": more,
            "shown": LEARNERS_SHOWN,
        },
    )


@once_per_token
def qualification_units_add(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = get_object_or_404(
        QualificationRegistration.objects.select_related("learner", "qualification__awarding_body"), pk=registration_id
    )
    role = require_centre_admin(request, {registration.centre_id})
    choices = qualification_units(registration.qualification)
    registered = set(
        registration.portfolios.exclude(status=PortfolioStatus.WITHDRAWN).values_list("unit__codes__code", flat=True)
    )
    form = QualificationUnitsForm(
        request.POST if request.method == "POST" else None, centre=role.centre, choices=choices, registered=registered
    )
    if request.method == "POST" and form.is_valid():
        try:
            numbers = units_add(actor=request.user, registration=registration, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"{registration.learner.full_name} is registered on unit{'s' if len(numbers) > 1 else ''} "
                f"{', '.join(numbers)} of {registration.qualification}.",
            )
            return redirect("centre_qualification_registrations")
    return render(
        request,
        "assessments/centre/qualification_units_add.html",
        {"form": form, "registration": registration, "choices": choices, "registered": registered},
    )
