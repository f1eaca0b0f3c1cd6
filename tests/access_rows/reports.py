from __future__ import annotations

from collections.abc import Callable
from typing import Any

MORE_URLS: dict[str, Callable[[Any], str]] = {}
MATRIX: list[tuple[str, str, dict[str, int]]] = []
