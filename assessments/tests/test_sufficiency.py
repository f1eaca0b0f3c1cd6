"""The sufficiency ledger (assessments/judgement/sufficiency.py): different customers, occasions and weeks per
criterion from accepted, confirmed evidence, against the centre's own thresholds."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.judgement.sufficiency import sufficiency
from assessments.models import Decision, SufficiencyThresholds, Verdict
from assessments.tests.test_completeness import judge
from assessments.tests.test_evidence_views import add


def row(ledger, label):
    return next(r for r in ledger.rows if r.label == label)


def test_two_customers_count_twice_and_the_same_customer_twice_counts_once(world):
    judge(add(world, criteria=["2.1"], customer_ref="Customer A", days_ago=30), world.assessor)
    judge(add(world, criteria=["2.1"], customer_ref="customer a ", days_ago=20), world.assessor)
    judge(add(world, criteria=["2.1", "2.2"], customer_ref="Order 77", days_ago=2), world.assessor)
    ledger = sufficiency(world.portfolio)
    first, second = row(ledger, "2.1"), row(ledger, "2.2")
    assert (first.customers, first.occasions, first.weeks) == (2, 3, 4)
    assert first.refs == ["E1", "E2", "E3"]
    assert (second.customers, second.occasions, second.weeks) == (1, 1, 0)
    assert (row(ledger, "2.3").customers, row(ledger, "2.3").weeks) == (0, None)
    assert first.met is None and not ledger.has_thresholds


def test_an_occasion_reference_tells_apart_two_occasions_on_one_date(world):
    judge(add(world, criteria=["2.1"], days_ago=3, occasion_ref="Shift 1"), world.assessor)
    judge(add(world, criteria=["2.1"], days_ago=3, occasion_ref="Shift 2"), world.assessor)
    judge(add(world, criteria=["2.1"], days_ago=3), world.assessor)
    judge(add(world, criteria=["2.2"], days_ago=3), world.assessor)
    judge(add(world, criteria=["2.2"], days_ago=3), world.assessor)
    ledger = sufficiency(world.portfolio)
    assert row(ledger, "2.1").occasions == 3
    assert row(ledger, "2.2").occasions == 1


def test_only_accepted_items_with_confirmed_claims_count(world):
    judge(add(world, criteria=["2.1"], customer_ref="A"), world.assessor)
    judge(add(world, criteria=["2.1"], customer_ref="B"), world.assessor, verdict=Verdict.REJECTED)
    judge(add(world, criteria=["2.1"], customer_ref="C"), world.assessor, decision=Decision.SENT_BACK)
    add(world, criteria=["2.1"], customer_ref="D")
    assert row(sufficiency(world.portfolio), "2.1").customers == 1


def test_thresholds_mark_each_row_met_or_not_and_say_which(world):
    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_customers=2, min_weeks=1)
    judge(add(world, criteria=["2.1", "2.2"], customer_ref="A", days_ago=10), world.assessor)
    judge(add(world, criteria=["2.1"], customer_ref="B", days_ago=1), world.assessor)
    ledger = sufficiency(world.portfolio)
    assert row(ledger, "2.1").met is True
    assert row(ledger, "2.2").unmet == ["customers", "weeks"]
    assert "2 different customers" in ledger.thresholds_text and "occasion" not in ledger.thresholds_text
    assert ledger.has_thresholds and row(ledger, "2.2") in ledger.unmet


def test_the_ledger_takes_the_same_number_of_queries_with_more_items(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            sufficiency(world.portfolio)
        return len(queries)

    judge(add(world, criteria=["2.1"], range_items=["a"], customer_ref="A"), world.assessor)
    few = count()
    for n in range(8):
        judge(add(world, criteria=["2.1", "2.2", "3.1"], range_items=["b"], customer_ref=f"C{n}"), world.assessor)
    assert count() == few == 4  # criteria, range items, confirmed claims with their items, thresholds


# The assessor's signature: a sufficiency statement in their own words wherever a threshold is not met.


def test_the_assessor_is_refused_without_a_statement_when_a_threshold_is_unmet_and_signs_with_one(world):
    from django.core.exceptions import ValidationError

    from assessments.models import PortfolioStatus, Signature, SignatureKind
    from assessments.signoff.services import SUFFICIENCY_NEEDED
    from assessments.tests.test_signoff import cover_everything, sign, submit
    from audit.models import AuditEvent

    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_customers=2)
    cover_everything(world)
    submit(world)
    for words in ("", "   "):
        try:
            sign(world, world.assessor, SignatureKind.ASSESSOR, sufficiency_statement=words)
        except ValidationError as err:
            assert err.message_dict == {"sufficiency_statement": [SUFFICIENCY_NEEDED]}
        else:
            raise AssertionError("signed without a sufficiency statement")
    assert not Signature.objects.filter(kind=SignatureKind.ASSESSOR).exists()
    words = "Four occasions over a week at a busy counter; the customers were the shop's regulars."
    signature = sign(world, world.assessor, SignatureKind.ASSESSOR, sufficiency_statement=f" {words} ")
    assert signature.statement == f"{world.portfolio.unit.assessor_statement}\nSufficiency: {words}"
    made = AuditEvent.objects.get(action="signature.made", data__kind=SignatureKind.ASSESSOR)
    assert made.data["sufficiency_statement"] == words
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.ASSESSOR_SIGNED


def test_the_assessor_needs_no_statement_when_thresholds_are_met_or_unset(world):
    from assessments.models import SignatureKind
    from assessments.signoff.services import signature_withdraw
    from assessments.tests.test_signoff import cover_everything, sign, submit

    cover_everything(world)
    submit(world)
    signature = sign(world, world.assessor, SignatureKind.ASSESSOR)
    assert signature.statement == world.portfolio.unit.assessor_statement
    signature_withdraw(actor=world.assessor, signature=signature, reason="Checking the thresholds")
    SufficiencyThresholds.objects.create(centre=world.portfolio.centre, min_occasions=1)
    assert not sufficiency(world.portfolio).unmet
    assert sign(world, world.assessor, SignatureKind.ASSESSOR).statement == world.portfolio.unit.assessor_statement


def test_the_ledgers_rows_are_written_escaped_with_a_dash_for_no_weeks_and_what_is_not_met():
    from assessments.judgement.sufficiency import Ledger, LedgerRow

    short = LedgerRow(label="2.1", text='Greet "them" & <smile>', customers=1, occasions=2, unmet=["customers"])
    met = LedgerRow(label="Range a", text="In person", customers=3, occasions=1234, weeks=6)
    ledger = Ledger(rows=[short, met], thresholds=SufficiencyThresholds(min_customers=2))
    assert ledger.rows_html == (
        '\n  <tr class="gap"><th scope="row"><span title="Greet &quot;them&quot; &amp; &lt;smile&gt;">2.1</span></th>'
        '<td>1</td><td>2</td><td>–</td><td>Not met<span class="visually-hidden">: customers</span></td></tr>\n  '
        '\n  <tr><th scope="row"><span title="In person">Range a</span></th>'
        "<td>3</td><td>1234</td><td>6</td><td>Met</td></tr>\n  "
    )
    assert "<td>Met</td>" not in Ledger(rows=[met], thresholds=None).rows_html  # no thresholds, no column
