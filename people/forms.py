from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.template.loader import render_to_string

from notifications.services import email_send
from people.models import CENTRE_ROLES, Qualification, Role, User


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": "The email address or password is not right. Check both and try again.",
        "inactive": "This account is switched off. Ask your centre admin.",
    }


class MemberAddForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role at this centre", choices=[(r.value, r.label) for r in CENTRE_ROLES])
    qualification = forms.ChoiceField(
        label="Qualified or still qualifying",
        choices=[("", "Not applicable (learners and admins)"), *Qualification.choices],
        required=False,
        help_text="For assessors and IVs: the decisions of one still qualifying need a countersignature.",
    )

    def clean(self) -> dict:
        data = super().clean()
        role = data.get("role")
        if role in (Role.ASSESSOR, Role.IV) and not data.get("qualification"):
            self.add_error("qualification", "Say whether this assessor or IV is qualified or still qualifying.")
        return data


class QualificationForm(forms.Form):
    qualification = forms.ChoiceField(label="Status", choices=Qualification.choices)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file of learners",
        help_text="Columns: email, full_name, learner_number, unit, start_date, planned_end_date, "
        "and optionally assessor_email, iv_email. Dates as 23/11/2026.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        # Sent by the task worker, not while the page waits (the link in it sealed while it waits in the queue). Asking
        # for a link changes nothing in the database, so there is no commit to wait for.
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        email_send(subject=subject, body=render_to_string(email_template_name, context), to=[to_email])

    def get_users(self, email: str):
        # Django skips accounts without a usable password, but an invited
        # person who lost their set-password email must still be able to ask
        # for a new link.
        return User.objects.filter(email__iexact=email, is_active=True)
