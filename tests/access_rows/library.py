"""The unit library's upload page: the library is shared by every centre, so any centre admin acting as admin
(the outsider is one, at another centre) may check and load a file; everyone else signed in is linked to the
library (it is public to them) but in the wrong role, so 403 with the reason
(assessments/centre/library_policy.py). An empty check or confirmation comes back as the page with what is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from tests.access_rows import PERSONAS

LOADERS = {**dict.fromkeys(PERSONAS, 403), "admin": 200, "outsider": 200}

MORE_URLS: dict[str, Callable[[Any], str]] = {
    "library_import_check": lambda w: reverse("library_import"),
}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("library_import", "get", LOADERS),
    ("library_import_check", "post", LOADERS),
    ("library_import_confirm", "post", LOADERS),
]
