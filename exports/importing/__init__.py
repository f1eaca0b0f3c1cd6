"""Importing a portable portfolio from another centre as recognised prior evidence."""

from exports.importing.manifest import ImportResult, max_unpacked
from exports.importing.service import portable_import

__all__ = ["ImportResult", "max_unpacked", "portable_import"]
