"""The JSON bundle of the built-ins: current, equal to the YAML, and never trusted when stale."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socsim import bundle, catalog
from socsim.documents import parse_builtin, parse_document

BUILTINS = [(kind, path.name) for kind in bundle.KINDS
            for path in sorted((bundle.DATA_DIR / kind).glob("*.yaml"))]


def test_the_bundle_covers_every_builtin_and_is_current() -> None:
    """Stale after an edit of socsim/data: run ``python -m socsim.bundle``."""
    assert len(BUILTINS) > 40
    assert bundle.build() == bundle.BUNDLE_FILE.read_text(encoding="utf-8"), \
        "socsim/data/builtins.json is stale: run python -m socsim.bundle"


@pytest.mark.parametrize(("kind", "name"), BUILTINS)
def test_a_bundled_document_equals_the_checked_yaml_reading(kind: str, name: str) -> None:
    source = f"{bundle.SOURCE_PREFIX}{kind}/{name}"
    text = (bundle.DATA_DIR / kind / name).read_text(encoding="utf-8")
    doc = bundle.lookup(source, text)
    assert doc is not bundle.MISSING
    assert doc == parse_document(text, source)


def test_an_edited_file_is_read_as_written_not_from_the_bundle() -> None:
    source = f"{bundle.SOURCE_PREFIX}mixes/ds3_default.yaml"
    text = (bundle.DATA_DIR / "mixes" / "ds3_default.yaml").read_text(encoding="utf-8")
    edited = text.replace("temp_mit: 0.2}", "temp_mit: 0.3}", 1)
    assert edited != text
    assert bundle.lookup(source, edited) is bundle.MISSING
    assert parse_builtin(edited, source)["workloads"]["temp_mit"] == 0.3


def test_each_lookup_returns_a_fresh_copy() -> None:
    source = f"{bundle.SOURCE_PREFIX}platforms/ds3_multiple_bal.yaml"
    text = (bundle.DATA_DIR / "platforms" / "ds3_multiple_bal.yaml").read_text(encoding="utf-8")
    first = bundle.lookup(source, text)
    first["name"] = "changed"
    assert bundle.lookup(source, text)["name"] == "ds3_multiple_bal"


def test_power_profiles_keep_their_integer_frequency_keys() -> None:
    platform = catalog.get_platform("ds3_multiple_bal")
    assert platform.power_model is not None
    source = f"{bundle.SOURCE_PREFIX}platforms/ds3_multiple_bal.yaml"
    text = (bundle.DATA_DIR / "platforms" / "ds3_multiple_bal.yaml").read_text(encoding="utf-8")
    profiles = bundle.lookup(source, text)["power_model"]["clusters"]["A15"]["profile"]
    assert profiles and all(isinstance(mhz, int) for mhz in profiles)


def test_a_missing_or_broken_bundle_is_only_a_slower_read(tmp_path, monkeypatch) -> None:
    source = f"{bundle.SOURCE_PREFIX}mixes/radio.yaml"
    text = (bundle.DATA_DIR / "mixes" / "radio.yaml").read_text(encoding="utf-8")
    for content in (None, "{not json", json.dumps({"format": 99, "files": {}})):
        path = tmp_path / "builtins.json"
        if content is not None:
            path.write_text(content, encoding="utf-8")
        monkeypatch.setattr(bundle, "BUNDLE_FILE", path)
        bundle._entries.cache_clear()
        assert bundle.lookup(source, text) is bundle.MISSING
        assert parse_builtin(text, source) == parse_document(text, source)
    monkeypatch.undo()
    bundle._entries.cache_clear()


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_keys = st.text() | st.integers() | st.booleans() | st.sampled_from(["__pairs__"])
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(_keys, inner, max_size=4), max_leaves=20)


@given(_documents)
def test_encode_then_decode_gives_the_document_back(doc: object) -> None:
    assert bundle.decode(json.dumps(bundle.encode(doc))) == doc
