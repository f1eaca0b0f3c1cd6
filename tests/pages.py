"""Checks on a rendered page's structure, shared by the view tests: a page is whole, extends the layout once, and
stays within a size bound."""

from __future__ import annotations

from html.parser import HTMLParser


class _Counter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The words a reader sees, without attributes or scripts: random tokens (CSRF, nonces) can hold any short
    string, so a check that some wording is absent reads this rather than the raw HTML."""
    reader = _Text()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def tag_counts(html: str) -> dict[str, int]:
    counter = _Counter()
    counter.feed(html)
    return counter.tags


def assert_one_layout(html: str, *, max_bytes: int = 200_000) -> None:
    """The page extends base.html exactly once (one html, one main landmark, one h1) and is not bloated."""
    counts = tag_counts(html)
    assert counts.get("html") == 1, f"{counts.get('html', 0)} <html> elements"
    assert counts.get("main") == 1, f"{counts.get('main', 0)} <main> landmarks"
    assert counts.get("h1") == 1, f"{counts.get('h1', 0)} <h1> headings"
    assert html.count('class="visually-hidden-focusable skip-link"') == 1
    size = len(html.encode())
    assert size <= max_bytes, f"The page is {size:,} bytes, over the {max_bytes:,} bound"
