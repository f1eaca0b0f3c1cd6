"""The IV's reports and the assessor's action points.

Writing a report on a unit is for the unit's IV; on a criterion sample, for the IV whose plan it is. A report is read
by its IV, the assessor whose decisions it covers, the centre's admins and the EV; the unit's learner is linked but
gets 403 (IV reports are internal quality assurance). Action points are the assessor's: their list, and marking one
done. An empty POST of a report form shows the form again with its errors.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from tests.access_rows import PERSONAS


def sample_item_criterion(world):
    from quality.models import SampleItem, SampleScope, SampleStage, SamplingPlan
    from units.models import Criterion

    today = timezone.localdate()
    plan = SamplingPlan.objects.create(
        centre=world.centre, iv=world.iv, title="Spring sample", starts_on=today, ends_on=today + datetime.timedelta(90)
    )
    return SampleItem.objects.create(
        plan=plan,
        scope=SampleScope.CRITERION,
        stage=SampleStage.INTERIM,
        assessor=world.assessor,
        criterion=Criterion.objects.get(outcome__unit=world.portfolio.unit, outcome__number=2, number=1),
        planned_for=today + datetime.timedelta(30),
        created_by=world.iv,
    )


def unit_report(world):
    from quality.services.reports import iv_report_unit

    return iv_report_unit(
        actor=world.iv,
        portfolio=world.portfolio,
        agreement="disagree",
        feedback="The witness testimony is not yet confirmed.",
        actions=[("Chase the witness's confirmation", timezone.localdate() + datetime.timedelta(7))],
    )


def criterion_report(world):
    from quality.services.reports import iv_report_criterion

    return iv_report_criterion(
        actor=world.iv,
        sample_item=sample_item_criterion(world),
        agreement="agree",
        feedback="Consistent decisions on 2.1 across learners.",
    )


def _only(allowed: str, status: int) -> dict[str, int]:
    return {**dict.fromkeys(PERSONAS, 403), allowed: status, "outsider": 404}


REPORT_READ = {**dict.fromkeys(PERSONAS, 200), "learner": 403, "outsider": 404}

MORE_URLS: dict[str, Callable[[Any], str]] = {
    "iv_report_unit": lambda w: reverse("iv_report_unit", args=[w.portfolio.pk]),
    "iv_report_criterion": lambda w: reverse("iv_report_criterion", args=[sample_item_criterion(w).pk]),
    "iv_report_detail": lambda w: reverse("iv_report_detail", args=[unit_report(w).pk]),
    "iv_report_detail_criterion": lambda w: reverse("iv_report_detail", args=[criterion_report(w).pk]),
    "action_point_done": lambda w: reverse("action_point_done", args=[unit_report(w).actions.get().pk]),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("iv_report_unit", "get", _only("iv", 200)),
    ("iv_report_unit", "post", _only("iv", 200)),
    ("iv_report_criterion", "get", _only("iv", 200)),
    ("iv_report_criterion", "post", _only("iv", 200)),
    ("iv_report_detail", "get", REPORT_READ),
    ("iv_report_detail_criterion", "get", REPORT_READ),
    ("action_list", "get", {**dict.fromkeys(PERSONAS, 403), "assessor": 200}),
    ("action_point_done", "post", _only("assessor", 302)),
]
