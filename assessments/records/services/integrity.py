"""What happens when a stored file is found changed as someone asks for it: it is refused, and the refusal is
audited, so the centre sees that it happened and when."""

from __future__ import annotations

from django.db import models, transaction

from audit.services import audit_log


@transaction.atomic
def stored_file_refused(
    *, actor, role: str, target: models.Model, portfolio, what: str, expected: str, actual: str | None
) -> None:
    audit_log(
        actor=actor,
        actor_role=role,
        centre=portfolio.centre,
        action="file.altered_refused",
        target=target,
        portfolio=portfolio,
        summary=f"Not served, changed outside the application: {what}",
        data={"expected_sha256": expected, "actual_sha256": actual or "missing"},
    )


def records_verify_and_notify() -> int:
    """Run every integrity check; for each centre with a problem, audit what was found and tell its admins (one
    open notification each, until they deal with it). Returns the number of problems."""
    from django.urls import reverse

    from assessments.records.integrity import all_problems
    from notifications.services import notify
    from people.models import Centre, Membership, Role

    problems = all_problems()
    by_centre: dict[int, list[str]] = {}
    for problem in problems:
        if problem.centre_id:
            by_centre.setdefault(problem.centre_id, []).append(str(problem))
    for centre in Centre.objects.filter(pk__in=by_centre).order_by("pk"):
        found = by_centre[centre.pk]
        with transaction.atomic():
            audit_log(
                actor=None,
                centre=centre,
                action="records.broken",
                summary=f"The scheduled check of the records found {len(found)} problem(s)",
                data={"problems": found[:50]},
            )
            body = "\n".join(f"- {line[0].upper()}{line[1:]}." for line in found[:20])
            admins = Membership.objects.filter(centre=centre, role=Role.ADMIN, is_active=True).select_related("user")
            for membership in admins:
                notify(
                    user=membership.user,
                    kind="records.broken",
                    target=centre,
                    centre=centre,
                    title=f"Signed records at {centre.name} have been changed outside the application",
                    url=reverse("centre_audit"),
                    body=body,
                )
    return len(problems)


def records_verify_schedule(*, force: bool = False) -> bool:
    """Have the worker check the records in RECORDS_VERIFY_HOURS, unless a check is already waiting (`force`: the
    check itself asks for the next, as it finishes). Returns whether one was enqueued."""
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from assessments.tasks import verify_records_regularly

    if not force:
        try:
            from django_tasks_db.models import DBTaskResult

            waiting = DBTaskResult.objects.filter(
                status="READY", task_path=verify_records_regularly.module_path
            ).exists()
        except (ImportError, LookupError):
            waiting = False
        if waiting:
            return False
    when = timezone.now() + datetime.timedelta(hours=settings.RECORDS_VERIFY_HOURS)
    verify_records_regularly.using(run_after=when).enqueue()
    return True
