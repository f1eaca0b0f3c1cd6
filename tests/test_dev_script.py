"""`./dev start`: the address emailed links point at follows the address the server runs on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def site_url(address: str) -> str:
    result = subprocess.run(
        ["bash", "-c", 'source ./dev && site_url "$1"', "dev", address],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
        ("[::]:8000", "http://[::1]:8000"),
    ],
)
def test_the_site_address_follows_the_address_served_on_with_a_wildcard_made_local(address, url):
    assert site_url(address) == url


@pytest.mark.parametrize(
    ("environment", "env_file", "url"),
    [
        ({}, "DEBUG=true\n", "http://127.0.0.1:8080"),
        ({"SITE_URL": "https://demo.example.org"}, "DEBUG=true\n", "https://demo.example.org"),
        ({}, "DEBUG=true\nSITE_URL=https://from-env-file.example.org\n", ""),
    ],
)
def test_start_sets_the_site_address_only_when_neither_the_environment_nor_env_file_sets_it(
    tmp_path, environment, env_file, url
):
    # With SITE_URL in .env, ./dev leaves it unset so that settings.py reads the file's value.
    (tmp_path / ".env").write_text(env_file)
    result = subprocess.run(
        ["bash", "-c", f'source "{ROOT / "dev"}" && set_site_url 0.0.0.0:8080 && echo "${{SITE_URL:-}}"'],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url
