"""Writes about people and their roles. Each runs in one transaction, checks
what it is asked, saves, and leaves an audit row; emails go out only once the
transaction has committed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.services import audit_log
from notifications.services import email_send_later
from people.models import (
    QUALIFIABLE_ROLES,
    Centre,
    ExternalVerifier,
    Membership,
    Qualification,
    Role,
    User,
    normalise_email,
)

ADDED_A_MOMENT_AGO = (
    "Someone with this email was added a moment ago, perhaps by another admin. "
    "Find them in the list of people; add this role to them if they still need it."
)


def set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def _send_welcome(user: User, centre: Centre, role: Role, *, new_account: bool) -> None:
    context = {
        "user": user,
        "centre": centre,
        "role": role.with_article,
        "link": set_password_link(user) if new_account else settings.SITE_URL + reverse("login"),
        "new_account": new_account,
        "site_name": settings.SITE_NAME,
    }
    subject = (
        f"Set your password for {settings.SITE_NAME}"
        if new_account
        else f"You are now {role.with_article} at {centre.name}"
    )
    # Sent by the task worker (the link in it sealed while it waits in the queue).
    email_send_later(subject=subject, body=render_to_string("people/email/welcome.txt", context), to=[user.email])


@transaction.atomic
def member_add(
    *,
    actor: User,
    centre: Centre,
    email: str,
    full_name: str,
    role: Role,
    qualification: str = "",
) -> Membership:
    """Give a person a role at the centre, creating their account if they have none.

    A person who already has an account (say, an assessor at another centre)
    keeps it and gains the role; a new account gets an emailed link to set a
    password.
    """
    email = normalise_email(email)
    role = Role(role)
    if role not in QUALIFIABLE_ROLES:
        qualification = ""
    elif qualification not in Qualification.values:
        raise ValidationError({"qualification": "Say whether this person is qualified or still qualifying."})

    user = User.objects.filter(email__iexact=email).first()
    new_account = user is None
    if user is None:
        try:
            # A savepoint: another admin adding the same person at the same moment wins the unique email, and
            # this transaction must stay usable to say so.
            with transaction.atomic():
                user = User.objects.create_user(email=email, full_name=full_name.strip())
        except IntegrityError:
            raise ValidationError({"email": ADDED_A_MOMENT_AGO}) from None
    elif not user.has_usable_password():
        # They were invited before and never set a password: send a fresh link.
        new_account = True

    membership = Membership.objects.filter(user=user, centre=centre, role=role).first()
    if membership is not None and membership.is_active:
        raise ValidationError({"email": f"{user.full_name} is already {role.with_article} at this centre."})
    if membership is None:
        membership = Membership.objects.create(user=user, centre=centre, role=role, qualification=qualification)
    else:
        membership.is_active = True
        membership.qualification = qualification
        membership.save(update_fields=["is_active", "qualification"])
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])

    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action="member.added",
        target=membership,
        summary=f"{user.full_name} <{user.email}> added as {role.label.lower()}"
        + (f" ({Qualification(qualification).label.lower()})" if qualification else ""),
        data={"user": user.pk, "role": role, "qualification": qualification, "new_account": new_account},
    )
    transaction.on_commit(lambda: _send_welcome(user, centre, role, new_account=new_account))
    return membership


def _has_other_active_roles(user: User, centre: Centre) -> bool:
    return (
        Membership.objects.filter(user=user, is_active=True).exclude(centre=centre).exists()
        or ExternalVerifier.objects.filter(user=user, is_active=True).exists()
    )


def _switch_roles_at_centre(*, actor: User, centre: Centre, user: User, active: bool) -> int:
    memberships = list(Membership.objects.select_for_update().filter(user=user, centre=centre, is_active=not active))
    if not memberships:
        state = "inactive" if active else "active"
        raise ValidationError(f"{user.full_name} has no {state} role at this centre.")
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).update(is_active=active)
    # The account itself is on while any role anywhere is; off only when none is left.
    account_active = active or _has_other_active_roles(user, centre)
    if user.is_active != account_active:
        user.is_active = account_active
        user.save(update_fields=["is_active"])
    verb = "reactivated" if active else "deactivated"
    roles = [m.role for m in memberships]
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=centre,
        action=f"member.{verb}",
        target=user,
        summary=f"{user.full_name} {verb} ({', '.join(Role(r).label.lower() for r in roles)})",
        data={"user": user.pk, "roles": roles},
    )
    return len(memberships)


@transaction.atomic
def member_deactivate(*, actor: User, centre: Centre, user: User) -> int:
    """End every role the person holds at this centre.

    Their account stays for their other centres; with no role left anywhere
    it is switched off so that it cannot sign in.
    """
    if user.pk == actor.pk:
        raise ValidationError("You cannot deactivate yourself. Ask another centre admin.")
    return _switch_roles_at_centre(actor=actor, centre=centre, user=user, active=False)


@transaction.atomic
def member_reactivate(*, actor: User, centre: Centre, user: User) -> int:
    return _switch_roles_at_centre(actor=actor, centre=centre, user=user, active=True)


@transaction.atomic
def membership_set_qualification(*, actor: User, membership: Membership, qualification: str) -> Membership:
    if membership.role not in QUALIFIABLE_ROLES:
        raise ValidationError({"qualification": "Only assessors and internal verifiers are qualified or qualifying."})
    if qualification not in Qualification.values:
        raise ValidationError({"qualification": "Choose qualified or still qualifying."})
    if membership.qualification == qualification:
        return membership
    before = membership.qualification
    membership.qualification = qualification
    membership.save(update_fields=["qualification"])
    audit_log(
        actor=actor,
        actor_role=Role.ADMIN,
        centre=membership.centre,
        action="member.qualification_changed",
        target=membership,
        summary=f"{membership.user.full_name} as {membership.get_role_display().lower()}: "
        f"{Qualification(before).label.lower()} → {Qualification(qualification).label.lower()}",
        data={"before": before, "after": qualification},
    )
    return membership
