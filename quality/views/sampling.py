"""The IV's sampling: the overview of their population with each assessor's target, their sampling plans with
CAMERA coverage, adding to and taking from a plan; and the centre admin's sampling policy.

A plan is its IV's: another IV at the centre gets 403, the centre's admins may read it, anyone not linked to the
centre gets 404. Each page is read in a fixed number of queries (quality/sampling.py, quality/camera.py).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from assessments.access import get_portfolio_for_user
from assessments.decisions import enforce
from people.access import active_role, linked_centre_ids, require_role
from people.models import Role, User
from people.roles import ActiveRole
from portfolio.forms import apply_validation_error
from quality.camera import plan_coverage
from quality.forms_sampling import CriterionSampleForm, PlanForm, PolicyForm, SampleForm
from quality.models import AssessorRisk, SampleItem, SampleScope, SampleStage, SamplingPlan
from quality.policy import LINKED, sample_may, sample_unit_may
from quality.sampling import filter_units, overview_for, policy_for, population, stage_name
from quality.services import sampling as services
from submissions.once import once_per_token
from units.models import AssessmentMethod

UNITS_PER_PAGE = 50


def centre_links(request: HttpRequest, centre_id: int) -> set[Role | str]:
    """The viewer's links to an object of the centre, for quality/policy.py: the role they act in there, beside
    LINKED when they are linked to the centre at all; none when they are not."""
    if centre_id not in linked_centre_ids(request):
        return set()
    role = active_role(request)
    here = role is not None and role.centre is not None and role.centre.pk == centre_id
    return {LINKED, role.role} if here else {LINKED}  # type: ignore[union-attr]


def _get_plan_for_user(request: HttpRequest, plan_id: int, write: bool) -> SamplingPlan:
    """The plan, if the sampling policy lets the person read it (or change it, to `write`): 404 with no link to
    its centre, 403 otherwise."""
    plan = get_object_or_404(SamplingPlan.objects.select_related("centre", "iv"), pk=plan_id)
    enforce(sample_may(request.user.pk, centre_links(request, plan.centre_id), "change" if write else "read", plan))
    return plan


def _within(plan: SamplingPlan | None) -> datetime.date:
    """Today, moved into the plan's dates: what a new item's "sample by" date starts as."""
    today = timezone.localdate()
    if plan is None:
        return today
    return min(max(today, plan.starts_on), plan.ends_on)


def _chosen_plan(plans: list[SamplingPlan], wanted: str) -> SamplingPlan | None:
    """The plan units are added to: the one asked for, else the first running today, else the latest."""
    if wanted.isdigit():
        for plan in plans:
            if plan.pk == int(wanted):
                return plan
    today = timezone.localdate()
    return next((p for p in plans if p.starts_on <= today <= p.ends_on), plans[0] if plans else None)


def _overview_page(
    request: HttpRequest, role: ActiveRole, *, form: SampleForm | None = None, failed: str = ""
) -> HttpResponse:
    iv: User = request.user  # type: ignore[assignment]
    centre = role.centre
    assert centre is not None
    overview = overview_for(iv, centre)
    plans = list(SamplingPlan.objects.filter(iv=iv, centre=centre).annotate(item_count=Count("items")))
    plan = _chosen_plan(plans, request.GET.get("plan", ""))
    assessor, sampled = request.GET.get("assessor", ""), request.GET.get("sampled", "")
    units = filter_units(
        population(iv, centre).with_people().order_by("learner__full_name", "unit__title", "pk"),
        overview,
        assessor=assessor,
        sampled=sampled,
    )
    page = Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    for portfolio in page:
        portfolio.sample_state = overview.states[portfolio.pk]  # type: ignore[attr-defined]
        portfolio.method_list = sorted(overview.methods.get(portfolio.pk, {}).items())  # type: ignore[attr-defined]
    if form is None:
        form = SampleForm(initial={"stage": SampleStage.SUMMATIVE, "planned_for": _within(plan)})
    return render(
        request,
        "quality/sampling_overview.html",
        {
            "role": role,
            "overview": overview,
            "policy": overview.policy,
            "bands": [(band, overview.policy.rate_for(band)) for band in AssessorRisk],
            "plans": plans,
            "plan": plan,
            "page": page,
            "assessor": assessor,
            "sampled": sampled,
            "form": form,
            "failed": failed,
            "query": request.GET.urlencode(),
            "method_names": AssessmentMethod.objects.order_by("order", "code").values_list("code", "name"),
        },
    )


@require_safe
def sampling_overview(request: HttpRequest) -> HttpResponse:
    return _overview_page(request, require_role(request, Role.IV))


@once_per_token
def sampling_plan_new(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.IV)
    today = timezone.localdate()
    form = PlanForm(request.POST or None, initial={"starts_on": today, "ends_on": today + datetime.timedelta(days=90)})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.sampling_plan_create(actor=request.user, centre=role.centre, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Sampling plan “{plan.title}” made. Add units, learners and criteria to it.")
            return redirect("sampling_plan_detail", plan_id=plan.pk)
    return render(request, "quality/plan_form.html", {"form": form, "role": role})


def _plan_page(
    request: HttpRequest,
    plan: SamplingPlan,
    *,
    form: SampleForm | None = None,
    criterion_form: CriterionSampleForm | None = None,
    failed: str = "",
) -> HttpResponse:
    coverage = plan_coverage(plan)
    may_change = bool(sample_may(request.user.pk, centre_links(request, plan.centre_id), "change", plan))
    if criterion_form is None:
        criterion_form = CriterionSampleForm(
            initial={"stage": SampleStage.INTERIM, "planned_for": _within(plan)},
            assessors=coverage.assessors,
            criteria=coverage.criteria,
        )
    if form is None:
        form = SampleForm(initial={"stage": SampleStage.SUMMATIVE, "planned_for": _within(plan)})
    return render(
        request,
        "quality/plan_detail.html",
        {
            "plan": plan,
            "coverage": coverage,
            "may_change": may_change,
            "form": form,
            "criterion_form": criterion_form,
            "failed": failed,
            "candidates": coverage.dimension("candidates"),
            "records": coverage.dimension("records"),
        },
    )


@require_safe
def sampling_plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, _get_plan_for_user(request, plan_id, write=False))


def _add(request: HttpRequest, plan: SamplingPlan, what: str, **target: object) -> HttpResponse:
    """Validate the shared stage and date, ask the service, and either go back to where the IV was or show that
    page again with the message beside the field."""
    form = SampleForm(request.POST)
    if form.is_valid():
        try:
            services.sample_item_add(actor=request.user, plan=plan, **form.cleaned_data, **target)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            stage = stage_name(form.cleaned_data["stage"])
            messages.success(request, f"Added to the {stage} sample of “{plan.title}”: {what}.")
            if request.POST.get("back") == "overview":
                return redirect(f"{reverse('sampling_overview')}?{request.GET.urlencode()}")
            return redirect("sampling_plan_detail", plan_id=plan.pk)
    failed = f"{what} was not added to the sample."
    if request.POST.get("back") == "overview":
        return _overview_page(request, require_role(request, Role.IV), form=form, failed=failed)
    return _plan_page(request, plan, form=form, failed=failed)


@require_POST
@once_per_token
def sample_unit_add(request: HttpRequest, plan_id: int, portfolio_id: int) -> HttpResponse:
    plan = _get_plan_for_user(request, plan_id, write=True)
    portfolio = get_portfolio_for_user(request, portfolio_id)
    enforce(sample_unit_may(request.user.pk, portfolio.links, portfolio))  # type: ignore[attr-defined]
    return _add(
        request,
        plan,
        f"{portfolio.learner.full_name}, {portfolio.unit.title}",
        scope=SampleScope.UNIT,
        portfolio=portfolio,
    )


@require_POST
@once_per_token
def sample_learner_add(request: HttpRequest, plan_id: int, learner_id: int) -> HttpResponse:
    plan = _get_plan_for_user(request, plan_id, write=True)
    # Only a learner with units in the IV's population is named: anyone else is no business of this plan.
    learner = get_object_or_404(
        User.objects.filter(pk__in=population(plan.iv, plan.centre).values("learner_id")), pk=learner_id
    )
    return _add(request, plan, f"all units of {learner.full_name}", scope=SampleScope.LEARNER, learner=learner)


@require_POST
@once_per_token
def sample_criterion_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = _get_plan_for_user(request, plan_id, write=True)
    coverage = plan_coverage(plan)
    form = CriterionSampleForm(request.POST, assessors=coverage.assessors, criteria=coverage.criteria)
    if form.is_valid():
        try:
            item = services.sample_item_add(
                actor=request.user, plan=plan, scope=SampleScope.CRITERION, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"Added to the {stage_name(item.stage)} sample: {item.assessor.full_name}'s decisions on "  # type: ignore[union-attr]
                f"criterion {item.criterion.code}.",  # type: ignore[union-attr]
            )
            return redirect("sampling_plan_detail", plan_id=plan.pk)
    return _plan_page(request, plan, criterion_form=form, failed="The criterion was not added to the sample.")


@require_POST
def sample_item_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(SampleItem.objects.select_related("plan"), pk=item_id)
    plan = _get_plan_for_user(request, item.plan_id, write=True)
    try:
        services.sample_item_remove(actor=request.user, item=item)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Taken out of the plan.")
    return redirect("sampling_plan_detail", plan_id=plan.pk)


def sampling_policy(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    policy = policy_for(role.centre)  # type: ignore[arg-type]
    form = PolicyForm(request.POST or None, initial={name: getattr(policy, name) for name in services.POLICY_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            services.sampling_policy_update(actor=request.user, centre=role.centre, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Sampling policy saved. IVs' targets follow it from now on.")
            return redirect("sampling_policy")
    return render(
        request,
        "quality/policy_form.html",
        {"form": form, "policy": policy, "centre": role.centre, "bands": list(AssessorRisk)},
    )
