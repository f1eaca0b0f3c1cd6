"""The IV's sampling pages and the centre's sampling policy.

The overview and a new plan are the IV's alone (everyone else linked to the centre, and the outsider, gets 403:
each acts in a role that is not IV). A plan is its IV's: the centre's admins may read it, anyone else linked to the
centre gets 403 and the outsider 404. Only the plan's IV adds to it or takes from it; an empty post comes back with
the messages beside the fields. The policy is for the admin of the active centre (the outsider edits their own).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS

IV_PAGE = {**dict.fromkeys(PERSONAS, 403), "iv": 200}
PLAN_READ = {**dict.fromkeys(PERSONAS, 403), "iv": 200, "admin": 200, "outsider": 404}
PLAN_WRITE = {**dict.fromkeys(PERSONAS, 403), "iv": 200, "outsider": 404}
PLAN_WRITE_REDIRECT = {**PLAN_WRITE, "iv": 302}
ADMIN_PAGE = {**dict.fromkeys(PERSONAS, 403), "admin": 200, "outsider": 200}


def _plan(world):
    from django.utils import timezone

    from quality.services.sampling import sampling_plan_create

    today = timezone.localdate()
    return sampling_plan_create(
        actor=world.iv,
        centre=world.centre,
        title="Access plan",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )


def _item(world):
    from quality.services.sampling import sample_item_add

    plan = _plan(world)
    return sample_item_add(
        actor=world.iv,
        plan=plan,
        scope="unit",
        stage="interim",
        planned_for=plan.starts_on,
        portfolio=world.portfolio,
    )


MORE_URLS: dict[str, Callable[[Any], str]] = {
    "sampling_plan_detail": lambda w: reverse("sampling_plan_detail", args=[_plan(w).pk]),
    "sample_unit_add": lambda w: reverse("sample_unit_add", args=[_plan(w).pk, w.portfolio.pk]),
    "sample_learner_add": lambda w: reverse("sample_learner_add", args=[_plan(w).pk, w.learner.pk]),
    "sample_criterion_add": lambda w: reverse("sample_criterion_add", args=[_plan(w).pk]),
    "sample_item_remove": lambda w: reverse("sample_item_remove", args=[_item(w).pk]),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("sampling_overview", "get", IV_PAGE),
    ("sampling_plan_new", "get", IV_PAGE),
    ("sampling_plan_new", "post", IV_PAGE),
    ("sampling_plan_detail", "get", PLAN_READ),
    ("sample_unit_add", "post", PLAN_WRITE),
    ("sample_learner_add", "post", PLAN_WRITE),
    ("sample_criterion_add", "post", PLAN_WRITE),
    ("sample_item_remove", "post", PLAN_WRITE_REDIRECT),
    ("sampling_policy", "get", ADMIN_PAGE),
    ("sampling_policy", "post", ADMIN_PAGE),
]
