"""elt.project.fast_yaml.fast_safe_load gives what `yaml.load(text, Loader=yaml.CSafeLoader)` gives: the same
objects of the same types in the same order, the same shared objects for aliases, the same errors."""

from __future__ import annotations

from typing import Any

import pytest

yaml = pytest.importorskip("yaml")
if not hasattr(yaml, "CSafeLoader"):
    pytest.skip("PyYAML without libyaml", allow_module_level=True)

from elt.project.fast_yaml import fast_safe_load  # noqa: E402

DOCUMENTS = {
    "properties": """\
version: 2
models:
  - name: orders
    description: "one row per order"
    config: {materialized: table, tags: [a, b], enabled: false, tblproperties: {'transactional': 'true'}}
    columns:
      - name: id
        data_tests: [not_null, unique, {accepted_values: {values: [1, 2, '3'], quote: false}}]
      - name: status
        data_tests:
          - relationships: {to: "ref('customers')", field: id}
""",
    "booleans": "b: [yes, no, on, off, true, False, TRUE, y, n, Yes, 'yes']",
    "numbers": "n: [0x1F, 0o17, 017, 1_000, 1:30, 1.5, .inf, -.inf, .nan, 1e3, +12, -0, 0b101, '12']",
    "nulls": "n: [~, null, Null, '', \"\"]\nempty:\n",
    "timestamps": "d: [2024-01-01, 2024-01-01T10:00:00Z, 2024-01-01 10:00:00.5 +02:00]",
    "explicit tags": "t: [!!str 1, !!int '2', !!float '3', !!binary aGVsbG8=, !!bool 'yes', !!null '']",
    "collection tags": "s: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\np: !!pairs [{a: 1}, {a: 2}]",
    "scalar keys": "1: one\n2.5: two\ntrue: three\nnull: four\n2024-01-01: five\n'1': six",
    "duplicate keys": "k: 1\nj: 0\nk: 2",
    "block scalars": "a: |\n  multi\n  line\nb: >\n  folded\n  text\n",
    "merge key": "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
    "merge list": "a: &a {x: 1}\nb: &b {y: 2}\nc: {<<: [*a, *b], z: 3}",
    "value key": "= : x\n",
    "empty": "",
    "comment only": "# nothing\n",
    "nested lists": "- a\n- - b\n  - c\n- []\n- {}\n",
    "deep": "a: " + "[" * 300 + "]" * 300,
}

ERRORS = {
    "bad explicit int": "bad: !!int abc",
    "unknown tag": "x: !custom 1",
    "unhashable key": "? [a, b]\n: c",
    "mapping key": "? {a: 1}\n: c",
    "two documents": "a: 1\n---\nb: 2",
    "unclosed flow": "a: [1, 2",
    "mapping in plain scalar": "a: b: c",
    "merge of a scalar": "a: {<<: 1}",
}


def _shape(value: Any) -> Any:
    """Types and reprs all the way down (True and 1 are equal, but not the same value here)."""
    if isinstance(value, dict):
        return ("dict", [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_same_objects_as_libyaml_safe_loader(text: str) -> None:
    assert _shape(fast_safe_load(text)) == _shape(yaml.load(text, Loader=yaml.CSafeLoader))


@pytest.mark.parametrize("text", ERRORS.values(), ids=ERRORS.keys())
def test_same_errors_as_libyaml_safe_loader(text: str) -> None:
    with pytest.raises(Exception) as expected:
        yaml.load(text, Loader=yaml.CSafeLoader)
    with pytest.raises(type(expected.value)) as got:
        fast_safe_load(text)
    assert str(got.value) == str(expected.value)


def test_aliases_share_one_object() -> None:
    data = fast_safe_load("a: &x {b: [1]}\nc: *x\nl: &l [1, 2]\nm: *l\nitems: [&m {k: v}, *m]")
    assert data["a"] is data["c"]
    assert data["l"] is data["m"]
    assert data["items"][0] is data["items"][1]
    assert data == yaml.load("a: {b: [1]}\nc: {b: [1]}\nl: [1, 2]\nm: [1, 2]\nitems: [{k: v}, {k: v}]",
                             Loader=yaml.CSafeLoader)


def test_a_recursive_mapping_contains_itself() -> None:
    data = fast_safe_load("r: &r {self: *r}")
    assert data["r"]["self"] is data["r"]


def test_a_merge_key_document_is_left_intact_for_the_fallback() -> None:
    text = "base: &b {x: 1}\nd: {<<: *b, y: 2}\ne: {<<: *b}"
    assert fast_safe_load(text) == {"base": {"x": 1}, "d": {"x": 1, "y": 2}, "e": {"x": 1}}
