"""Centre admin: the people at the centre and their roles."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from people import services
from people.access import require_centre_admin, require_role
from people.forms import MemberAddForm, QualificationForm
from people.models import CENTRE_ROLES, Membership, Role, User
from people.registrations import registrations_involving
from people.roles import ActiveRole
from people.search import name_or_email
from portfolio.forms import apply_validation_error
from submissions.once import once_per_token


def _get_person_for_admin(request: HttpRequest, user_id: int) -> tuple[ActiveRole, User]:
    """A person who holds, or held, a role at the acting admin's centre."""
    person = get_object_or_404(User, pk=user_id)
    centre_ids = set(Membership.objects.filter(user=person).values_list("centre_id", flat=True))
    return require_centre_admin(request, centre_ids), person


def people_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    wanted_role = request.GET.get("role", "")
    show = request.GET.get("show", "active")
    query = request.GET.get("q", "").strip()

    at_centre = Membership.objects.filter(centre=role.centre)
    people = User.objects.filter(Exists(at_centre.filter(user=OuterRef("pk"))))
    # "Active" and "deactivated" are about the role asked for, when one is.
    roles_asked = at_centre.filter(user=OuterRef("pk"))
    if wanted_role in Role.values:
        roles_asked = roles_asked.filter(role=wanted_role)
        people = people.filter(Exists(roles_asked))
    if show == "active":
        people = people.filter(Exists(roles_asked.filter(is_active=True)))
    elif show == "inactive":
        people = people.exclude(Exists(roles_asked.filter(is_active=True)))
    if query:
        people = people.filter(name_or_email(query))
    people = people.order_by("full_name", "email").prefetch_related(
        Prefetch("memberships", queryset=at_centre.order_by("role"), to_attr="centre_memberships")
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/people_list.html",
        {
            "page": page,
            "roles": CENTRE_ROLES,
            "wanted_role": wanted_role,
            "show": show,
            "query": query,
            "centre": role.centre,
        },
    )


@once_per_token
def person_add(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_add(
                actor=request.user,
                centre=role.centre,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role(form.cleaned_data["role"]),
                qualification=form.cleaned_data["qualification"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"{membership.user.full_name} is now {Role(membership.role).with_article} here. "
                f"We have emailed {membership.user.email}.",
            )
            return redirect("centre_person", user_id=membership.user_id)
    return render(request, "people/person_add.html", {"form": form, "centre": role.centre})


def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    role, person = _get_person_for_admin(request, user_id)
    memberships = list(Membership.objects.filter(user=person, centre=role.centre).order_by("role"))
    for membership in memberships:
        membership.qualification_form = (
            QualificationForm(initial={"qualification": membership.qualification}, prefix=f"m{membership.pk}")
            if membership.qualification
            else None
        )
    involved = registrations_involving(centre=role.centre, person=person)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "memberships": memberships,
            "portfolios": involved,
            "is_active_here": any(m.is_active for m in memberships),
            "centre": role.centre,
        },
    )


def _person_action(request: HttpRequest, user_id: int, action, done: str) -> HttpResponse:
    role, person = _get_person_for_admin(request, user_id)
    try:
        action(actor=request.user, centre=role.centre, user=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(name=person.full_name))
    return redirect("centre_person", user_id=person.pk)


@require_POST
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_action(request, user_id, services.member_deactivate, "{name} no longer has a role at this centre.")


@require_POST
def person_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_action(
        request, user_id, services.member_reactivate, "{name}'s roles at this centre are active again."
    )


@require_POST
def membership_qualification(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user", "centre"), pk=membership_id)
    require_centre_admin(request, {membership.centre_id})
    form = QualificationForm(request.POST, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.membership_set_qualification(
                actor=request.user, membership=membership, qualification=form.cleaned_data["qualification"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved: {membership.user.full_name} as {membership.get_role_display().lower()}.")
    else:
        messages.error(request, "Choose qualified or still qualifying.")
    return redirect("centre_person", user_id=membership.user_id)
