"""Built-in platforms, workloads and workload mixes, and lookup by name or path.

The built-ins are YAML files shipped in ``socsim/data`` (generated from
DS3/DS3Gym data by ``experiments/convert_ds3.py``). Every ``get_*`` function
takes either a built-in name or a path to a file, so that command-line
options and scenario files can use both. Built-ins are parsed once and
cached; :class:`Platform` and :class:`JobProfile` are treated as immutable by
the whole code base, so the cached objects are shared.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socsim import dag_generator
from socsim.documents import parse_builtin, read_document
from socsim.errors import ConfigError
from socsim.fields import Fields
from socsim.platform import Platform
from socsim.workload import JobProfile

if TYPE_CHECKING:  # the DS3 file reader loads only for DS3 files
    from socsim.ds3 import DS3Soc

_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_KINDS = {"platform": "platforms", "workload": "workloads", "mix": "mixes"}


@dataclass(frozen=True)
class Mix:
    """A weighted choice of job profiles, e.g. DS3's default application mix.

    Attributes:
        name: Mix name.
        weights: Profile (built-in workload name, or absolute path of a
            workload file) -> relative weight (positive, need not sum to 1).
            Read-only.
        platform: The platform the mix is meant for (a built-in name or a
            path), or ``None``.
        description: Free text, including provenance.
        source: The file the mix was read from.
    """

    name: str
    weights: Mapping[str, float]
    platform: str | None = None
    description: str = ""
    source: str = "<memory>"

    def probabilities(self) -> dict[str, float]:
        """The weights normalised to sum to 1, in file order."""
        total = sum(self.weights.values())
        return {name: weight / total for name, weight in self.weights.items()}


def platform_names() -> list[str]:
    """Names of the built-in platforms, sorted."""
    return _builtin_names("platform")


def workload_names() -> list[str]:
    """Names of the built-in workloads (job profiles), sorted."""
    return _builtin_names("workload")


def mix_names() -> list[str]:
    """Names of the built-in workload mixes, sorted."""
    return _builtin_names("mix")


def get_platform(name_or_path: str | Path) -> Platform:
    """A built-in platform by name, or a platform file.

    Args:
        name_or_path: A name from :func:`platform_names`, or the path of a
            ``.yaml``/``.yml``/``.json`` platform file or of a DS3 SoC
            ``.txt`` file (read with :func:`socsim.ds3.read_ds3_soc`).

    Raises:
        ConfigError: Unknown name (with the closest built-in names), or an
            invalid file.
    """
    if _is_path(name_or_path):
        path = Path(name_or_path)
        if path.suffix.lower() == ".txt":
            from socsim.ds3 import read_ds3_soc

            return read_ds3_soc(path).platform
        return Platform.from_dict(read_document(path), source=str(path))
    return _builtin_platform(_known_name("platform", str(name_or_path)))


def get_workload(name_or_path: str | Path, ds3_soc: DS3Soc | str | Path | None = None
                 ) -> JobProfile:
    """A built-in workload (job profile) by name, a workload file, or a random DAG spec.

    Args:
        name_or_path: A name from :func:`workload_names`, the path of a
            ``.yaml``/``.yml``/``.json`` workload file or of a DS3 job
            ``.txt`` file, or a random DAG spec such as
            ``daggen/n=50/ccr=2/seed=3`` (see :mod:`socsim.dag_generator`).
        ds3_soc: For a DS3 job file only: the SoC whose execution times the
            tasks take (a :class:`socsim.ds3.DS3Soc` or the SoC file's path).

    Raises:
        ConfigError: Unknown name (with the closest built-in names), an
            invalid file, a DS3 job file without ``ds3_soc``, or a bad spec
            (naming the parameter).
    """
    if dag_generator.is_spec(name_or_path):
        return _generated_workload(dag_generator.parse_spec(str(name_or_path)).spec)
    respelt = dag_generator.corrected_spec(name_or_path) \
        if isinstance(name_or_path, str) and not Path(name_or_path).exists() else None
    if respelt is not None:
        raise ConfigError("socsim catalog", "workload", f"{name_or_path!r} is neither a file "
                          "nor a random DAG spec", f"did you mean '{respelt}'?")
    if _is_path(name_or_path):
        path = Path(name_or_path)
        if path.suffix.lower() == ".txt":
            if ds3_soc is None:
                raise ConfigError(str(path), "<file>", "is a DS3 job file, whose execution "
                                  "times live in a DS3 SoC file",
                                  "pass ds3_soc='path/to/SoC.X.txt' (or use socsim.ds3."
                                  "read_ds3_job), or use a built-in workload")
            from socsim.ds3 import read_ds3_job

            return read_ds3_job(path, ds3_soc)
        return JobProfile.from_dict(read_document(path), source=str(path))
    return _builtin_workload(_known_name("workload", str(name_or_path)))


def get_mix(name_or_path: str | Path) -> Mix:
    """A built-in workload mix by name, or a mix file.

    A mix file has ``name``, ``description``, an optional ``platform`` and
    ``workloads: {profile: weight}``. Profiles are built-in workload names or
    workload file paths (relative to the mix file); weights are positive.

    Raises:
        ConfigError: Unknown name (with the closest built-in names), or an
            invalid file: a weight that is not a positive finite number, or a
            profile or platform that does not exist.
    """
    if _is_path(name_or_path):
        path = Path(name_or_path)
        return _MixReader(str(path), path.parent).read(read_document(path))
    return _builtin_mix(_known_name("mix", str(name_or_path)))


# --------------------------------------------------------------------------- internals


def _is_path(name_or_path: str | Path) -> bool:
    """Whether the argument names a file rather than a built-in."""
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return (text.lower().endswith((*_FILE_SUFFIXES, ".txt")) or "/" in text or "\\" in text)


def _data_dir(kind: str) -> Path:
    """The folder holding built-ins of ``kind`` (package data, installed beside this module).

    A plain path rather than ``importlib.resources``: socsim is never installed
    zipped, and that module costs more to import than a short simulation.
    """
    return Path(__file__).resolve().parent.joinpath("data", _KINDS[kind])


@functools.cache
def _builtin_names_cached(kind: str) -> tuple[str, ...]:
    folder = _data_dir(kind)
    if not folder.is_dir():
        return ()
    return tuple(sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir()
                        if entry.name.endswith(".yaml")))


def _builtin_names(kind: str) -> list[str]:
    return list(_builtin_names_cached(kind))


def _known_name(kind: str, name: str) -> str:
    """``name`` if it is a built-in of ``kind``; otherwise a 'did you mean' error."""
    names = _builtin_names(kind)
    if name in names:
        return name
    import difflib  # only to word an error

    close = difflib.get_close_matches(name, names, n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    spec = (f", or a random DAG spec such as '{dag_generator.SPEC_PREFIX}/n=50/seed=1'"
            if kind == "workload" else "")
    raise ConfigError("socsim catalog", kind, f"no built-in {kind} is called {name!r}",
                      f"{hint}Built-in {_KINDS[kind]}: {', '.join(names)}; or give the path "
                      f"of a {'/'.join(_FILE_SUFFIXES)} file{spec}")


def _builtin_document(kind: str, name: str) -> tuple[Any, str]:
    """The parsed YAML of a built-in and the name to cite in errors."""
    source = f"socsim/data/{_KINDS[kind]}/{name}.yaml"
    text = _data_dir(kind).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_builtin(text, source), source


@functools.cache
def _builtin_platform(name: str) -> Platform:
    doc, source = _builtin_document("platform", name)
    return Platform.from_dict(doc, source=source)


@functools.cache
def _builtin_workload(name: str) -> JobProfile:
    doc, source = _builtin_document("workload", name)
    return JobProfile.from_dict(doc, source=source)


@functools.lru_cache(maxsize=256)
def _generated_workload(spec: str) -> JobProfile:
    """The random DAG of a canonical spec string, cached like the built-ins."""
    return dag_generator.parse_spec(spec).generate()


@functools.cache
def _builtin_mix(name: str) -> Mix:
    doc, source = _builtin_document("mix", name)
    return _MixReader(source, None).read(doc)


class _MixReader(Fields):
    """Validates the mix file format; one instance per file.

    Args:
        source: The file, for messages.
        base: Folder that relative workload and platform paths start from;
            ``None`` for built-ins, which may only name built-ins.
    """

    def __init__(self, source: str, base: Path | None) -> None:
        super().__init__(source)
        self.base = base

    def read(self, doc: Any) -> Mix:
        doc = self.mapping(doc, "<top level>")
        self.unknown_keys(doc, {"name", "description", "platform", "workloads"}, "")
        name = self.text(self.require(doc, "name", ""), "name")
        workloads = self.mapping(self.require(doc, "workloads", ""), "workloads")
        if not workloads:
            raise self.error("workloads", "is empty",
                             "give at least one 'profile: weight' entry")
        weights = {self._reference("workload", str(profile), f"workloads.{profile}"):
                   self.number(weight, f"workloads.{profile}", strictly_positive=True)
                   for profile, weight in workloads.items()}
        platform = doc.get("platform")
        if platform is not None:
            platform = self._reference("platform", self.text(platform, "platform"), "platform")
        return Mix(name=name, weights=types.MappingProxyType(weights), platform=platform,
                   description=str(doc.get("description", "")), source=self.source)

    def _reference(self, kind: str, value: str, field: str) -> str:
        """A built-in name of ``kind``, an existing file resolved against the mix, or a spec."""
        if kind == "workload" and dag_generator.is_spec(value):
            try:
                return dag_generator.parse_spec(value).spec
            except ConfigError as exc:
                raise self.error(field, f"bad random DAG spec ({exc.field}: {exc.problem})",
                                 exc.fix) from None
        if _is_path(value) and self.base is not None:
            path = Path(value)
            path = path if path.is_absolute() else self.base / path
            if not path.is_file():
                raise self.error(field, f"{kind} file '{path}' does not exist",
                                 f"give an existing {kind} file or a built-in {kind} name")
            return str(path.resolve())
        names = _builtin_names(kind)
        if value not in names:
            import difflib  # only to word an error

            close = difflib.get_close_matches(value, names, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise self.error(field, f"no built-in {kind} is called '{value}'",
                             f"{hint}use one of {names}"
                             + (f" or a {kind} file path" if self.base is not None else ""))
        return value
