"""Centre admin: the claim list of completed units, as a page and as CSV, and the identifiers a claim needs."""

from __future__ import annotations

import csv
import io
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from assessments.centre.claiming import (
    HEADER,
    IdentifiersForm,
    claims_for,
    portfolio_identifiers_set,
    portfolios_claim,
)
from assessments.models import Portfolio
from audit.export import safe_cell
from people.access import require_centre_admin, require_role
from people.models import Role
from portfolio.forms import apply_validation_error


@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    return render(
        request, "assessments/centre/claim_list.html", {"claims": claims_for(role.centre), "centre": role.centre}
    )


@require_GET
def claim_list_csv(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for claim in claims_for(role.centre):
        # Names and numbers are typed by people: none may run as a formula in the spreadsheet that opens the file.
        writer.writerow([safe_cell(cell) for cell in claim.cells()])
    number = re.sub(r"[^A-Za-z0-9-]+", "-", role.centre.number).strip("-") or "centre"
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"claims-{number}-{timezone.localdate().isoformat()}.csv"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def claims_mark(request: HttpRequest) -> HttpResponse:
    role = require_role(request, Role.ADMIN)
    ids = [int(value) for value in request.POST.getlist("portfolio") if value.isdigit()]
    marked = portfolios_claim(actor=request.user, centre=role.centre, portfolio_ids=ids)
    if marked:
        messages.success(request, f"Marked {marked} unit{'s' if marked != 1 else ''} as claimed.")
    else:
        messages.info(request, "Nothing was marked: tick the units you have claimed.")
    return redirect("centre_claims")


def portfolio_identifiers(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_object_or_404(Portfolio.objects.with_people(), pk=portfolio_id)
    require_centre_admin(request, {portfolio.centre_id})
    form = IdentifiersForm(
        request.POST or None, initial={"uln": portfolio.uln, "enrolment_number": portfolio.enrolment_number}
    )
    if request.method == "POST" and form.is_valid():
        try:
            portfolio_identifiers_set(actor=request.user, portfolio=portfolio, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved the ULN and enrolment number for {portfolio.learner.full_name}.")
            return redirect("centre_claims" if request.POST.get("next") == "claims" else "centre_portfolios")
    return render(
        request,
        "assessments/centre/portfolio_identifiers.html",
        {"form": form, "portfolio": portfolio, "next": request.GET.get("next", request.POST.get("next", ""))},
    )
