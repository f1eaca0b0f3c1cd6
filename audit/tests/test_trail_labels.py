"""Every action the code records is shown in plain words on the audit trail, not as its code."""

from __future__ import annotations

import re
from pathlib import Path

from audit.trail import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("assessments", "audit", "exports", "notifications", "people", "quality", "submissions", "units")
# A literal action handed to audit_log or _move: action="evidence.added". Actions built from a variable
# (member.{verb}) are listed under each value they take.
RECORDED = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')


def _recorded_actions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_the_code_records_has_words_on_the_audit_trail():
    recorded = _recorded_actions()
    assert len(recorded) > 30, sorted(recorded)
    assert sorted(recorded - set(ACTION_LABELS)) == []


def test_the_visit_actions_read_as_words():
    assert action_label("ev_visit.created") == "EV visit prepared"
    assert action_label("ev_visit.cancelled") == "EV visit cancelled"
