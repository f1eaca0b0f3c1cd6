"""The evidence list's rows, written in one pass by assessments/evidence/listing.py: what each shows, escaped, with
its files, badges, date and the actions the viewer may take."""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from assessments.models import Evidence, EvidenceFile, EvidenceSetting
from assessments.tests.test_evidence_views import add


def _rows(client, world) -> list[str]:
    html = client.get(reverse("evidence_list", args=[world.portfolio.pk])).content.decode()
    return re.findall(r"<tr><td>.*?</tr>", html, re.S)


def test_a_row_shows_its_item_escaped_with_its_file_badges_date_and_the_learners_actions(client, world):
    item = add(world, criteria=["2.1"], title='Till <b>"refund"</b> & receipt', days_ago=3)
    Evidence.objects.filter(pk=item.pk).update(witness_status="unconfirmed", setting=EvidenceSetting.SIMULATION)
    EvidenceFile.objects.create(
        evidence=item,
        file="evidence/notes.pdf",
        original_name="notes <1>.pdf",
        size=123456,
        content_type="application/pdf",
        kind="document",
        sha256="0" * 64,
        uploaded_by=world.learner,
    )
    client.force_login(world.learner)
    (row,) = _rows(client, world)
    day = (timezone.localdate() - datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    assert f'<a href="{reverse("evidence_detail", args=[item.pk])}">E1</a><br>' in row
    assert "Till &lt;b&gt;&quot;refund&quot;&lt;/b&gt; &amp; receipt" in row
    assert '<span class="badge text-bg-warning">simulation</span>' in row
    assert (
        '<span class="file-name">notes &lt;1&gt;.pdf</span></a> '
        '<span class="small text-body-secondary">(document, 120.6\xa0KB)</span>'
    ) in row
    assert "Witness: not yet confirmed" in row
    assert f'<td data-label="Date">{day}</td>' in row
    assert f'<td data-label="Covers">{item.criteria.get().code}</td>' in row
    edit, delete = reverse("evidence_edit", args=[item.pk]), reverse("evidence_delete_confirm", args=[item.pk])
    assert (
        f'<td class="text-nowrap cell-actions"><a href="{edit}">Edit<span class="visually-hidden"> E1</span></a> · '
        f'<a href="{delete}">Delete<span class="visually-hidden"> E1</span></a></td>'
    ) in row


def test_the_assessor_reads_a_review_link_a_row_and_none_of_the_learners_actions(client, world):
    first = add(world, criteria=["2.1"])
    second = add(world, criteria=["2.2"])
    client.force_login(world.assessor)
    rows = _rows(client, world)  # newest reference first
    assert len(rows) == 2
    for row, item in zip(rows, (second, first), strict=True):
        review = reverse("evidence_review", args=[item.pk])
        assert (
            f'<td class="text-nowrap cell-actions"><a href="{review}">Review'
            f'<span class="visually-hidden"> {item.reference}</span></a></td>'
        ) in row
        assert "Edit<span" not in row and "Delete<span" not in row


def test_a_rows_cross_references_come_read_with_the_page_and_refuse_a_query_built_on_them(client, world, request):
    import pytest

    item = add(world, criteria=["2.1"], title="Counted twice")
    second_portfolio = request.getfixturevalue("second_portfolio")  # after: its unit has a criterion 2.1 too
    item.cross_references.add(second_portfolio)
    client.force_login(world.learner)
    response = client.get(reverse("evidence_list", args=[world.portfolio.pk]))
    row = next(e for e in response.context["page"] if e.pk == item.pk)
    assert list(row.cross_references.all()) == [second_portfolio]
    # A filter on them would need the relation's own query: refused, not answered from nothing.
    with pytest.raises(TypeError, match="read with the evidence list's page"):
        row.cross_references.filter(pk=second_portfolio.pk)
