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

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from socsim.errors import ConfigError
from socsim.fields import field_label

#: Largest document file read (bytes); real platform and workload files are
#: a few kilobytes, generated ones a few megabytes.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
#: Deepest nesting of lists and mappings accepted; socsim's formats need six.
MAX_DEPTH = 64
#: Nodes that YAML aliases may add to a document once expanded.
MAX_ALIAS_NODES = 10_000
_MERGE_TAG = "tag:yaml.org,2002:merge"

class _DocumentError(Exception):
    """A limit or rule broken while parsing; turned into a :class:`ConfigError`."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.field, self.problem, self.fix = field, problem, fix


def _too_deep(where: str) -> _DocumentError:
    return _DocumentError("<file>", f"nests lists and mappings more than {MAX_DEPTH} levels "
                            f"deep ({where})", "flatten the document; socsim's formats need "
                            "only a few levels")


def _child_path(path: str, key: Any) -> str:
    return f"{path}.{field_label(key)}" if path else field_label(key)


class _Checks:
    """Depth, alias-expansion and duplicate-key checks, mixed into a YAML loader.

    Composition (events to nodes) always runs PyYAML's Python ``Composer``
    with a depth guard; the events come from libyaml when it is installed
    (three times faster) or from PyYAML's Python parser. Construction is
    ``SafeConstructor``'s: plain values only, no tag runs code.
    """

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose one node, refusing to nest deeper than :data:`MAX_DEPTH`."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _too_deep(f"at line {mark.line + 1}, column {mark.column + 1}")
            return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def check(self, root: Node) -> None:
        """Check the composed graph: expanded depth and size, recursion, duplicate keys."""
        done: dict[int, tuple[int, int]] = {}  # node id -> (expanded size, height)
        open_nodes: set[int] = set()

        def visit(node: Node, path: str, depth: int) -> tuple[int, int]:
            key = id(node)
            where = path or "<top level>"
            if key in open_nodes:
                raise _DocumentError(where, "contains itself through a YAML alias (a "
                                       "recursive document)", "replace the alias by the "
                                       "values it stands for")
            if key in done:
                size, height = done[key]
                if depth + height - 1 > MAX_DEPTH:
                    raise _too_deep(f"{where}, once YAML aliases are expanded")
                return size, height
            if depth > MAX_DEPTH:
                raise _too_deep(where)
            open_nodes.add(key)
            size, height = 1, 1
            children: list[tuple[Node, str]] = []
            if isinstance(node, SequenceNode):
                children = [(child, f"{path}[{k}]") for k, child in enumerate(node.value)]
            elif isinstance(node, MappingNode):
                children = self._mapping_children(node, path)
            for child, child_path in children:
                child_size, child_height = visit(child, child_path, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
            open_nodes.discard(key)
            done[key] = (size, height)
            return size, height

        total, _ = visit(root, "", 1)
        if total - len(done) > MAX_ALIAS_NODES:
            raise _DocumentError("<file>", f"uses YAML aliases (*name) that expand to "
                                   f"{total:,} nodes from {len(done):,} written (at most "
                                   f"{MAX_ALIAS_NODES:,} more are allowed)",
                                   "write the values out instead of repeating large "
                                   "anchored blocks; a 'billion laughs' file is refused")

    def _mapping_children(self, node: MappingNode, path: str) -> list[tuple[Node, str]]:
        """Key and value nodes of a mapping with their paths; a repeated key is an error."""
        seen: dict[Any, int] = {}
        children: list[tuple[Node, str]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                children.append((value_node, _child_path(path, "<<")))
                continue
            label: Any = "<key>"
            if isinstance(key_node, ScalarNode):
                label = self.construct_object(key_node)
                try:
                    hash(label)
                except TypeError:
                    label = key_node.value
                line = key_node.start_mark.line + 1
                if label in seen:
                    raise _DocumentError(
                        _child_path(path, label), f"is given twice in one mapping (lines "
                        f"{seen[label]} and {line}); YAML would silently keep the last",
                        f"keep one '{field_label(label)}' entry in that mapping")
                seen[label] = line
            children.append((key_node, _child_path(path, "<key>")))
            children.append((value_node, _child_path(path, label)))
        return children


class _PythonLoader(_Checks, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with the checks."""


_Loader: type = _PythonLoader
if yaml.__with_libyaml__:  # pragma: no branch
    from yaml._yaml import CParser

    class _LibyamlLoader(_Checks, CParser, SafeConstructor, Resolver):
        """libyaml's parser (events), the checked Python composer, the safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.anchors: dict[str, Node] = {}

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

    _Loader = _LibyamlLoader


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
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            loader.check(root)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except _DocumentError as exc:
        raise ConfigError(source, exc.field, exc.problem, exc.fix) from None
    except RecursionError:
        raise ConfigError(source, "<file>", f"nests lists and mappings more than {MAX_DEPTH} "
                          "levels deep", "flatten the document; socsim's formats need only "
                          "a few levels") from None
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(source, "<file>", f"is not valid {kind} ({_yaml_problem(exc)})",
                          "remove the '!tag' or fix the value at the position given: socsim "
                          "reads plain YAML values only") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        problem = _yaml_problem(exc) if isinstance(exc, yaml.YAMLError) else str(exc)
        if "maximum nesting depth" in problem:  # libyaml's own guard, at 1000 levels
            raise ConfigError(source, "<file>", f"nests lists and mappings more than "
                              f"{MAX_DEPTH} levels deep ({problem})", "flatten the document; "
                              "socsim's formats need only a few levels") from None
        raise ConfigError(source, "<file>", f"is not valid {kind} ({problem})",
                          "fix the syntax at the position given") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ConfigError(source, "<file>", f"has a value {kind} cannot convert ({exc})",
                          "fix the value") from None


def parse_builtin(text: str, source: str) -> Any:
    """Parse one of socsim's own shipped YAML files, with libyaml end to end when installed.

    The limits of :func:`parse_document` guard against hostile input; the
    package's own data is not that, and the checked composer costs more
    than a short simulation does (``socsim simulate`` reads eight
    built-ins). The result is the same: ``tests/test_catalog.py`` parses
    every built-in both ways and compares. Without libyaml this is
    :func:`parse_document`.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return parse_document(text, source)
    return yaml.load(text, Loader=fast)  # CSafeLoader: plain values only, no tag runs code


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A PyYAML error on one line: what is wrong, at which line and column."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = f"{exc.problem} at line {mark.line + 1}, column {mark.column + 1}"
        return f"{exc.context}: {problem}" if exc.context else problem
    return " ".join(str(exc).split())


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
