"""Steps the browser journeys share: reaching a page through the main menu (folded away behind a button on a
phone), and reading the one message a form's redirect leaves at the top of the page."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect


def uk(day: datetime.date) -> str:
    """A date as the pages show it: 23/11/2026."""
    return day.strftime("%d/%m/%Y")


def menu(page, name: str) -> None:
    """Follow a link in the main menu, opening the menu first where it is folded (on a phone)."""
    toggler = page.get_by_role("button", name="Show menu")
    if toggler.is_visible():
        toggler.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def said_once(page, text: str) -> None:
    """The page carries exactly one message saying `text`: the form was saved once and said so once."""
    messages = page.locator(".messages .alert")
    expect(messages.filter(has_text=text)).to_have_count(1)
    expect(messages).to_have_count(1)
