"""How a record is rendered, beyond what it prints: the trimmed stylesheet WeasyPrint starts from, and the cycle
collector paused for a render and given back as it was found."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
from django.conf import settings
from weasyprint.html import UA

from assessments.records.pdf.render import _UNUSED_UA_RULES, _render_alone, _user_agent_stylesheet, render_html_pdf

# A rule whose selector is a pseudo-element alone applies to every element of the document.
EVERY_ELEMENT_PSEUDO = re.compile(r"^::[\w-]+ \{", re.MULTILINE)


def test_every_rule_left_out_of_weasyprints_stylesheet_is_one_that_matched_every_element():
    # Six today; a WeasyPrint release that renames or rewrites them shows up here rather than as a slower render.
    assert len(_UNUSED_UA_RULES.findall(UA)) == 6
    trimmed = _UNUSED_UA_RULES.sub("", UA)
    assert EVERY_ELEMENT_PSEUDO.findall(UA) and not EVERY_ELEMENT_PSEUDO.findall(trimmed)
    # The element-bound pseudo-elements stay: a line break in an assessor's feedback is br::before.
    assert 'br::before { content: "\\A"' in trimmed
    assert len(UA) - len(trimmed) == sum(len(rule) for rule in _UNUSED_UA_RULES.findall(UA))


def test_the_trimmed_stylesheet_is_parsed_once_a_process():
    assert _user_agent_stylesheet() is _user_agent_stylesheet()


def test_a_render_pauses_the_cycle_collector_and_gives_it_back_enabled():
    assert gc.isenabled()
    with _render_alone():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert render_html_pdf("<p>An index</p>").startswith(b"%PDF")
    assert gc.isenabled()


def test_a_failed_render_gives_the_collector_back_too():
    with pytest.raises(RuntimeError), _render_alone():
        raise RuntimeError("the layout failed")
    assert gc.isenabled()


def test_a_caller_that_paused_the_collector_finds_it_still_paused():
    gc.disable()
    try:
        render_html_pdf("<p>An index</p>")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_no_record_template_uses_what_the_trimmed_stylesheet_left_out():
    # A list's bullets and numbers are ::marker, a footnote's call float: footnote; without their rules a list
    # added to a record would lose its markers silently. Use the full stylesheet again before adding one.
    pdf_templates = sorted((Path(settings.BASE_DIR) / "templates" / "pdf").glob("*.html"))
    assert pdf_templates
    for template in pdf_templates:
        source = template.read_text()
        assert not re.search(r"<(?:ul|ol|li)\b|float:\s*footnote|list-item", source), template.name
    css = (Path(settings.BASE_DIR) / "static" / "pdf" / "record.css").read_text()
    assert not re.search(r"list-item|footnote|::marker", css)
