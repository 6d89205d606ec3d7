"""Small typed readers for dict-shaped input that raise :class:`ConfigError`.

Loaders of platform, workload and scenario files use these so that every
message names the file, the field path and a fix in the same way. The
documents themselves are read by :mod:`socsim.documents` (safe YAML and
JSON with size, depth, alias and duplicate-key limits).

Numbers read with :meth:`Fields.number` are finite and at most
:data:`MAX_NUMBER` (strictly positive ones at least :data:`MIN_POSITIVE`),
so that times, energies and their sums computed from them stay finite.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping
from typing import Any

from socsim.errors import ConfigError

#: Largest number accepted in a document: 1e15 us is about 32 years, and
#: products and sums of such numbers stay far from float overflow.
MAX_NUMBER = 1e15
#: Smallest strictly positive number accepted (rates and frequencies divide
#: times, so a tinier one would make a time overflow).
MIN_POSITIVE = 1e-9

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 4
_SHORT.maxlevel = 2


def brief(value: Any) -> str:
    """A ``repr`` of ``value`` cut to a few dozen characters, for error messages."""
    return _SHORT.repr(value)


def field_label(key: Any) -> str:
    """A mapping key as it appears in a field path (long ones cut)."""
    return key if isinstance(key, str) and len(key) <= 60 and key.isprintable() else brief(key)



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
            raise self.error(field, f"expected a non-empty name, found {brief(value)}",
                             "give a non-empty string")
        if not value.isprintable():
            raise self.error(field, f"is {brief(value)}, with a control character",
                             "give a name of printable characters")
        return value

    def number(self, value: Any, field: str, *, minimum: float = 0.0,
               strictly_positive: bool = False, maximum: float = MAX_NUMBER) -> float:
        """Check that ``value`` is a finite number between ``minimum`` and ``maximum``.

        Args:
            value: The value found in the document.
            field: Its dotted path, for the message.
            minimum: The smallest allowed value.
            strictly_positive: Reject ``minimum`` itself too; with
                ``minimum`` 0, values below :data:`MIN_POSITIVE` are
                rejected as well (they divide times).
            maximum: The largest allowed value (default :data:`MAX_NUMBER`,
                which keeps every time and energy derived from it finite).

        Returns:
            The value as a float.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(field, f"expected a number, found {brief(value)}", "give a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isnan(number) or math.isinf(number):
            raise self.error(field, f"is {brief(value)}", f"give a finite number, at most "
                             f"{maximum:g}")
        low = max(minimum, MIN_POSITIVE) if strictly_positive and minimum == 0 else minimum
        if number < low or (strictly_positive and number <= minimum):
            bound = f"at least {minimum:g}"
            if strictly_positive:
                bound = f"greater than {minimum:g}" + ("" if low == minimum
                                                       else f" (at least {low:g})")
            raise self.error(field, f"is {brief(value)}, must be {bound}",
                             f"give a value {bound}")
        if number > maximum:
            why = (" (socsim bounds numbers so that times, energies and their sums stay "
                   "finite; 1e15 us is about 32 years)" if maximum == MAX_NUMBER else "")
            raise self.error(field, f"is {number:g}, must be at most {maximum:g}{why}",
                             f"give a value at most {maximum:g}")
        return number

    def integer(self, value: Any, field: str, *, minimum: int = 0,
                maximum: int | None = None) -> int:
        """Check that ``value`` is an integer between ``minimum`` and ``maximum``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"expected an integer, found {brief(value)}",
                             "give an integer")
        if value < minimum:
            raise self.error(field, f"is {brief(value)}, must be at least {minimum}",
                             f"give an integer >= {minimum}")
        if value > (maximum if maximum is not None else MAX_NUMBER):
            limit = maximum if maximum is not None else f"{MAX_NUMBER:g}"
            raise self.error(field, f"is {brief(value)}, must be at most {limit}",
                             f"give an integer <= {limit}")
        return value

    def unknown_keys(self, doc: Mapping[str, Any], allowed: set[str], parent: str) -> None:
        """Reject keys that are not in ``allowed`` (usually a typo)."""
        for key in doc:
            if key not in allowed:
                name = field_label(key)
                raise self.error(f"{parent}.{name}" if parent else name,
                                 "is not a known field",
                                 f"remove it or use one of {sorted(allowed)}")
