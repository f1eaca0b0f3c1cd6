"""What the policy tests of each app share: a request as one persona, and every persona's answer to one question
put to a policy with the links that persona's page would work out."""

from __future__ import annotations

from collections.abc import Callable

from django.test import RequestFactory

from tests.access_rows import PERSONAS

OK = (True, "", 200)


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}
    return request


def answers(world, ask: Callable, links_of: Callable) -> dict[str, tuple[bool, str, int]]:
    """{persona: (allowed, reason, status)}: `ask(user_id, links)` is the policy question, `links_of(request)` the
    links the page works out for that persona's request."""
    out = {}
    for persona in PERSONAS:
        user = world.persona(persona)
        decision = ask(user.pk, links_of(request_as(user)))
        out[persona] = (decision.allowed, decision.reason, decision.status)
    return out
