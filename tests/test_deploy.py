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
        # db_worker serves only the database's queue: with TASKS_BACKEND=rq the tasks would wait for ever.
        (lambda c: c["services"]["worker"].update(command=["manage.py", "db_worker"]), "not `manage.py tasks_worker`"),
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


# --- One worker command and one maintenance command, whichever task backend is configured -------------------------


def test_the_units_and_compose_run_the_worker_and_maintenance_that_follow_tasks_backend():
    worker = (DEPLOY / "systemd" / "portfolio-worker.service").read_text()
    maintenance = (DEPLOY / "systemd" / "portfolio-maintenance.service").read_text()
    assert re.findall(r"^ExecStart=\S+ manage.py (.+)$", worker, flags=re.M) == ["tasks_worker --max-tasks 50"]
    assert re.findall(r"^ExecStart=\S+ manage.py (.+)$", maintenance, flags=re.M) == ["maintenance"]
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["worker"]["command"][4:] == ["manage.py", "tasks_worker", "--max-tasks", "50"]
    for command in _commands():
        assert not {"db_worker", "rqworker", "prune_db_task_results"} & set(command), command


@pytest.mark.parametrize(
    ("kind", "command", "argv"),
    [
        ("database", "db_worker", ["--queue-name", "default", "--worker-id", "W", "--max-tasks", "50", "--batch"]),
        ("rq", "rqworker", ["default", "--with-scheduler", "--max-jobs", "50", "--burst"]),
    ],
)
def test_tasks_worker_runs_the_worker_of_the_configured_backend(monkeypatch, kind, command, argv):
    from django.core.management import call_command

    from portfolio.management.commands import tasks_worker

    ran, beating = [], []

    class Heartbeat:  # the database worker's (tests/test_health_heartbeat.py): here, only which worker it is for
        def __init__(self, worker_id):
            beating.append(worker_id)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(tasks_worker, "tasks_backend_kind", lambda: kind)
    monkeypatch.setattr(tasks_worker, "Heartbeat", Heartbeat)
    monkeypatch.setattr(tasks_worker, "call_command", lambda *args, **kwargs: ran.append(list(args)))
    call_command("tasks_worker", "--max-tasks", "50", "--burst")
    # The database worker runs under the id its heartbeat carries.
    ran = [["W" if word in beating else word for word in line] for line in ran]
    assert ran == [[command, *argv]]
    assert len(beating) == (1 if kind == "database" else 0)


def test_tasks_worker_runs_what_the_database_queue_holds(db):
    from unittest import mock

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from assessments.tasks import render_unit_record

    result = render_unit_record.enqueue(0)
    # As tests/worker.py: the worker's own connection handling would drop the test's transaction.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("tasks_worker", "--burst", verbosity=0)
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"


def test_maintenance_prunes_old_database_task_results_and_expired_sessions(db):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from assessments.tasks import render_unit_record
    from portfolio.management.commands.maintenance import steps

    assert [name for name, _ in steps()] == [
        "exports_prune",
        "ev_visits_close",
        "tallies_recount",
        "prune_db_task_results",
        "clearsessions",
        *(["search_rebuild", "sqlite_statistics"] if connection.vendor == "sqlite" else []),
    ]
    old, recent = render_unit_record.enqueue(0), render_unit_record.enqueue(1)
    finished = timezone.now() - timedelta(days=31)
    DBTaskResult.objects.filter(pk=old.id).update(status="SUCCESSFUL", finished_at=finished)
    DBTaskResult.objects.filter(pk=recent.id).update(status="SUCCESSFUL", finished_at=timezone.now())
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1))
    call_command("maintenance")
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [str(recent.id)]
    assert not Session.objects.exists()


def test_maintenance_gathers_sqlites_planner_statistics(db):
    """On SQLite the planner chooses indexes by sqlite_stat1, which nothing else fills; PostgreSQL's autovacuum
    gathers its own statistics, so there the step is not run at all."""
    from django.core.management import call_command
    from django.db import connection

    from people.models import User
    from portfolio.management.commands.maintenance import steps

    if connection.vendor != "sqlite":
        assert "sqlite_statistics" not in [name for name, _ in steps()]
        return
    User.objects.bulk_create(User(email=f"person{n}@example.com", full_name=f"Person {n}") for n in range(20))

    def counted(table: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if not cursor.fetchone()[0]:
                return []
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            return [row[0] for row in cursor.fetchall()]

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM sqlite_stat1")
    assert counted("people_user") == []
    call_command("maintenance")
    # One row per index of the table, each beginning with the number of rows it counted.
    people = str(User.objects.count())
    assert counted("people_user") and all(stat.split()[0] == people for stat in counted("people_user"))


def test_maintenance_runs_every_step_and_fails_if_one_did(db, monkeypatch):
    from django.core.management import CommandError, call_command

    from portfolio.management.commands import maintenance

    ran = []

    def broken() -> str:
        raise RuntimeError("storage unreachable")

    monkeypatch.setattr(
        maintenance,
        "steps",
        lambda: [("first", broken), ("second", lambda: ran.append("second") or "fine")],
    )
    with pytest.raises(CommandError, match="Maintenance steps failed: first"):
        call_command("maintenance")
    assert ran == ["second"]


def test_with_rq_maintenance_cleans_rqs_registries_instead_of_pruning_the_database(tmp_path):
    import json
    import os

    import redis

    url = os.environ.get("TEST_MAINTENANCE_REDIS_URL", "redis://127.0.0.1:6379/11")
    connection = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    connection.flushdb()
    # A finished job's id left in RQ's registry after the job itself expired: what cleaning the registries removes.
    connection.zadd("rq:finished:default", {"long-gone-job": 1})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "TASKS_", "REDIS_", "DATABASE_"))}
    env.update(
        ENV_FILE="",
        DEBUG="true",
        TASKS_BACKEND="rq",
        REDIS_URL=url,
        LOG_FORMAT="json",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )

    try:
        assert manage("migrate", "-v0").returncode == 0
        result = manage("maintenance")
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        done = [line["step"] for line in lines if line["message"].startswith("Maintenance step")]
        assert done == [
            "exports_prune",
            "ev_visits_close",
            "tallies_recount",
            "rq_clean_registries",
            "clearsessions",
            "search_rebuild",
            "sqlite_statistics",
        ]
        assert connection.zcard("rq:finished:default") == 0
    finally:
        connection.flushdb()


def test_with_log_format_json_every_line_a_web_server_writes_is_json(tmp_path):
    """gunicorn as the unit and compose start it (deploy/gunicorn.conf.py): its own lines and the app's alike."""
    import json
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "DATABASE_"))}
    env.update(ENV_FILE="", DEBUG="true", LOG_FORMAT="json", STATIC_ROOT=str(tmp_path))
    web = [line for line in _commands() if Path(line[0]).name == "gunicorn"]
    assert web and all(line[2:4] == ["-c", "deploy/gunicorn.conf.py"] for line in web)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "portfolio.wsgi", "-c", "deploy/gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    assert any(line["logger"] == "gunicorn.error" and line["message"].startswith("Booting worker") for line in lines)
    assert [line for line in lines if line["level"] == "ERROR"] == []
