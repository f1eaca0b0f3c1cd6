"""The settings module reads the environment and refuses to start on bad or missing values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portfolio.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
_TEST_ENV = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "STATICFILES_BACKEND",
    "EMAIL_BACKEND",
    "SITE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Start from the caller's environment without what pytest.ini sets for the tests.
    clean = {k: v for k, v in os.environ.items() if k not in _TEST_ENV}
    clean["ENV_FILE"] = ""
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_without_secret_key_and_debug_off_start_up_stops_with_a_clear_message():
    result = _run("check", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_allowed_hosts_and_debug_off_start_up_stops_with_a_clear_message():
    result = _run("check", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_a_bad_yes_no_value_stops_start_up():
    result = _run("check", DEBUG="perhaps")
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a yes/no value" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = _run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k8Jq2-production-like-secret-key-with-plenty-of-variety-0192837465",
        ALLOWED_HOSTS="portfolio.example.org",
        DEBUG="false",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_postgresql():
    result = _run(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        DEBUG="true",
        DATABASE_URL="postgres://someone@db.example.org:5432/portfolio",
    )
    # Django's backend, with a health check that sends nothing.
    assert result.stdout.strip().splitlines()[-1] == "portfolio.postgresql"


def test_env_readers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_LIST", " a.example, ,b.example ")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    assert env_list("X_LIST") == ["a.example", "b.example"]
    assert env_bool("X_UNSET", True) is True


def _email_settings(**env: str) -> list[str]:
    result = _run(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]


def test_in_development_mail_is_kept_in_var_mail_and_otherwise_printed_or_sent():
    backend, folder = _email_settings(DEBUG="true", EMAIL_HOST="")
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(folder) == ROOT / "var" / "mail"
    assert _email_settings(DEBUG="true", EMAIL_HOST="smtp.example.org")[0] == (
        "django.core.mail.backends.smtp.EmailBackend"
    )
    assert _email_settings(DEBUG="true", EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")[0] == (
        "django.core.mail.backends.console.EmailBackend"
    )
    production = {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org", "EMAIL_HOST": ""}
    assert _email_settings(**production)[0] == "django.core.mail.backends.console.EmailBackend"



def test_with_files_in_a_bucket_the_checkpoint_log_is_kept_there_unless_set():
    show = "from django.conf import settings; print(settings.CHECKPOINT_LOG)"
    bucket = {"DEBUG": "true", "STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": "records"}
    assert _run("shell", "-c", show, **bucket).stdout.strip().splitlines()[-1] == "storage:checkpoints/"
    chosen = _run("shell", "-c", show, CHECKPOINT_LOG="/srv/log/checkpoints.log", **bucket)
    assert chosen.stdout.strip().splitlines()[-1] == "/srv/log/checkpoints.log"
    on_disk = _run("shell", "-c", show, DEBUG="true").stdout.strip().splitlines()[-1]
    assert on_disk.endswith("var/checkpoints.log")
