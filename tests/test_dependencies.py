"""The lock files pin what requirements*.txt ask for, with hashes, and the vulnerability report tells a clean
lock, a vulnerable one and an unreachable database apart."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, str]:
    return {_name(m[1]): m[2] for line in path.read_text().splitlines() if (m := PIN.match(line.strip()))}


@pytest.mark.parametrize(
    ("inputs", "lock"),
    [
        (["requirements.txt"], "requirements.lock"),
        (["requirements.txt", "requirements-dev.txt"], "requirements-dev.lock"),
        (["requirements-postgres.txt"], "requirements-postgres.lock"),
    ],
)
def test_each_lock_pins_exactly_what_the_requirements_ask_for(inputs, lock):
    locked = _pins(ROOT / lock)
    for source in inputs:
        for name, version in _pins(ROOT / source).items():
            # A version changed in requirements*.txt without regenerating the lock fails here, by name.
            assert locked.get(name) == version, f"{name}=={version} in {source}, {locked.get(name)} in {lock}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_has_a_hash_and_the_bundled_driver_is_gone(lock):
    entries = re.split(r"\n(?=[a-z0-9])", (ROOT / lock).read_text())
    entries = [entry for entry in entries if PIN.match(entry)]
    assert len(entries) == len(_pins(ROOT / lock)) > 30
    assert all("--hash=sha256:" in entry for entry in entries)
    assert "psycopg" in _pins(ROOT / lock) and "psycopg2-binary" not in _pins(ROOT / lock)


def test_postgresql_deployments_install_the_c_driver_built_for_the_locked_psycopg():
    # The C implementation must be psycopg's own version, or psycopg refuses it and falls back to pure Python.
    assert _pins(ROOT / "requirements-postgres.lock") == {"psycopg-c": _pins(ROOT / "requirements.lock")["psycopg"]}
    assert "--hash=sha256:" in (ROOT / "requirements-postgres.lock").read_text()
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    for place in (dockerfile, (ROOT / ".ci" / "run").read_text()):
        assert "-r requirements-postgres.lock" in place and "--require-hashes" in place
        assert '__impl__ == "c"' in place or '__impl__ != "c"' in place


def test_nothing_imports_the_old_postgresql_driver():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = [
        path
        for path in tracked
        if path.endswith((".py", "run", "dev"))
        and path != "tests/test_dependencies.py"
        and (ROOT / path).is_file()
        and "psycopg2" in (ROOT / path).read_text(errors="ignore")
    ]
    assert offenders == []


def _audit_module():
    spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / ".ci" / "audit_dependencies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_pip_audit(monkeypatch, module, reports: dict[str, dict | None]):
    """pip-audit as each service would answer: a report, or None for a service it could not reach."""

    def run(command, **kwargs):
        service = command[command.index("--vulnerability-service") + 1]
        report = reports[service]
        if report is not None:
            Path(command[command.index("--output") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(command, 0 if report is not None else 1, "", "ConnectionError")

    monkeypatch.setattr(module.subprocess, "run", run)


CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": [{"id": "PYSEC-2026-1", "fix_versions": ["5.2.20"]}]},
        {"name": "segno", "version": "1.6.6", "vulns": []},
    ]
}
# What a registry without per-release data gives: every package skipped.
NO_DATA = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}


@pytest.mark.parametrize(
    ("reports", "code", "says"),
    [
        ({"pypi": CLEAN, "osv": None}, 0, "No known vulnerabilities in 1 locked packages (pypi)"),
        ({"pypi": VULNERABLE, "osv": None}, 1, "VULNERABLE django 5.2.19: PYSEC-2026-1 (fixed in 5.2.20)"),
        ({"pypi": NO_DATA, "osv": VULNERABLE}, 1, "1 of 2 locked packages have known vulnerabilities (osv)"),
        ({"pypi": None, "osv": None}, 0, "the dependencies were NOT checked"),
        ({"pypi": NO_DATA, "osv": None}, 0, "the dependencies were NOT checked"),
    ],
)
def test_the_vulnerability_report_fails_only_on_a_known_vulnerability(monkeypatch, capsys, reports, code, says):
    module = _audit_module()
    _fake_pip_audit(monkeypatch, module, reports)
    assert module.main("requirements-dev.lock") == code
    assert says in capsys.readouterr().out
