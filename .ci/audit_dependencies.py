"""Report known vulnerabilities in the locked dependencies, where a vulnerability database can be reached.

Run by .ci/run as `.venv/bin/python .ci/audit_dependencies.py requirements-dev.lock`. Exits 1 when a locked
release has a known vulnerability; when no database answers (a machine that reaches only package registries,
or a registry mirror without PyPI's per-release data), it says so and exits 0, since nothing could be checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SERVICES = ("pypi", "osv")


def audit(lock: str, service: str) -> tuple[list[dict], str] | None:
    """The dependencies pip-audit reports through one service, or None when the service cannot be reached."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [
                str(Path(sys.executable).with_name("pip-audit")),
                # The lock pins every dependency with hashes, so nothing needs resolving or installing.
                "--disable-pip",
                "--requirement",
                lock,
                "--vulnerability-service",
                service,
                "--timeout",
                "15",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if not report.exists() or not report.read_text().strip():
            return None
        dependencies = json.loads(report.read_text())["dependencies"]
    checked = [dep for dep in dependencies if "skip_reason" not in dep]
    # A service that skipped every package answered nothing: treat it as unreachable.
    if not checked:
        return None
    skipped = [f"{dep['name']} {dep.get('version', '')}".strip() for dep in dependencies if "skip_reason" in dep]
    return checked, ", ".join(skipped)


def main(lock: str) -> int:
    for service in SERVICES:
        outcome = audit(lock, service)
        if outcome is None:
            print(f"Vulnerability database ({service}) could not be reached or had no data for the locked releases.")
            continue
        checked, skipped = outcome
        vulnerable = [dep for dep in checked if dep.get("vulns")]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
                print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
        if skipped:
            print(f"Not checked (unknown to {service}): {skipped}")
        if vulnerable:
            print(f"{len(vulnerable)} of {len(checked)} locked packages have known vulnerabilities ({service}).")
            return 1
        print(f"No known vulnerabilities in {len(checked)} locked packages ({service}).")
        return 0
    print("No vulnerability database could be reached from here: the dependencies were NOT checked.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements-dev.lock"))
