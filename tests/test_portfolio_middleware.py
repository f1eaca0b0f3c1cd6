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


def _policy_middleware(response):
    from portfolio.middleware import ContentSecurityPolicyMiddleware

    return ContentSecurityPolicyMiddleware(lambda request: response)


def test_every_page_gets_the_policy_django_csp_builds_from_the_settings_once(client, world):
    from csp.utils import build_policy

    client.force_login(world.learner)
    response = client.get(reverse("portfolio_detail", args=[world.portfolio.pk]))
    assert response.headers["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert [k for k in response.headers if k.lower() == "content-security-policy"] == ["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response.headers


def test_a_changed_policy_setting_is_sent_from_the_next_response(client, settings):
    first = client.get(reverse("record_verify"))["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = client.get(reverse("record_verify"))
    assert first != response["Content-Security-Policy"] == "default-src 'none'"
    assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_a_response_that_changes_its_policy_or_uses_a_nonce_still_gets_its_own(rf, settings):
    from csp.constants import NONCE, SELF
    from django.http import HttpResponse

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    changed = HttpResponse()
    changed._csp_update = {"img-src": ["https://example.org"]}
    request = rf.get("/")
    assert "https://example.org" in _policy_middleware(changed).process_response(request, changed)[
        "Content-Security-Policy"
    ]

    plain = HttpResponse()
    request = rf.get("/")
    middleware = _policy_middleware(plain)
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    assert f"'nonce-{nonce}'" in middleware.process_response(request, plain)["Content-Security-Policy"]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error_as_in_django_csp(rf):
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    response = HttpResponse()
    request = rf.get("/")
    middleware = _policy_middleware(response)
    middleware.process_request(request)
    middleware.process_response(request, response)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_header_the_view_set_itself_is_kept(client, world):
    # The evidence file view sandboxes what it serves; the site's policy must not replace that.
    from csp.utils import build_policy

    response = client.get("/healthz")
    assert response["Content-Security-Policy"] != build_policy()
