"""Rows of the access matrix whose answer is a policy's (assessments/policy.py and its siblings: the evidence and
plan policy, quality/policy.py, exports/policy.py).

For each persona, the status such a row expects is asked of the policy itself: the persona's links to the object
the URL names (worked out by the same helper the view uses), the view's action, the status the view gives when the
policy says yes. The matrix and the rulebook cannot drift: change a rule and these rows expect the new answer over
HTTP; change a view so that it no longer asks, and its row fails. The statuses written by hand beside each row in
MATRIX stay as a second witness, asserted equal to the policy's.

The sign-off's actions (assessments/policy.py) are asked as their views ask them: the link the action needs at the
door (403 with the policy's words), and the rest of the policy's answer (the state, the order, the IV's own
decisions) given by the service on the sign-off page, after a redirect (ON_THE_PAGE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from django.test import RequestFactory
from django.urls import resolve


@dataclass(frozen=True)
class Ask:
    """One question to a policy: policy(user_id, links, action, target) -> Decision."""

    policy: Callable[..., Any]
    action: str | Callable[[dict[str, Any]], str]  # or the action, from the URL's arguments
    target: Callable[[dict[str, Any]], Any]  # the object, from the URL's arguments
    links: Callable[[Any, Any], set]  # (request, target) -> the viewer's links to it
    allowed: int = 200  # what the view answers when the policy says yes

    def decision(self, user, kwargs: dict[str, Any]):
        target = self.target(kwargs)
        request = RequestFactory().get("/")
        request.user = user
        request.session = {}  # the persona's own role, as the client signed in without switching has
        action = self.action(kwargs) if callable(self.action) else self.action
        return self.policy(user.pk, self.links(request, target), action, target)


def expected_status(asks: tuple[Ask, ...], user, url: str) -> int:
    """The status the policies give this person at this URL: the first refusal's, or the last yes's."""
    kwargs = resolve(urlparse(url).path).kwargs
    status = 200
    for ask in asks:
        decision = ask.decision(user, kwargs)
        if not decision:
            return decision.status
        status = ask.allowed
    return status


# --- Targets, from the URL's arguments ---------------------------------------------------------------------------


def _portfolio(kw):
    from assessments.models import Portfolio

    return Portfolio.objects.with_people().get(pk=kw["portfolio_id"])


def _evidence(kw):
    from assessments.models import Evidence

    return Evidence.objects.select_related("portfolio").get(pk=kw["evidence_id"])


def _signature(kw):
    from assessments.models import Signature

    return Signature.objects.select_related("portfolio").get(pk=kw["signature_id"])


def _plan_action_portfolio(kw):
    from assessments.models import PlanAction

    return PlanAction.objects.select_related("plan__portfolio").get(pk=kw["action_id"]).plan.portfolio


def _sampling_plan(kw):
    from quality.models import SamplingPlan

    return SamplingPlan.objects.get(pk=kw["plan_id"])


def _sample_item(kw):
    from quality.models import SampleItem

    return SampleItem.objects.select_related("plan").get(pk=kw["item_id"])


def _report(kw):
    from quality.models import IVReport

    return IVReport.objects.select_related("portfolio").get(pk=kw["report_id"])


def _action_point(kw):
    from quality.models import ActionPoint

    return ActionPoint.objects.select_related("report__portfolio").get(pk=kw["action_id"])


def _visit(kw):
    from quality.models import EVVisit

    return EVVisit.objects.select_related("external_verifier").get(pk=kw["visit_id"])


def _export(kw):
    from exports.models import Export

    return Export.objects.get(pk=kw["export_id"])


# --- Links, by the helpers the views use ---------------------------------------------------------------------------


def _portfolio_links(request, target):
    from assessments.access import portfolio_links
    from assessments.models import Evidence, Signature

    return portfolio_links(request, target.portfolio if isinstance(target, (Evidence, Signature)) else target)


def _centre_links(request, target):
    from quality.models import SampleItem
    from quality.views.sampling import centre_links

    return centre_links(request, target.plan.centre_id if isinstance(target, SampleItem) else target.centre_id)


def _report_links(request, target):
    from quality.models import ActionPoint
    from quality.views.reports import report_links

    return report_links(request, target.report if isinstance(target, ActionPoint) else target)


def _visit_links(request, target):
    from quality.views.visits import visit_links

    return visit_links(request, target)


def _audit_links(request, target):
    from quality.views.audit_trail import audit_links

    return audit_links(request, target)


def _export_links(request, target):
    from exports.views import export_links

    return export_links(request, target)


# --- Policies, as the views ask them -------------------------------------------------------------------------------


def _evidence_who(user_id, links, action, target):
    # The pages ask who at the door and show the lock on the page itself (assessments/evidence/policy.py).
    from assessments.evidence.policy import evidence_who

    return evidence_who(links, action, target)


def _plan_who(user_id, links, action, target):
    from assessments.evidence.policy import plan_who

    return plan_who(links, action)


def _sample_may(user_id, links, action, target):
    from quality.policy import sample_may

    return sample_may(user_id, links, action, target if hasattr(target, "iv_id") else target.plan)


def _sample_unit_may(user_id, links, action, target):
    from quality.policy import sample_unit_may

    return sample_unit_may(user_id, links, target)


def _report_unit_may(user_id, links, action, target):
    from quality.policy import report_unit_may

    return report_unit_may(user_id, links, target)


def _report_may(user_id, links, action, target):
    from quality.policy import report_may

    return report_may(user_id, links, action, target)


def _action_point_may(user_id, links, action, target):
    from quality.policy import action_point_may

    return action_point_may(user_id, links, action, target)


def _visit_may(user_id, links, action, target):
    from quality.policy import visit_may

    return visit_may(user_id, links, action, target)


def _findings_may(user_id, links, action, target):
    # The findings page opens for the EV whatever the unit's state; the service refuses a withdrawn one.
    from quality.policy import findings_may

    return findings_may(user_id, links, target, now=False)


def _export_may(user_id, links, action, target):
    from exports.policy import export_may

    return export_may(user_id, links, action, target)


def _record_may(user_id, links, action, target):
    from assessments.records.policy import record_may

    return record_may(user_id, links, action, target)


# A refusal the sign-off's services give on the page: the view sends the person back to it (302) to read why.
ON_THE_PAGE = 302
# What a sign-off view does -> the policy's actions it may be, the first whose link the person holds, as the view
# chooses (an IV samples as IV; the assessor refers as assessor, then the IV, then the EV).
SIGNOFF_ACTIONS = {
    "sample": ("iv_sample", "ev_sample"),
    "release": ("iv_release", "ev_release"),
    "refer": ("assessor_refer", "iv_refer", "ev_refer"),
}


def _signoff_may(user_id, links, action, target):
    from assessments.decisions import refuse
    from assessments.policy import NEEDS, portfolio_may

    choices = SIGNOFF_ACTIONS.get(action, (action,))
    chosen = next((a for a in choices if NEEDS[a][0] in links), choices[-1])
    decision = portfolio_may(user_id, links, chosen, target)
    if decision or decision.status == 404 or NEEDS[chosen][0] not in links:
        return decision
    return refuse(decision.reason, ON_THE_PAGE)


def _withdraw_may(user_id, links, action, target):
    from assessments.decisions import refuse
    from assessments.policy import WITHDRAW_WHO, signature_may_withdraw

    decision = signature_may_withdraw(user_id, links, target, target.portfolio)
    if decision or decision.status == 404 or decision.reason == WITHDRAW_WHO:
        return decision
    return refuse(decision.reason, ON_THE_PAGE)


def _sign_action(kw):
    # The signature's kind in the URL names the action (assessments/policy.py, SIGN_ACTIONS).
    from assessments.models import SignatureKind
    from assessments.policy import SIGN_ACTIONS

    return SIGN_ACTIONS[SignatureKind(kw["kind"])]


def _library_may(user_id, links, action, target):
    # The library is one for every centre: the question has no object.
    from assessments.centre.library_policy import library_may

    return library_may(user_id, links, action)


def _library_links(request, target):
    from assessments.centre.library_policy import library_links

    return library_links(request)


def library(action: str = "import") -> tuple[Ask, ...]:
    return (Ask(_library_may, action, lambda kwargs: None, _library_links),)


def evidence(action: str, target=_evidence, allowed: int = 200) -> tuple[Ask, ...]:
    return (Ask(_evidence_who, action, target, _portfolio_links, allowed),)


def plan(action: str, target=_portfolio, allowed: int = 200) -> tuple[Ask, ...]:
    return (Ask(_plan_who, action, target, _portfolio_links, allowed),)


def sampling(action: str, target=_sampling_plan, allowed: int = 200) -> tuple[Ask, ...]:
    return (Ask(_sample_may, action, target, _centre_links, allowed),)


def export(action: str, allowed: int = 200) -> tuple[Ask, ...]:
    return (Ask(_export_may, action, _export, _export_links, allowed),)


def record(action: str) -> tuple[Ask, ...]:
    return (Ask(_record_may, action, _portfolio, _portfolio_links),)


def signoff(action) -> tuple[Ask, ...]:
    return (Ask(_signoff_may, action, _portfolio, _portfolio_links, ON_THE_PAGE),)


# (name, method) of a row in the matrix -> the questions its view asks, in order.
ASKS: dict[tuple[str, str], tuple[Ask, ...]] = {
    # Evidence: everyone linked reads; the learner changes their own items, the assessor reviews them and keeps
    # their own records; the two write in the thread. Empty posts come back as the form with its errors (200).
    ("portfolio", "get"): evidence("read", _portfolio),
    ("evidence_list", "get"): evidence("read", _portfolio),
    ("evidence_detail", "get"): evidence("read"),
    ("evidence_add", "get"): evidence("add", _portfolio),
    ("evidence_edit", "get"): evidence("edit"),
    ("evidence_delete_confirm", "get"): evidence("delete"),
    ("evidence_delete", "post"): evidence("delete", allowed=302),
    ("witness_resend", "post"): evidence("witness_resend", allowed=302),
    ("evidence_review", "get"): evidence("review"),
    ("evidence_review", "post"): evidence("review"),
    ("evidence_feedback", "post"): evidence("feedback"),
    ("assessor_record_add", "get"): evidence("record_add", _portfolio),
    ("assessor_record_add", "post"): evidence("record_add", _portfolio),
    ("assessor_record_edit", "get"): evidence("record_edit"),
    ("learner_edits_assessor_record", "get"): evidence("edit"),
    ("learner_deletes_assessor_record", "post"): evidence("delete", allowed=302),
    ("assessor_record_edit_post", "post"): evidence("record_edit"),
    ("observation_acknowledge", "post"): evidence("acknowledge", allowed=302),
    # The assessment plan.
    ("plan", "get"): plan("plan_read"),
    ("plan_action_add", "get"): plan("plan_change"),
    ("plan_action_add_post", "post"): plan("plan_change"),
    ("plan_action_edit", "get"): plan("plan_change", _plan_action_portfolio),
    ("plan_action_edit_post", "post"): plan("plan_change", _plan_action_portfolio),
    ("plan_action_delete_confirm", "get"): plan("plan_change", _plan_action_portfolio),
    ("plan_action_delete", "post"): plan("plan_change", _plan_action_portfolio, allowed=302),
    ("plan_agree", "post"): plan("plan_agree", allowed=302),
    # Sampling plans, and a unit put in one: the plan's IV, never on their own assessment decisions.
    ("sampling_plan_detail", "get"): sampling("read"),
    ("sample_unit_add", "post"): (
        *sampling("change"),
        Ask(_sample_unit_may, "sample", _portfolio, _portfolio_links),
    ),
    ("sample_learner_add", "post"): sampling("change"),
    ("sample_criterion_add", "post"): sampling("change"),
    ("sample_item_remove", "post"): sampling("change", _sample_item, allowed=302),
    # IV reports and action points.
    ("iv_report_unit", "get"): (Ask(_report_unit_may, "write", _portfolio, _portfolio_links),),
    ("iv_report_unit", "post"): (Ask(_report_unit_may, "write", _portfolio, _portfolio_links),),
    ("iv_report_criterion", "get"): sampling("report", _sample_item),
    ("iv_report_criterion", "post"): sampling("report", _sample_item),
    ("iv_report_detail", "get"): (Ask(_report_may, "read", _report, _report_links),),
    ("iv_report_detail_criterion", "get"): (Ask(_report_may, "read", _report, _report_links),),
    ("action_point_done", "post"): (Ask(_action_point_may, "done", _action_point, _report_links, 302),),
    # EV visits, their audit trail and findings.
    ("ev_visit_detail", "get"): (Ask(_visit_may, "open", _visit, _visit_links),),
    ("visit_audit", "get"): (Ask(_visit_may, "audit_trail", _visit, _audit_links),),
    ("visit_audit_csv", "get"): (Ask(_visit_may, "audit_trail", _visit, _audit_links),),
    ("visit_audit_ended", "get"): (Ask(_visit_may, "audit_trail", _visit, _audit_links),),
    ("visit_audit_csv_ended", "get"): (Ask(_visit_may, "audit_trail", _visit, _audit_links),),
    ("ev_findings", "get"): (Ask(_findings_may, "record", _portfolio, _portfolio_links),),
    ("ev_findings", "post"): (Ask(_findings_may, "record", _portfolio, _portfolio_links),),
    # Exports.
    ("export_detail", "get"): export("read"),
    ("export_progress", "get"): export("read"),
    ("export_download", "get"): export("download"),
    ("export_retry", "post"): export("retry", allowed=302),
    # The unit's record: its PDF and its history, for everyone linked (assessments/records/policy.py).
    ("record_pdf", "get"): record("pdf"),
    ("portfolio_history", "get"): record("history"),
    # The sign-off's actions, each row with the unit in the state its action needs (tests/access_rows/signoff.py).
    ("sign_learner", "post"): signoff(_sign_action),
    ("sign_assessor", "post"): signoff(_sign_action),
    ("sign_assessor_countersign", "post"): signoff(_sign_action),
    ("sign_iv", "post"): signoff(_sign_action),
    ("sign_iv_countersign", "post"): signoff(_sign_action),
    ("sign_ev", "post"): signoff(_sign_action),
    ("signoff_sample", "post"): signoff("sample"),
    ("signoff_release", "post"): signoff("release"),
    ("signoff_refer", "post"): signoff("refer"),
    ("signoff_refer_submitted", "post"): signoff("refer"),
    ("signature_withdraw", "post"): (Ask(_withdraw_may, "withdraw", _signature, _portfolio_links, ON_THE_PAGE),),
    # The unit library's upload page: empty posts come back as the page with what is missing.
    ("library_import", "get"): library(),
    ("library_import_check", "post"): library(),
    ("library_import_confirm", "post"): library(),
}
