"""The centre's sufficiency thresholds (assessments/models/sufficiency.py): the admin's form and its write."""

from __future__ import annotations

from django import forms
from django.db import transaction

from assessments.models import SufficiencyThresholds
from audit.services import audit_log
from people.models import Centre, Role, User

FIELDS = ("min_customers", "min_occasions", "min_weeks")


class ThresholdsForm(forms.Form):
    min_customers = forms.IntegerField(
        label="Different customers", min_value=1, max_value=99, required=False,
        help_text="At least this many different customers for each criterion. Leave empty for no threshold.",
    )  # fmt: skip
    min_occasions = forms.IntegerField(
        label="Different occasions", min_value=1, max_value=99, required=False,
        help_text="At least this many different occasions (dates, or occasion references on one date).",
    )  # fmt: skip
    min_weeks = forms.IntegerField(
        label="Weeks between the first and last evidence", min_value=1, max_value=520, required=False,
        help_text="At least this many weeks between the first and the last activity date for each criterion.",
    )  # fmt: skip


@transaction.atomic
def thresholds_save(
    *, actor: User, centre: Centre, min_customers: int | None, min_occasions: int | None, min_weeks: int | None
) -> SufficiencyThresholds:
    """Set the centre's thresholds; an empty one is no threshold."""
    thresholds, _ = SufficiencyThresholds.objects.select_for_update().get_or_create(centre=centre)
    before = {name: getattr(thresholds, name) for name in FIELDS}
    thresholds.min_customers, thresholds.min_occasions, thresholds.min_weeks = min_customers, min_occasions, min_weeks
    thresholds.updated_by = actor
    thresholds.save()
    after = {name: getattr(thresholds, name) for name in FIELDS}
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="sufficiency.thresholds_changed",
        target=thresholds,
        summary="Sufficiency thresholds changed",
        data={"before": before, "after": after},
    )
    return thresholds
