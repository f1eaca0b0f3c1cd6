"""Sending a form as a browser does, once or twice: the form is read from its page, with the CSRF token and the
one-time form token it carries, and posted by a client that enforces CSRF. Shared by the double-submit tests."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from django.test import Client

from submissions.once import ALREADY_SAVED, FIELD

_FORM = re.compile(r"<form\b.*?</form>", re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(csrfmiddlewaretoken|' + FIELD + r')" value="([^"]*)"')


def browser_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def form_tokens(client: Client, page: str, action: str) -> dict[str, str]:
    """The CSRF and one-time tokens of the form on `page` that sends to `action` (its action or a button's
    formaction), or of the page's only form with a one-time token when none names `action`."""
    response = client.get(page)
    assert response.status_code == 200, f"{page} answered {response.status_code}"
    forms = [f for f in _FORM.findall(response.content.decode()) if FIELD in f]
    named = [f for f in forms if re.search(rf'action="{re.escape(action)}[?"]', html.unescape(f))]
    chosen = named or forms
    assert chosen, f"No form with a one-time token on {page}"
    fields: dict[str, str] = {}
    for name, value in _HIDDEN.findall(chosen[0]):
        assert name not in fields, f"Two {name} fields in one form on {page}"
        fields[name] = html.unescape(value)
    assert FIELD in fields, f"The form on {page} carries no one-time token"
    return fields


def post_twice(client: Client, page: str, action: str, data: Callable[[], dict]):
    """Post one rendering of the form twice with the same tokens, as a double tap does; `data` makes the fields
    afresh each time, as uploads are read as they are sent."""
    tokens = form_tokens(client, page, action)
    first = client.post(action, {**data(), **tokens})
    second = client.post(action, {**data(), **tokens})
    return first, second


def assert_second_sent_where_the_first_went(client: Client, first, second) -> None:
    """The repeat is no error and no duplicate: it is sent where the first went, and that page says so."""
    assert first.status_code == 302, f"The first submission was not saved: {first.status_code}"
    assert second.status_code == 302, f"The repeat answered {second.status_code}"
    assert second.url == first.url
    landing = client.get(second.url)
    assert landing.status_code == 200
    assert ALREADY_SAVED in html.unescape(landing.content.decode())
