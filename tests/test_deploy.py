"""The deployment files: compose.yaml passes its check (and the check catches what it should), and the systemd
units and compose.yaml run commands that exist, with the settings the app reads."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
_spec = importlib.util.spec_from_file_location("check_compose", DEPLOY / "check_compose.py")
check_compose = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_compose)


def test_compose_file_passes_its_check():
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "check_compose.py"), str(ROOT / "compose.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert "all well formed" in result.stdout


def _broken(tmp_path: Path, change) -> list[str]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    change(compose)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(compose))
    return check_compose.problems(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c["services"].pop("redis"), "no 'redis' service"),
        (lambda c: c["services"]["db"].pop("image"), "db: neither image nor build"),
        (lambda c: c["services"]["worker"]["environment"].pop("AWS_S3_ENDPOINT_URL"), "worker: no AWS_S3_ENDPOINT_URL"),
        (lambda c: c["services"]["web"]["environment"].update(STORAGE_BACKEND="files"), "web: STORAGE_BACKEND is not"),
        (lambda c: c["services"]["web"]["environment"].update(DEBUG="true"), "web: DEBUG is on"),
        (lambda c: c["volumes"].pop("db-data"), "db: volume 'db-data' is not declared"),
        (lambda c: c["services"]["web"].update(depends_on={"cache": {}}), "web: depends on 'cache'"),
        (lambda c: c["services"]["web"]["build"].update(dockerfile="nowhere/Dockerfile"), "build file"),
    ],
)
def test_the_compose_check_names_what_is_wrong(tmp_path, change, problem):
    found = _broken(tmp_path, change)
    assert any(problem in line for line in found), found


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    (tmp_path / "compose.yaml").write_text("services: [web\n")
    assert "cannot be read as YAML" in check_compose.problems(tmp_path / "compose.yaml")[0]


def _commands() -> list[list[str]]:
    """Every command line the systemd units and compose.yaml start."""
    lines = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        # systemd allows ExecStart= more than once in a oneshot unit, which configparser does not.
        lines += [shlex.split(line) for line in re.findall(r"^ExecStart=(.+)$", unit.read_text(), flags=re.M)]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for service in compose["services"].values():
        if isinstance(service.get("command"), list):
            lines.append(service["command"])
    return lines


def test_every_command_the_units_and_compose_start_exists():
    commands = _commands()
    assert len(commands) >= 8
    known = get_commands()
    for command in commands:
        if "manage.py" in command:
            assert command[command.index("manage.py") + 1] in known, command
        elif Path(command[0]).name == "gunicorn":
            assert command[1] == "portfolio.wsgi" and (ROOT / "portfolio" / "wsgi.py").is_file()


def test_the_worker_runs_below_the_web_servers_priority():
    """An export takes the CPU the pages leave rather than sharing it with them (issue 14's web p95 during an
    export): nice 10 in the systemd unit and in compose, the web server at the default."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(DEPLOY / "systemd" / "portfolio-worker.service")
    assert parser["Service"]["Nice"] == "10"
    web = configparser.ConfigParser(strict=False, interpolation=None)
    web.read(DEPLOY / "systemd" / "portfolio-web.service")
    assert "Nice" not in web["Service"]
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["worker"]["command"][:3] == ["nice", "-n", "10"]
    assert services["web"]["command"][0] == "gunicorn"


def test_each_unit_runs_as_the_site_user_with_its_settings_file_and_restarts():
    for name in ("portfolio-web.service", "portfolio-worker.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(DEPLOY / "systemd" / name)
        service = parser["Service"]
        assert (service["User"], service["EnvironmentFile"], service["Restart"]) == (
            "portfolio",
            "/etc/portfolio/portfolio.env",
            "always",
        )
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(DEPLOY / "systemd" / "portfolio-maintenance.timer")
    assert timer["Timer"]["OnCalendar"]


def test_the_example_settings_name_the_storage_settings_and_the_image_installs_the_lock():
    for example in ("portfolio.env.example", "compose.env.example"):
        names = {line.split("=", 1)[0] for line in (DEPLOY / example).read_text().splitlines() if "=" in line}
        assert {"SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_STORAGE_BUCKET_NAME"} <= names
    assert {"STORAGE_BACKEND", "AWS_S3_ENDPOINT_URL", "REDIS_URL", "DATABASE_URL"} <= {
        line.split("=", 1)[0] for line in (DEPLOY / "portfolio.env.example").read_text().splitlines()
    }
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    # The same system libraries ./dev installs.
    for package in ("libmagic1", "libpango-1.0-0", "fonts-dejavu-core", "libpq5"):
        assert package in dockerfile and package in (ROOT / "dev").read_text()


@pytest.mark.parametrize("example", ["portfolio.env.example", "compose.env.example"])
def test_the_example_settings_read_as_the_app_reads_them(example):
    from dotenv import dotenv_values

    from portfolio.logging_config import admins_from_env

    # manage.py by hand reads the same file through ENV_FILE, so its lines must mean the same to python-dotenv.
    values = dotenv_values(DEPLOY / example)
    assert values["DEFAULT_FROM_EMAIL"] == "NVQ e-portfolio <no-reply@example.org>"
    assert admins_from_env(values["ADMINS"]) == [("College IT", "it@example.org")]
    assert values["SECRET_KEY"] == "CHANGE"
