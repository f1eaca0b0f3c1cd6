"""Benchmark: a burst of signatures on one unit, and a wrong password while the unit is held.

Builds complete units of C4 (one evidence item covering every criterion and range item, accepted and judged,
signed by the learner), then:

- times the assessor's signature on a unit nobody else touches (the median of a few units): the floor;
- starts 10 threads at once, each the same assessor signing the same unit through the service with its own
  database connection (as 10 web requests would), and prints the slowest, its ratio to the floor against the
  goal of 6x, how many signed (it must be one) and what the others were told;
- holds the row lock of another unit in one thread (as a signature in progress does) while another thread signs
  it with a wrong password, and prints how long the refusal took (goal: under 1 s, so not behind the lock).

Each attempt pays its own password check (PBKDF2, the slow part), so 10 at once on 2 cores cost about 5x one.
Real concurrency needs PostgreSQL; on SQLite one writer at a time is let in and the figures say little.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nvq_bench_signing .venv/bin/python bench/signing_burst.py
    .venv/bin/python bench/signing_burst.py                  # SQLite in a temporary folder

With DATABASE_URL the database is created if it does not exist and emptied first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, prepare_postgres, start_django  # noqa: E402

PASSWORD = "bench-password"
GOAL_RATIO = 6.0
GOAL_WRONG_S = 1.0
HOLD_S = 8.0


def fill(units: int):
    """`units` units of one assessor, each complete and signed by its learner. Returns the assessor and them."""
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import ClaimJudgement, Decision, Evidence, EvidenceSetting, Portfolio, Verdict
    from assessments.services import evidence_save
    from assessments.signoff.services import unit_sign
    from people.models import Centre, Membership, Qualification, Role, User
    from units.models import AssessmentMethod, Criterion, RangeItem, UnitCode

    call_command("migrate", verbosity=0)
    call_command("loaddata", "unit_c4", verbosity=0)
    centre = Centre.objects.create(name="Bench Centre", number="90004")
    staff = {}
    for role in (Role.ASSESSOR, Role.IV):
        user = User.objects.create_user(email=f"{role}@bench.example", full_name=f"Bench {role}", password=PASSWORD)
        Membership.objects.create(user=user, centre=centre, role=role, qualification=Qualification.QUALIFIED)
        staff[role] = user
    # The newest version of unit 220: the number names one row per version once a specification has changed.
    code = UnitCode.newest_versions().get(awarding_body__code="CG", code="220")
    criteria = list(Criterion.objects.filter(outcome__unit=code.unit))
    range_items = list(RangeItem.objects.filter(unit=code.unit))
    observed = AssessmentMethod.objects.get(code="O")
    start = timezone.localdate() - datetime.timedelta(days=120)
    made = []
    for n in range(units):
        learner = User.objects.create_user(
            email=f"learner{n}@bench.example", full_name=f"Bench learner {n}", password=PASSWORD
        )
        Membership.objects.create(user=learner, centre=centre, role=Role.LEARNER)
        portfolio = Portfolio.objects.create(
            learner=learner,
            centre=centre,
            unit=code.unit,
            awarding_body=code.awarding_body,
            assessor=staff[Role.ASSESSOR],
            iv=staff[Role.IV],
            learner_number=f"BENCH-{n}",
            start_date=start,
            planned_end_date=start + datetime.timedelta(days=365),
        )
        evidence = evidence_save(
            actor=learner,
            portfolio=portfolio,
            title="A refund at the service desk",
            method=observed,
            activity_date=start + datetime.timedelta(days=5),
            setting=EvidenceSetting.REAL_WORK,
            description="A customer complained; I listened, apologised and put it right.",
            criteria=criteria,
            range_items=range_items,
            files=[],
        )
        # The judgements written directly: this benchmark is about signing, not the review pages.
        Evidence.objects.filter(pk=evidence.pk).update(decision=Decision.ACCEPTED, decided_by=staff[Role.ASSESSOR])
        ClaimJudgement.objects.bulk_create(
            [
                ClaimJudgement(
                    evidence=evidence, criterion=c, verdict=Verdict.CONFIRMED, judged_by=staff[Role.ASSESSOR]
                )
                for c in criteria
            ]
            + [
                ClaimJudgement(
                    evidence=evidence, range_item=r, verdict=Verdict.CONFIRMED, judged_by=staff[Role.ASSESSOR]
                )
                for r in range_items
            ]
        )
        unit_sign(actor=learner, portfolio=portfolio, kind="learner", password=PASSWORD)
        made.append(portfolio)
    return staff[Role.ASSESSOR], made


def sign(assessor_id: int, portfolio_id: int, password: str) -> tuple[float, str]:
    """One attempt as a request would make it, on this thread's own connection: seconds taken and the outcome."""
    from django.core.exceptions import ValidationError
    from django.db import connection

    from assessments.models import Portfolio
    from assessments.signoff.services import unit_sign
    from people.models import User

    try:
        actor = User.objects.get(pk=assessor_id)
        portfolio = Portfolio.objects.get(pk=portfolio_id)
        start = time.perf_counter()
        try:
            unit_sign(actor=actor, portfolio=portfolio, kind="assessor", password=password)
            outcome = "signed"
        except ValidationError as exc:  # TransitionError and AlreadySigned are ValidationErrors too
            outcome = "refused: " + " ".join(exc.messages)
        return time.perf_counter() - start, outcome
    finally:
        connection.close()


