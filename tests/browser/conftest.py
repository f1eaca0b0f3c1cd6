"""Real-browser tests: Playwright driving the system's Chromium.

Where no Chromium can be found they skip and say so, unless
REQUIRE_BROWSER_TESTS is set (CI sets it), when they fail instead.

Every page the `page`, `phone` and `open_as` fixtures make is watched: after each
load, and once more at the end of the test, it must fit its window without
sideways scrolling, and it must cause no Content Security Policy violation and
no script error. A page that breaks either rule fails the test at teardown,
naming the address and what overflowed.
"""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM
# calls are still synchronous, so Django's async-safety guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.browser.session import CHROMIUM_ARGS  # noqa: E402,F401 - where the tests import it from

# A common phone in portrait (iPhone 12 to 15): the narrowest screen the site promises to fit.
PHONE = {"width": 390, "height": 844}

# What overflows sideways, in words: the page itself when it is wider than its window (naming the element that
# reaches furthest right; the outermost wins a tie), and any box that scrolls sideways inside it, such as a wide
# table in Bootstrap's .table-responsive, whose last columns a phone user would never find.
SIDEWAYS = """() => {
  const name = el => {
    if (!el) return 'nothing measurable';
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of Array.from(el.classList).slice(0, 3)) s += '.' + c;
    const text = (el.innerText || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
    return text ? `${s} ("${text.slice(0, 60)}")` : s;
  };
  // Walks the tree without entering boxes that clip or scroll their content: what they hold shows nowhere else.
  // The outermost box reaching furthest is named (a table rather than its last cell); failing any, the innermost
  // whose text runs out of it (a long word in a paragraph); failing that, something positioned from inside a
  // clipping box, which still widens the page.
  const furthest = (scope, left, limit) => {
    const edge = limit;
    let found = null, overrun = null, overrunTo = limit;
    const walk = parent => {
      for (const el of parent.children) {
        const box = el.getBoundingClientRect();
        if (box.right - left > limit + 0.5) { limit = box.right - left; found = el; }
        const visible = getComputedStyle(el).overflowX === 'visible';
        const text = box.left - left + el.scrollWidth;
        if (visible && text > edge + 0.5 && (!overrun || overrun.contains(el) || text > overrunTo)) {
          overrunTo = text; overrun = el;
        }
        if (visible) walk(el);
      }
    };
    walk(scope);
    if (!found && overrun) return [overrun, Math.round(overrunTo)];
    if (!found) for (const el of scope.querySelectorAll('*')) {
      const right = el.getBoundingClientRect().right - left;
      if (right > limit + 0.5) { limit = right; found = el; }
    }
    return [found, Math.round(limit)];
  };
  const root = document.documentElement;
  const found = [];
  if (root.scrollWidth > root.clientWidth) {
    const [el, right] = furthest(document.body, -window.scrollX, root.clientWidth);
    found.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window; ` +
               `widest: ${name(el)}, reaching ${right}px`);
  }
  for (const box of document.body.querySelectorAll('*')) {
    if (box.matches('input, select, textarea')) continue;
    if (!['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) continue;
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    const [el, right] = furthest(box, box.getBoundingClientRect().left - box.scrollLeft, box.clientWidth);
    found.push(`${name(box).slice(0, 80)} scrolls sideways (${box.scrollWidth}px of content in ` +
               `${box.clientWidth}px); widest inside: ${name(el)}, reaching ${right}px`);
  }
  return found;
}"""

# Runs in every document before its own scripts (Playwright injects it past the CSP): reports each CSP violation
# as it happens, and the sideways check once the page has loaded.
WATCH = (
    """
window.addEventListener('securitypolicyviolation', e => window.__pageWatch('csp',
  `${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile || 'the page'}:${e.lineNumber})` +
  (e.sample ? ` "${e.sample}"` : '')));
window.addEventListener('load', () => setTimeout(() => {
  for (const problem of ("""
    + SIDEWAYS
    + """)()) window.__pageWatch('sideways', problem);
}, 0));
"""
)


class PageWatch:
    """What went wrong on the pages of one browser context, in words, each said once."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, url: str, kind: str, what: str) -> None:
        line = f"{url}: {kind}: {what}"
        if line not in self.found:
            self.found.append(line)

    def check_now(self, page) -> None:
        if page.is_closed():
            return
        for what in page.evaluate(SIDEWAYS):
            self.add(page.url, "sideways", what)


def watched_context(browser, live_server, *, phone: bool = False, **options):
    """A browser context whose pages are watched for sideways overflow, CSP violations and script errors.

    Pages made in it carry `problems`: the console errors and script errors, as tests have always read them.
    """
    if phone:
        options.setdefault("viewport", PHONE)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London", **options)
    context.watch = watch = PageWatch()
    context.expose_binding("__pageWatch", lambda source, kind, what: watch.add(source["frame"].url, kind, what))
    context.add_init_script(WATCH)

    context.on("page", lambda page: _watch_page(watch, page))
    return context


def _watch_page(watch: PageWatch, page) -> None:
    if getattr(page, "problems", None) is not None:
        return
    problems: list[str] = []
    page.problems = problems

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        problems.append(msg.text)
        if "Content Security Policy" in msg.text:
            watch.add(page.url, "csp (console)", msg.text)

    def on_error(exc) -> None:
        problems.append(str(exc))
        watch.add(page.url, "script error", str(exc))

    page.on("console", on_console)
    page.on("pageerror", on_error)


def watched_page(context, timeout_ms: int = 15_000):
    """A new page in a watched context."""
    page = context.new_page()
    _watch_page(context.watch, page)
    page.set_default_timeout(timeout_ms)
    return page


def close_watched(contexts) -> None:
    """Check each context's pages as they stand, close them, then fail with everything found, if anything."""
    found: list[str] = []
    for context in contexts:
        for page in context.pages:
            try:
                context.watch.check_now(page)
            except Exception:  # a test that ends on a click may leave its page mid-navigation: let it land
                try:
                    page.wait_for_load_state()
                    context.watch.check_now(page)
                except Exception as exc:  # crashed or never landed: say so rather than hide the rest
                    context.watch.add(page.url, "unchecked", str(exc).splitlines()[0])
        found += context.watch.found
        context.close()
    if found:
        pytest.fail("Pages broke the layout or security rules:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def page(browser, live_server):
    context = watched_context(browser, live_server)
    yield watched_page(context, 10_000)
    close_watched([context])


@pytest.fixture
def phone(browser, live_server):
    """A page on a phone-sized screen (390 x 844), signed in as nobody."""
    context = watched_context(browser, live_server, phone=True)
    yield watched_page(context)
    close_watched([context])


@pytest.fixture
def axe_page(browser, live_server):
    # axe-core is injected as a script, which the CSP would block: this page bypasses it.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def open_as(browser, live_server):
    """Sign in as each person in their own browser context: open_as(email) -> page; phone=True for a 390 px one."""
    contexts = []

    def open_as(email: str, *, phone: bool = False):
        from tests.browser.test_sign_in import sign_in

        context = watched_context(browser, live_server, phone=phone)
        contexts.append(context)
        page = watched_page(context)
        sign_in(page, email)
        return page

    yield open_as
    close_watched(contexts)
