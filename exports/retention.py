"""Retention: a learner's personal data is kept for RECORDS_RETENTION_YEARS after their last unit was certified,
then anonymised (`manage.py records_anonymise`), so that the signed records still verify and say nothing of who the
learner was beyond what the signed record itself fixed.

What is anonymised is everything that names or reaches the learner and that no hash covers: their account (name,
email, password, active), their memberships (made inactive), their notifications (deleted), the feedback threads on
their evidence, the witnesses' email addresses on the emailed confirmation links, their exports' descriptions and
file names, and the sign-in throttle's rows under their email.

What is kept, and why: every signature (its signer_name, statement and digest are covered by the centre's signature
chain, and the database refuses to change them), every audit row (its summary and data are covered by the centre's
audit chain and the database refuses to change it: some summaries name the learner), the evidence items, their
files and the stored record PDFs (the signed record's digest covers the items' titles, descriptions through their
SHA-256, the witnesses' names and statements and the files' names and SHA-256; each file and PDF is checked against
its SHA-256; and once signed the database refuses any change to the evidence). The assessor's records are kept by
the same rule, though their free text may name the learner: an observation's notes and feedback, questioning's
questions and answers and a discussion's topics are each covered by the signed record through their SHA-256 (and
the audit rows hold the questions and topics as written), and a discussion's recording is an evidence file. The
assessor's feedback on an observation is part of that record; the feedback threads are not, and are replaced.
Rewriting any of these would make `verify_records` report the very tampering it exists to find, and no record could
be verified again. The learner's number with the awarding body stays too: it is in the signed record, and it is the
awarding body's key to the certificate.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.text import slugify

from assessments.models import Feedback, Portfolio, PortfolioStatus, WitnessRequest
from assessments.records.services.drafts import record_drafts_delete
from audit.models import AuditEvent
from audit.services import audit_log
from exports.models import Export
from notifications.models import Notification
from people.models import Centre, ExternalVerifier, Membership, Role, User

ACTION = "learner.anonymised"
FEEDBACK_REMOVED = "[Removed when the learner's records were anonymised after the retention period.]"


def placeholder_name(user: User) -> str:
    """Stable: the same learner always gets the same placeholder, and no two learners share one."""
    return f"Learner {user.pk}"


def placeholder_email(user: User) -> str:
    # .invalid can never be delivered to (RFC 2606).
    return f"learner-{user.pk}@anonymised.invalid"


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February, in a year that has none
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class Due:
    learner: User
    certified_at: datetime.datetime  # when the last of their units was certified (moved to complete)
    centre_id: int  # where that was
    portfolio_ids: list[int]


def learners_due(*, now: datetime.datetime | None = None, years: int | None = None) -> list[Due]:
    """Learners whose every registration is complete, the last certified more than `years` ago, who hold no other
    role anywhere, and who are not anonymised already. A completion the audit trail does not record leaves the
    learner out: without its date the period cannot be said to have run."""
    now = now or timezone.now()
    years = settings.RECORDS_RETENTION_YEARS if years is None else years
    cutoff = years_before(now, years)
    counts = (
        Portfolio.objects.values("learner_id")
        .annotate(total=Count("pk"), complete=Count("pk", filter=Q(status=PortfolioStatus.COMPLETE)))
        .order_by()
    )
    candidates = {row["learner_id"] for row in counts if row["total"] == row["complete"]}
    staff = set(
        Membership.objects.filter(user_id__in=candidates).exclude(role=Role.LEARNER).values_list("user_id", flat=True)
    )
    staff |= set(ExternalVerifier.objects.filter(user_id__in=candidates).values_list("user_id", flat=True))
    staff |= set(
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True), pk__in=candidates).values_list("pk", flat=True)
    )
    done = {
        int(target)
        for target in AuditEvent.objects.filter(action=ACTION, target_type="people.user").values_list(
            "target_id", flat=True
        )
    }
    candidates -= staff | done
    portfolios: dict[int, list[Portfolio]] = {}
    for p in Portfolio.objects.filter(learner_id__in=candidates).order_by("pk"):
        portfolios.setdefault(p.learner_id, []).append(p)
    completed = dict(
        AuditEvent.objects.filter(
            portfolio__learner_id__in=candidates,
            target_type="assessments.portfolio",
            data__after=PortfolioStatus.COMPLETE,
        )
        .values("portfolio_id")
        .annotate(last=Max("at"))
        .values_list("portfolio_id", "last")
        .order_by()
    )
    due = []
    users = User.objects.in_bulk(candidates)
    for learner_id, rows in sorted(portfolios.items()):
        if any(p.pk not in completed for p in rows):
            continue
        last = max(rows, key=lambda p: completed[p.pk])
        if completed[last.pk] <= cutoff:
            due.append(Due(users[learner_id], completed[last.pk], last.centre_id, [p.pk for p in rows]))
    return due


@transaction.atomic
def learner_anonymise(*, due: Due, years: int | None = None) -> User:
    """Remove the learner's personal data that no hash covers (see the module's docstring for what stays and why),
    and audit it once, naming no one."""
    years = settings.RECORDS_RETENTION_YEARS if years is None else years
    learner = User.objects.select_for_update().get(pk=due.learner.pk)
    if AuditEvent.objects.filter(action=ACTION, target_type="people.user", target_id=str(learner.pk)).exists():
        raise ValueError(f"Learner {learner.pk} is anonymised already.")
    old_name, old_email = learner.full_name, learner.email
    name = placeholder_name(learner)
    learner.full_name = name
    learner.email = placeholder_email(learner)
    learner.is_active = False
    learner.email_notifications = False
    learner.last_login = None
    # Also ends every session they had: a session is tied to the password it was signed in with.
    learner.set_unusable_password()
    learner.save()
    Membership.objects.filter(user=learner).update(is_active=False)
    notifications = Notification.objects.filter(user=learner).delete()[0]
    feedback = Feedback.objects.filter(evidence__portfolio__learner=learner).update(text=FEEDBACK_REMOVED)
    witness_links = WitnessRequest.objects.filter(evidence__portfolio__learner=learner).update(email="")
    # An export's file is removed within EXPORT_KEEP_HOURS anyway; its row keeps a description and file name that
    # were made from the learner's name.
    for export in Export.objects.filter(learner=learner):
        export.description = export.description.replace(old_name, name).replace(old_email, placeholder_email(learner))
        if slugify(old_name):
            export.filename = export.filename.replace(slugify(old_name), slugify(name))
        export.save(update_fields=["description", "filename"])
    # Kept drafts print the learner's name and are only a cache: removing them early, should the transaction fail,
    # costs a render.
    drafts = sum(record_drafts_delete(portfolio=p) for p in Portfolio.objects.filter(learner=learner))
    throttle = sum(
        model.objects.filter(username__iexact=old_email).delete()[0]
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
    audit_log(
        actor=None,
        action=ACTION,
        centre=Centre.objects.get(pk=due.centre_id),
        target=learner,
        summary=(
            f"{name}'s personal data anonymised, {years} years after their last unit was certified on "
            f"{due.certified_at:%d/%m/%Y}; the signed records, their evidence and the audit trail are kept"
        ),
        data={
            "learner": learner.pk,
            "portfolios": due.portfolio_ids,
            "certified_at": due.certified_at.isoformat(),
            "retention_years": years,
            "removed": {
                "notifications": notifications,
                "feedback_messages": feedback,
                "witness_emails": witness_links,
                "sign_in_throttle_rows": throttle,
                "kept_drafts": drafts,
            },
        },
    )
    return learner
