"""Check compose.yaml where `docker compose config` cannot run (no Docker here): it parses as YAML, every service has an
image or a build whose Dockerfile exists, what a service depends on or mounts is defined, and the app's services get
the settings the app needs, file storage on S3 included.

usage: python deploy/check_compose.py [compose.yaml]   (exit 1, naming each problem, when something is wrong)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

# The services the README's production section names, by role.
REQUIRED_SERVICES = {"web", "worker", "db", "redis", "objects"}
APP_SERVICES = ("web", "worker")
APP_SETTINGS = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "STORAGE_BACKEND",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_S3_REGION_NAME",
}
DEPENDENCY_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def problems(path: Path) -> list[str]:
    try:
        compose = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        return [f"{path} cannot be read as YAML: {error}"]
    if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
        return [f"{path} has no services"]
    services: dict[str, dict] = compose["services"]
    volumes = set((compose.get("volumes") or {}).keys())
    found = [f"no {name!r} service" for name in sorted(REQUIRED_SERVICES - services.keys())]
    for name, service in services.items():
        if not isinstance(service, dict):
            found.append(f"{name}: not a mapping")
            continue
        if "image" not in service and "build" not in service:
            found.append(f"{name}: neither image nor build")
        build = service.get("build")
        if build is not None:
            context = path.parent / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
            if not dockerfile.is_file():
                found.append(f"{name}: build file {dockerfile} does not exist")
        depends = service.get("depends_on") or {}
        for other, rule in depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends):
            if other not in services:
                found.append(f"{name}: depends on {other!r}, which is not a service")
            elif isinstance(rule, dict) and rule.get("condition", "service_started") not in DEPENDENCY_CONDITIONS:
                found.append(f"{name}: unknown condition {rule.get('condition')!r} for {other!r}")
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            # A named volume (not a path) must be declared at the top level.
            if source and not re.match(r"^[./~$]", source) and source not in volumes:
                found.append(f"{name}: volume {source!r} is not declared under volumes")
    for name in APP_SERVICES:
        if isinstance(services.get(name), dict):
            env = _environment(services[name])
            found += [f"{name}: no {setting} in its environment" for setting in sorted(APP_SETTINGS - env.keys())]
            if env.get("STORAGE_BACKEND", "s3") != "s3":
                found.append(f"{name}: STORAGE_BACKEND is not s3")
            if env.get("DEBUG", "false").lower() not in ("false", "0", "no", "off"):
                found.append(f"{name}: DEBUG is on")
    worker = services.get("worker")
    command = worker.get("command") if isinstance(worker, dict) else None
    words = command if isinstance(command, list) else str(command or "").split()
    # db_worker serves only the database's queue and rqworker only RQ's: either leaves the other's tasks waiting.
    if isinstance(worker, dict) and "tasks_worker" not in words:
        found.append("worker: its command is not `manage.py tasks_worker`, which follows TASKS_BACKEND")
    return found


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "compose.yaml")
    found = problems(path)
    for problem in found:
        print(f"{path}: {problem}")
    if not found:
        print(f"{path}: {len(yaml.safe_load(path.read_text())['services'])} services, all well formed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
