"""The unit record's fonts are the project's own files (static/pdf/fonts/), fetched through the record's fetcher like
its stylesheet: a record rendered on a machine with no fonts installed at all embeds the same DejaVu faces as one
rendered anywhere else, so every web machine and worker makes the same document."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from assessments.records.pdf import fetcher as fetcher_module
from assessments.records.pdf.render import render_html_pdf

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (
    '<html lang="en-GB"><body><p>Plain, <strong>bold</strong>, <em>italic</em>'
    ' and <span class="hash">3f2a9c</span>.</p></body></html>'
)
# WeasyPrint names a font loaded by @font-face after its family: these are static/pdf/fonts/ files, not the system's.
EXPECTED = {"Record-Sans", "Record-Sans-Bold", "Record-Sans-Italic", "Record-Mono"}


def embedded_fonts(pdf: bytes) -> set[str]:
    """The PostScript names of the fonts a PDF embeds, without the subset prefix (ABCDEF+)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def test_each_face_the_record_uses_is_fetched_from_the_projects_own_files(monkeypatch):
    fetched: list[str] = []
    original = fetcher_module.RecordFetcher._static

    def recording(self, url):
        fetched.append(url)
        return original(self, url)

    monkeypatch.setattr(fetcher_module.RecordFetcher, "_static", recording)
    # The stylesheet (and the fonts it names) is parsed once a process: parse it afresh to see what it fetches.
    from assessments.records.pdf import render

    render._stylesheet.cache_clear()
    render._fonts.cache_clear()
    try:
        pdf = render_html_pdf(SAMPLE)
    finally:
        render._stylesheet.cache_clear()
        render._fonts.cache_clear()
    assert embedded_fonts(pdf) == EXPECTED
    fonts = sorted(url for url in fetched if url.endswith(".ttf"))
    assert fonts and all(url.startswith("static:pdf/fonts/DejaVuSans") for url in fonts)
    for url in fonts:
        assert (ROOT / "static" / url.removeprefix("static:")).is_file()
    assert (ROOT / "static" / "pdf" / "fonts" / "LICENSE.txt").is_file()


def test_a_deployed_machine_with_no_fonts_installed_renders_the_same_faces(tmp_path):
    """As deployed: DEBUG off, the static files collected by WhiteNoise's manifest storage, and fontconfig told of no
    font folder at all, so only the fonts the stylesheet brings can be used."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    env = {k: v for k, v in os.environ.items() if k != "STATICFILES_BACKEND"}
    env.update(
        FONTCONFIG_FILE=str(conf),
        ENV_FILE="",
        DEBUG="false",
        SECRET_KEY="tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="testserver",
        STATIC_ROOT=str(tmp_path / "collected"),
    )

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    collected = manage("collectstatic", "--noinput", "-v0")
    assert collected.returncode == 0, collected.stderr[-2000:]
    assert (tmp_path / "collected" / "pdf" / "fonts" / "DejaVuSans.ttf").is_file()
    # The stylesheet's font URLs are the renderer's own scheme, which the manifest storage leaves as they are.
    css = (tmp_path / "collected" / "pdf" / "record.css").read_text()
    assert css.count('url("static:pdf/fonts/') == 6
    out = tmp_path / "record.pdf"
    script = (
        "from assessments.records.pdf.render import render_html_pdf; from pathlib import Path; "
        f"Path({str(out)!r}).write_bytes(render_html_pdf({SAMPLE!r}))"
    )
    rendered = manage("shell", "-c", script)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    check = subprocess.run(["fc-list"], env=env, capture_output=True, text=True)
    assert "DejaVu" not in check.stdout  # the machine really has none
    assert embedded_fonts(out.read_bytes()) == EXPECTED
