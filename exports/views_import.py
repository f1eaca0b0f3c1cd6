"""Centre admin: importing a learner's portable portfolio from their previous centre as prior evidence."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from assessments.evidence.uploads import size_text
from assessments.models import Portfolio
from exports.importing import max_unpacked, portable_import
from people.access import require_centre_admin
from submissions.once import once_per_token


class PortableImportForm(forms.Form):
    archive = forms.FileField(
        label="Portable portfolio (ZIP file)",
        help_text="The ZIP file the previous centre exported, unchanged. Every file in it is checked against "
        "its manifest before anything is imported.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if archive.size > max_unpacked():
            raise ValidationError(
                f"This file is {size_text(archive.size)}; "
                f"a portable portfolio can be up to {size_text(max_unpacked())}."
            )
        return archive


@once_per_token
def portable_import_view(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = get_object_or_404(Portfolio.objects.with_people(), pk=portfolio_id)
    role = require_centre_admin(request, {portfolio.centre_id})
    form = PortableImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = portable_import(
                actor=request.user, role=role.role, portfolio=portfolio, archive=form.cleaned_data["archive"]
            )
        except ValidationError as exc:
            form.add_error("archive", exc.messages)
        else:
            items = f"{result.items} item{'s' if result.items != 1 else ''} of prior evidence"
            messages.success(
                request,
                f"Imported {items} and the unit record from {result.source_centre} into "
                f"{portfolio.learner.full_name}'s portfolio for {portfolio.unit.title} ({result.files} "
                f"file{'s' if result.files != 1 else ''}, every one matching its SHA-256). "
                "They are waiting for the assessor's judgement.",
            )
            return redirect("centre_portfolios")
    return render(request, "exports/import.html", {"form": form, "portfolio": portfolio})
