"""The learner's unit page and the evidence list run the same queries at 5 evidence items and at 2,000 (issue 14:
query counts unchanged at 5, 1,000 and 5,000), for the learner and for the assessor (whose rows offer other
actions), with a cross-referenced item in the list and the list's last page; and what the rows show at that size."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Evidence
from assessments.tests.test_evidence_views import add, bulk_add
from tests.pages import assert_one_layout

LARGE = 2000
PAGES = [
    ("portfolio_detail", {}),
    ("evidence_list", {}),
    ("evidence_list", {"page": "9999"}),  # past the end: the last page
    ("evidence_list", {"sort": "date", "method": "O"}),  # the five items added through the service
]


def _queries(client, name: str, portfolio_id: int, query: dict) -> int:
    url = reverse(name, args=[portfolio_id])
    client.get(url, query)  # the first visit also saves the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["learner", "assessor"])
def test_unit_page_and_evidence_list_read_the_same_queries_at_5_and_at_2000_items(client, world, persona):
    client.force_login(getattr(world, persona))
    for _ in range(5):
        add(world, criteria=["2.1", "3.1"], range_items=["a"])
    small = {(name, str(query)): _queries(client, name, world.portfolio.pk, query) for name, query in PAGES}
    bulk_add(world, LARGE - 5)
    assert Evidence.objects.filter(portfolio=world.portfolio).count() == LARGE
    large = {(name, str(query)): _queries(client, name, world.portfolio.pk, query) for name, query in PAGES}
    assert large == small


def test_the_evidence_list_at_2000_items_pages_through_them_and_says_how_many(client, world):
    client.force_login(world.learner)
    add(world, criteria=["2.1"], range_items=["a"])
    bulk_add(world, LARGE - 1)
    url = reverse("evidence_list", args=[world.portfolio.pk])
    page = client.get(url).content.decode()
    assert_one_layout(page)
    rows = re.findall(r'<a href="/evidence/(\d+)/">E(\d+)</a>', page)
    assert [int(number) for _, number in rows] == list(range(LARGE, LARGE - 25, -1))  # newest first, 25 a page
    assert f"Items 1 to 25 of {LARGE}, 25 a page." in page
    assert page.count("Edit<span") == 25 and page.count("Delete<span") == 25
    last = client.get(url, {"page": "9999"}).content.decode()
    assert f"Items 1976 to {LARGE} of {LARGE}" in last
    assert re.findall(r'<a href="/evidence/\d+/">(E\d+)</a>', last)[-1] == "E1"
    unit = client.get(reverse("portfolio_detail", args=[world.portfolio.pk])).content.decode()
    assert_one_layout(unit)
    matrix = unit.split('<details class="range-matrix">')[1].split("</details>")[0]
    # E1 claims 2.1 in situation a, and no bulk item claims a with it: the first cell names E1 alone.
    assert re.search(r'<tr><th scope="row">[\d.]*2\.1</th><td>E1</td>', matrix)
