"""PyYAML behind :mod:`socsim.documents`: the checked loader, loaded only when YAML is read.

Composition (events to nodes) always runs PyYAML's Python ``Composer``
with depth, alias-expansion and duplicate-key checks; the events come from
libyaml when it is installed or from PyYAML's Python parser; construction
is ``SafeConstructor``'s (plain values only, no tag runs code). Kept apart
from :mod:`socsim.documents` so that reading JSON, or the built-ins
(:mod:`socsim.bundle`), does not import PyYAML.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from socsim.documents import MAX_ALIAS_NODES, MAX_DEPTH, _DocumentError, _too_deep
from socsim.errors import ConfigError
from socsim.fields import field_label

_MERGE_TAG = "tag:yaml.org,2002:merge"


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


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text with the checks; every PyYAML error becomes a :class:`ConfigError`.

    Raises:
        ConfigError: A syntax error or a tag.
        _DocumentError: A limit broken or a repeated key (worded by the caller).
    """
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            loader.check(root)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(source, "<file>", f"is not valid YAML ({_yaml_problem(exc)})",
                          "remove the '!tag' or fix the value at the position given: socsim "
                          "reads plain YAML values only") from None
    except yaml.YAMLError as exc:
        problem = _yaml_problem(exc)
        if "maximum nesting depth" in problem:  # libyaml's own guard, at 1000 levels
            raise ConfigError(source, "<file>", f"nests lists and mappings more than "
                              f"{MAX_DEPTH} levels deep ({problem})", "flatten the document; "
                              "socsim's formats need only a few levels") from None
        raise ConfigError(source, "<file>", f"is not valid YAML ({problem})",
                          "fix the syntax at the position given") from None


def load_builtin(text: str, source: str) -> Any:
    """Parse one of socsim's own YAML files with libyaml end to end (checked loader without it).

    The package's data is not hostile, and the checked composer costs more
    than a short simulation; ``tests/test_catalog.py`` parses every
    built-in both ways and compares.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return load_yaml(text, source)
    return yaml.load(text, Loader=fast)  # CSafeLoader: plain values only, no tag runs code


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A PyYAML error on one line: what is wrong, at which line and column."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = f"{exc.problem} at line {mark.line + 1}, column {mark.column + 1}"
        return f"{exc.context}: {problem}" if exc.context else problem
    return " ".join(str(exc).split())
