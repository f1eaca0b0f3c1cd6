"""The library's loading pages: a centre admin (or the site's staff) checks a unit or qualification file, sees
every problem beside the field or a preview of what would change, then loads it in one transaction. The library
itself (units/) sits below the people and roles these pages are for, so they live with the centre admin's pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessments.centre.library_policy import library_links, library_may
from assessments.decisions import enforce
from people.access import active_role
from units.forms import LibraryConfirmForm, LibraryFileForm
from units.library.importing import ImportResult, LibraryImportError, library_import


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
