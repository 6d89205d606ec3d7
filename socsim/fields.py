"""Small typed readers for dict-shaped input that raise :class:`ConfigError`.

Loaders of platform, workload and scenario files use these so that every
message names the file, the field path and a fix in the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from socsim.errors import ConfigError


def read_document(path: str | Path) -> Any:
    """Read a YAML or JSON file, turning parse errors into :class:`ConfigError`.

    Args:
        path: The file to read; ``.json`` is parsed as JSON, anything else as YAML.

    Returns:
        The parsed document.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "<file>", f"cannot be read ({exc.strerror})",
                          "check the path and permissions") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), "<file>", f"is not valid {path.suffix or 'YAML'} ({exc})",
                          "fix the syntax at the position given") from None


class Fields:
    """Reads fields of one document, remembering the file for error messages.

    Args:
        source: Name of the file or origin, used in every error.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, field: str, problem: str, fix: str) -> ConfigError:
        """Build a :class:`ConfigError` for ``field`` of this document."""
        return ConfigError(self.source, field, problem, fix)

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        """Check that ``value`` is a mapping."""
        if not isinstance(value, Mapping):
            raise self.error(field, f"expected a mapping, found {type(value).__name__}",
                             "write it as 'key: value' pairs")
        return value

    def sequence(self, value: Any, field: str) -> list[Any]:
        """Check that ``value`` is a list."""
        if not isinstance(value, list):
            raise self.error(field, f"expected a list, found {type(value).__name__}",
                             "write it as a YAML/JSON list")
        return value

    def require(self, doc: Mapping[str, Any], key: str, parent: str) -> Any:
        """Return ``doc[key]`` or raise a 'missing field' error."""
        field = f"{parent}.{key}" if parent else key
        if key not in doc or doc[key] is None:
            raise self.error(field, "is missing", f"add '{key}' to {parent or 'the top level'}")
        return doc[key]

    def text(self, value: Any, field: str) -> str:
        """Check that ``value`` is a non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise self.error(field, f"expected a non-empty name, found {value!r}",
                             "give a non-empty string")
        return value

    def number(self, value: Any, field: str, *, minimum: float = 0.0,
               strictly_positive: bool = False) -> float:
        """Check that ``value`` is a finite number at least ``minimum``.

        Args:
            value: The value found in the document.
            field: Its dotted path, for the message.
            minimum: The smallest allowed value.
            strictly_positive: Reject ``minimum`` itself too.

        Returns:
            The value as a float.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(field, f"expected a number, found {value!r}", "give a number")
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise self.error(field, f"is {value!r}", "give a finite number")
        if number < minimum or (strictly_positive and number <= minimum):
            bound = f"greater than {minimum:g}" if strictly_positive else f"at least {minimum:g}"
            raise self.error(field, f"is {value!r}, must be {bound}",
                             f"give a value {bound}")
        return number

    def integer(self, value: Any, field: str, *, minimum: int = 0) -> int:
        """Check that ``value`` is an integer at least ``minimum``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"expected an integer, found {value!r}", "give an integer")
        if value < minimum:
            raise self.error(field, f"is {value}, must be at least {minimum}",
                             f"give an integer >= {minimum}")
        return value

    def unknown_keys(self, doc: Mapping[str, Any], allowed: set[str], parent: str) -> None:
        """Reject keys that are not in ``allowed`` (usually a typo)."""
        for key in doc:
            if key not in allowed:
                raise self.error(f"{parent}.{key}" if parent else str(key), "is not a known field",
                                 f"remove it or use one of {sorted(allowed)}")
