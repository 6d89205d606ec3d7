"""The built-in data files parsed once, as JSON: read without PyYAML on the common path.

``socsim simulate`` reads eight built-ins (a platform, a mix and its six
workloads); importing PyYAML and parsing them costs about a tenth of the
whole command. ``socsim/data/builtins.json`` holds, for each built-in file
(``platforms/ds3_multiple_bal.yaml``, ...), the SHA-256 of its text and
its parsed document as JSON. An entry is used only while its hash matches
the file's text, so an edited YAML file is always read as written: a stale
bundle costs speed, never correctness. ``python -m socsim.bundle``
rewrites it (``experiments/convert_ds3.py`` does too), and
``tests/test_bundle.py`` fails while it is stale.

Mappings whose keys are not all strings (a power profile keyed by MHz)
are stored as ``{"__pairs__": [[key, value], ...]}``; decoding is plain
JSON with that one hook, so nothing read from the bundle can run code.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
#: The bundle file, beside the YAML files it mirrors.
BUNDLE_FILE = DATA_DIR / "builtins.json"
#: How built-in sources are named in messages (``socsim/data/<kind>/<name>.yaml``).
SOURCE_PREFIX = "socsim/data/"
#: The folders of built-ins that the bundle covers.
KINDS = ("platforms", "workloads", "mixes")
#: Returned by :func:`lookup` when the bundle has no current entry for a file.
MISSING: Any = object()
_PAIRS = "__pairs__"
_FORMAT = 1


def encode(value: Any) -> Any:
    """A parsed document as JSON-ready data (non-string keys kept as ``__pairs__``)."""
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and _PAIRS not in value:
            return {key: encode(item) for key, item in value.items()}
        return {_PAIRS: [[key, encode(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def _decode_object(obj: dict[str, Any]) -> Any:
    """``object_hook``: a ``__pairs__`` object back to its mapping."""
    if len(obj) == 1 and _PAIRS in obj:
        return {key: item for key, item in obj[_PAIRS]}
    return obj


def decode(text: str) -> Any:
    """A document from :func:`encode`'s JSON text."""
    return json.loads(text, object_hook=_decode_object)


def digest(text: str) -> str:
    """The SHA-256 of a file's text (UTF-8), as the bundle records it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _entries() -> dict[str, list[str]]:
    """The bundle's entries (empty if the file is missing or unreadable: it is only a cache)."""
    try:
        bundle = json.loads(BUNDLE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(bundle, dict) or bundle.get("format") != _FORMAT:
        return {}
    files = bundle.get("files")
    return files if isinstance(files, dict) else {}


def lookup(source: str, text: str) -> Any:
    """The parsed document of built-in ``source`` if the bundle holds its current text.

    Args:
        source: The built-in's name in messages, ``socsim/data/<kind>/<name>.yaml``.
        text: The file's text as read now.

    Returns:
        A fresh copy of the document (the caller may change it), or
        :data:`MISSING` when the bundle has no entry for this exact text.
    """
    entry = _entries().get(source.removeprefix(SOURCE_PREFIX))
    if not isinstance(entry, list) or len(entry) != 2 or entry[0] != digest(text):
        return MISSING
    return decode(entry[1])


def build() -> str:
    """The bundle's text for the built-ins on disk, each parsed with the checked reader.

    Raises:
        ValueError: A document that does not survive the JSON round trip.
    """
    from socsim.documents import parse_document

    files = {}
    for kind in KINDS:
        for path in sorted((DATA_DIR / kind).glob("*.yaml")):
            key = f"{kind}/{path.name}"
            text = path.read_text(encoding="utf-8")
            doc = parse_document(text, SOURCE_PREFIX + key)
            packed = json.dumps(encode(doc), separators=(",", ":"), ensure_ascii=False)
            if decode(packed) != doc:
                raise ValueError(f"{SOURCE_PREFIX}{key}: the document does not survive JSON")
            files[key] = [digest(text), packed]
    return json.dumps({"format": _FORMAT, "files": files}, indent=0, ensure_ascii=False) + "\n"


def write() -> int:
    """Rewrite :data:`BUNDLE_FILE` from the YAML files; returns the number of entries."""
    text = build()
    BUNDLE_FILE.write_text(text, encoding="utf-8")
    _entries.cache_clear()
    return len(json.loads(text)["files"])


if __name__ == "__main__":
    print(f"wrote {write()} built-ins to {BUNDLE_FILE}")