def burst(assessor_id: int, portfolio_id: int, attempts: int) -> list[tuple[float, str]]:
    results: list[tuple[float, str]] = [(0.0, "")] * attempts
    gate = threading.Barrier(attempts)

    def attempt(n: int) -> None:
        gate.wait()
        results[n] = sign(assessor_id, portfolio_id, PASSWORD)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def wrong_password_while_held(assessor_id: int, portfolio_id: int) -> tuple[float, str]:
    """Hold the unit's row lock for HOLD_S in one thread; meanwhile sign with a wrong password in another."""
    from django.db import connection, transaction

    from assessments.models import Portfolio

    held = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Portfolio.objects.select_for_update().get(pk=portfolio_id)
                held.set()
                time.sleep(HOLD_S)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    result = sign(assessor_id, portfolio_id, "not-the-password")
    holder.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10, help="concurrent attempts (default 10)")
    parser.add_argument("--floor-runs", type=int, default=5, help="uncontended signatures timed (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nvq-bench-") as tmp:
        configure(Path(tmp))
        prepare_postgres()
        start_django()
        from django.db import connection

        started = time.perf_counter()
        assessor, units = fill(args.floor_runs + 2)
        print(f"Built {len(units)} complete units signed by their learners in {time.perf_counter() - started:.1f} s")
        print(f"Database: {connection.vendor}\n")
        connection.close()  # every thread below opens its own

        floor_runs = [sign(assessor.pk, p.pk, PASSWORD) for p in units[: args.floor_runs]]
        assert all(outcome == "signed" for _, outcome in floor_runs), floor_runs
        floor = statistics.median(t for t, _ in floor_runs)
        print(f"Uncontended assessor signature (median of {args.floor_runs}): {floor * 1000:.0f} ms")

        hashes = []
        for _ in range(args.floor_runs):
            start = time.perf_counter()
            assessor.check_password(PASSWORD)
            hashes.append(time.perf_counter() - start)
        hash_s = statistics.median(hashes)
        print(f"  of which the password check alone: {hash_s * 1000:.0f} ms (the floor of any refusal of a wrong one)")
        connection.close()

        results = burst(assessor.pk, units[-2].pk, args.attempts)
        slowest = max(t for t, _ in results)
        winners = sum(1 for _, outcome in results if outcome == "signed")
        ratio = slowest / floor
        print(f"{args.attempts} at once on one unit: slowest {slowest * 1000:.0f} ms, {ratio:.1f}x uncontended")
        print(f"Signed: {winners}; the others were told:")
        for outcome, n in Counter(o for _, o in results if o != "signed").items():
            print(f"  {n} x {outcome}")

        wrong, outcome = wrong_password_while_held(assessor.pk, units[-1].pk)
        print(f"Wrong password while another request holds the unit for {HOLD_S:.0f} s: {wrong * 1000:.0f} ms")
        print(f"  {outcome}\n")

        for ok, text in [
            (
                ratio <= GOAL_RATIO,
                f"slowest of {args.attempts} at once {ratio:.1f}x uncontended (goal <= {GOAL_RATIO:.0f}x)",
            ),
            (winners == 1, f"{winners} signature made by {args.attempts} attempts (goal: exactly 1)"),
            (
                wrong < GOAL_WRONG_S and outcome.startswith("refused"),
                f"wrong password refused in {wrong:.2f} s (goal < 1 s)",
            ),
            (
                wrong < min(HOLD_S, 1.5 * hash_s) and outcome.startswith("refused"),
                f"not behind the lock: refused in {wrong / hash_s:.1f}x one password check "
                f"while the unit was held for {HOLD_S:.0f} s",
            ),
        ]:
            print(f"{'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
