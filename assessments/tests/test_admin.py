"""Django's admin shows a portfolio's status and its signatures, and changes neither: a change form posted with a new
status or an altered signature saves the portfolio's other fields and leaves both as the sign-off services left them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import Portfolio, PortfolioStatus, Signature
from assessments.tests.test_signoff import cover_everything, submit
from people.models import User


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("it@college.example", "long-enough-password-1", full_name="College IT")


@pytest.fixture
def submitted(world):
    cover_everything(world)
    signature = submit(world)
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.SUBMITTED
    return signature


def _change_url(portfolio: Portfolio) -> str:
    return reverse("admin:assessments_portfolio_change", args=[portfolio.pk])


def _form_data(superuser: User, portfolio: Portfolio) -> dict:
    """What the change form holds as the page shows it, as the browser would send it back."""
    request = RequestFactory().get(_change_url(portfolio))
    request.user = superuser
    model_admin = admin.site._registry[Portfolio]
    form = model_admin.get_form(request, portfolio)(instance=portfolio)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def test_the_change_page_shows_status_and_signatures_with_no_field_to_change_them(client, superuser, world, submitted):
    client.force_login(superuser)
    page = client.get(_change_url(world.portfolio)).content.decode()
    assert "Submitted by the learner" in page
    assert page.count(submitted.digest) == 1 and submitted.signer_name in page
    assert 'name="status"' not in page
    assert 'name="signatures-0-digest"' not in page and 'name="signatures-0-DELETE"' not in page
    # Neither a blank row to add a signature nor a link to one's own change page.
    assert 'name="signatures-1-kind"' not in page and "/admin/assessments/signature/" not in page


def test_a_post_that_changes_status_or_a_signature_is_ignored(client, superuser, world, submitted):
    client.force_login(superuser)
    portfolio = world.portfolio
    data = _form_data(superuser, portfolio)
    data.update(
        {
            "learner_number": "CG-0099",  # an ordinary field: saved
            "status": PortfolioStatus.COMPLETE,
            "signatures-TOTAL_FORMS": "2",
            "signatures-INITIAL_FORMS": "1",
            "signatures-MIN_NUM_FORMS": "0",
            "signatures-MAX_NUM_FORMS": "1000",
            "signatures-0-id": str(submitted.pk),
            "signatures-0-portfolio": str(portfolio.pk),
            "signatures-0-digest": "0" * 64,
            "signatures-0-signer_name": "Someone Else",
            "signatures-0-DELETE": "on",
            "signatures-1-portfolio": str(portfolio.pk),
            "signatures-1-kind": "ev",
            "signatures-1-digest": "1" * 64,
        }
    )
    response = client.post(_change_url(portfolio), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    portfolio.refresh_from_db()
    assert portfolio.learner_number == "CG-0099"
    assert portfolio.status == PortfolioStatus.SUBMITTED
    kept = Signature.objects.get()
    assert (kept.pk, kept.digest, kept.signer_name, kept.withdrawn_at) == (
        submitted.pk,
        submitted.digest,
        submitted.signer_name,
        None,
    )
    assert kept.chain_hash == submitted.chain_hash


def test_signatures_have_no_admin_page_of_their_own(client, superuser, submitted):
    client.force_login(superuser)
    assert Signature not in admin.site._registry
    assert client.get("/admin/assessments/signature/").status_code == 404
