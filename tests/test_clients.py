"""The view tests' client refuses what production refuses: a post without its CSRF token, or from another site."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_post_without_the_token_is_refused(client, world):
    client.force_login(world.learner)
    response = client.post(reverse("role_switch"), {"role": "learner"}, csrf=False)
    assert response.status_code == 403


def test_a_post_from_another_site_is_refused(client, world):
    client.force_login(world.learner)
    response = client.post(reverse("role_switch"), {"role": "learner"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_a_post_as_the_page_sends_it_is_accepted(client, world):
    client.force_login(world.learner)
    assert client.post(reverse("role_switch"), {"role": "learner"}).status_code in {200, 302}
