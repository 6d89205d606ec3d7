"""Reading YAML and JSON documents safely: the one way socsim reads a user's file.

Every YAML or JSON document a user gives socsim (platforms, workloads, job
mixes, traces, instances, sweeps, hyperparameters) is read by
:func:`read_document` (or :func:`parse_document` for text already in
memory), which is safe against hostile files:

- YAML is read with a :class:`yaml.SafeLoader` subclass: no tag can run
  code or build Python objects;
- a file larger than :data:`MAX_DOCUMENT_BYTES` is refused before it is
  parsed, and so is one that is not UTF-8 text;
- nesting deeper than :data:`MAX_DEPTH` levels is refused while composing
  (no ``RecursionError``), counting what YAML aliases expand to;
- YAML aliases (``*name``) may add at most :data:`MAX_ALIAS_NODES` nodes to
  the document once expanded, which stops "billion laughs" files, and an
  alias inside the node it names (a recursive document) is refused;
- a key given twice in one YAML mapping or JSON object is an error naming
  the key, instead of the last value silently winning.

The parsed document is plain data; :class:`socsim.fields.Fields` then reads
its fields with types and ranges checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from socsim.errors import ConfigError
from socsim.fields import field_label

#: Largest document file read (bytes); real platform and workload files are
#: a few kilobytes, generated ones a few megabytes.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
#: Deepest nesting of lists and mappings accepted; socsim's formats need six.
MAX_DEPTH = 64
#: Nodes that YAML aliases may add to a document once expanded.
MAX_ALIAS_NODES = 10_000


class _DocumentError(Exception):
    """A limit or rule broken while parsing; turned into a :class:`ConfigError`."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.field, self.problem, self.fix = field, problem, fix


def _too_deep(where: str) -> _DocumentError:
    return _DocumentError("<file>", f"nests lists and mappings more than {MAX_DEPTH} levels "
                            f"deep ({where})", "flatten the document; socsim's formats need "
                            "only a few levels")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of the JSON reader: a repeated key is an error."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DocumentError(field_label(key), "is given twice in one JSON object; the JSON "
                                 "reader would silently keep the last",
                                 f"keep one '{field_label(key)}' entry in that object")
        obj[key] = value
    return obj


def _json_depth(doc: Any) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` (without recursing past it)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > MAX_DEPTH:
                raise _too_deep("in a JSON array or object")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def read_text(path: str | Path, *, limit: int = MAX_DOCUMENT_BYTES,
              encoding: str = "utf-8") -> str:
    """Read a text file of at most ``limit`` bytes, as :class:`ConfigError` on any problem.

    Args:
        path: The file.
        limit: Largest size accepted, in bytes.
        encoding: Its text encoding.

    Returns:
        The file's text.

    Raises:
        ConfigError: The file cannot be read, is larger than ``limit`` or is
            not text in ``encoding``.
    """
    source = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise ConfigError(source, "<file>", f"cannot be read ({exc.strerror or exc})",
                          "check the path and permissions") from None
    if len(data) > limit:
        raise ConfigError(source, "<file>", f"is larger than {limit / 2**20:g} MiB, the "
                          "largest file socsim reads", "give a smaller file (is it the "
                          "right one?)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "<file>", f"is not {encoding.upper()} text (byte "
                          f"{data[exc.start]:#04x} at offset {exc.start})",
                          f"save the file as {encoding.upper()} text") from None


def parse_document(text: str, source: str, *, json_format: bool = False) -> Any:
    """Parse YAML or JSON text safely (see the module docstring for the limits).

    Args:
        text: The document.
        source: Its file name, for messages.
        json_format: Parse as JSON instead of YAML.

    Returns:
        The parsed document (plain dicts, lists, strings and numbers).

    Raises:
        ConfigError: A syntax error, a limit broken, or a repeated key.
    """
    kind = "JSON" if json_format else "YAML"
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ConfigError(source, "<file>", f"is larger than {MAX_DOCUMENT_BYTES / 2**20:g} "
                          "MiB, the largest document socsim reads", "give a smaller document")
    try:
        if json_format:
            doc = json.loads(text, object_pairs_hook=_json_object)
            _json_depth(doc)
            return doc
        from socsim.yaml_reader import load_yaml  # PyYAML loads only for YAML text

        return load_yaml(text, source)
    except ConfigError:  # worded by the YAML reader already
        raise
    except _DocumentError as exc:
        raise ConfigError(source, exc.field, exc.problem, exc.fix) from None
    except RecursionError:
        raise ConfigError(source, "<file>", f"nests lists and mappings more than {MAX_DEPTH} "
                          "levels deep", "flatten the document; socsim's formats need only "
                          "a few levels") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(source, "<file>", f"is not valid {kind} ({exc})",
                          "fix the syntax at the position given") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ConfigError(source, "<file>", f"has a value {kind} cannot convert ({exc})",
                          "fix the value") from None


def parse_builtin(text: str, source: str) -> Any:
    """Parse one of socsim's own shipped YAML files: from the bundle, else with libyaml.

    The limits of :func:`parse_document` guard against hostile input; the
    package's own data is not that, and PyYAML costs more than a short
    simulation does (``socsim simulate`` reads eight built-ins). The JSON
    bundle of :mod:`socsim.bundle` answers while it holds the file's exact
    text; otherwise libyaml parses it end to end. The result is the same:
    ``tests/test_catalog.py`` and ``tests/test_bundle.py`` compare every
    built-in with :func:`parse_document`'s reading.
    """
    from socsim import bundle  # the package's own data, parsed once at release time

    doc = bundle.lookup(source, text)
    if doc is not bundle.MISSING:
        return doc
    from socsim.yaml_reader import load_builtin

    return load_builtin(text, source)


def read_document(path: str | Path) -> Any:
    """Read a YAML or JSON file safely, turning every problem into :class:`ConfigError`.

    Args:
        path: The file to read; ``.json`` is parsed as JSON, anything else as YAML.

    Returns:
        The parsed document.

    Raises:
        ConfigError: The file cannot be read, is too large, is not UTF-8, is
            not valid YAML/JSON, nests too deep, expands aliases too far, or
            repeats a key.
    """
    path = Path(path)
    text = read_text(path)
    return parse_document(text, str(path), json_format=path.suffix.lower() == ".json")
