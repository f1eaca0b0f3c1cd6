"""Signed-in pages are never stored by the browser or a cache between; static files and signed-out pages are
unaffected."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def never_stored(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.parametrize(
    ("persona", "name", "args"),
    [
        ("learner", "home", []),
        ("learner", "portfolio_detail", ["portfolio"]),
        ("learner", "notification_list", []),
        ("assessor", "home", []),
        ("admin", "centre_people", []),
        ("learner", "unit_list", []),
    ],
)
def test_every_page_shown_to_a_signed_in_person_says_no_store(client, world, persona, name, args):
    client.force_login(world.persona(persona))
    response = client.get(reverse(name, args=[world.portfolio.pk for _ in args]))
    assert response.status_code == 200
    assert never_stored(response), response.get("Cache-Control")


def test_refusals_and_redirects_to_a_signed_in_person_are_not_stored_either(client, world):
    client.force_login(world.learner)
    assert never_stored(client.get(reverse("centre_people")))  # 403: not their role
    response = client.post(reverse("role_switch"), {"role": "nonsense"})
    assert response.status_code == 302 and never_stored(response)


def test_a_public_page_for_someone_signed_out_is_left_alone(client, world):
    response = client.get(reverse("record_verify"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    # The same page, signed in, is not stored.
    client.force_login(world.learner)
    assert never_stored(client.get(reverse("record_verify")))


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_static_files_stay_cacheable(client, world, settings, signed_in):
    # Served by WhiteNoise, as in production, straight from the app's static folders.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    if signed_in:
        client.force_login(world.learner)
    for path in ("/static/css/site.css", "/static/js/busy.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content if response.streaming else [response.content])
        assert "no-store" not in response.get("Cache-Control", "")
        assert "max-age" in response["Cache-Control"]
