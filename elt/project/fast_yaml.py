"""Reading a yml property file for less: the same data as `yaml.load(text, Loader=yaml.CSafeLoader)`,
built from libyaml's nodes in one walk, a shortcut of a cold compile. The project loader tries it first
and, on any error, reads the file again with `yamlfile.load_yaml`, whose errors name the file and line;
a document it does not build plainly is built by PyYAML's own code.
"""

from __future__ import annotations

import functools
from typing import Any


def fast_safe_load(text: str) -> Any:
    """`yaml.load(text, Loader=yaml.CSafeLoader)`, the same data, built for less (see `_fast_loader`).

    Raises:
        yaml.YAMLError: as that call; ValueError when PyYAML has no libyaml.
    """
    import yaml

    loader = _fast_loader()
    if loader is None:
        raise ValueError("PyYAML was built without libyaml")
    return yaml.load(text, Loader=loader)


class _NotPlain(Exception):
    """A document `_fast_loader` leaves to PyYAML's own construction."""


_YAML = "tag:yaml.org,2002:"
#: Scalar tags whose PyYAML constructor is a plain function of the node (no state, no generator).
_PLAIN_SCALARS = frozenset(_YAML + tag for tag in ("null", "bool", "int", "float", "timestamp"))


@functools.cache
def _fast_loader() -> Any:
    """libyaml's safe loader, with Python objects built for less: property files of a big project are
    thousands of small scalars, and PyYAML spends more on each than libyaml does parsing.

    - Tag resolution (implicit tags by regular expressions) is remembered per (value, style) within
      a document, as the answer depends on nothing else (without path resolvers, which safe loaders
      do not have).
    - A document made only of mappings, sequences and str/int/float/bool/null/timestamp scalars
      (no alias to a collection, no merge key, no other tag) is built in one recursive walk instead of
      PyYAML's deferred generators; the objects are equal, in the same order. Anything else, or any
      error, and the document is built by PyYAML's own code, as before, so its errors are unchanged.
    """
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    base = getattr(yaml, "CSafeLoader", None)
    if base is None:
        return None
    str_tag, map_tag, seq_tag = _YAML + "str", _YAML + "map", _YAML + "seq"

    class FastSafeLoader(base):  # type: ignore[misc, valid-type]
        # PyYAML's loader state, reset below (the base class is found at run time, so mypy cannot see it).
        constructed_objects: dict[Any, Any]
        recursive_objects: dict[Any, Any]
        state_generators: list[Any]

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._resolved: dict[tuple[str, Any], str] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is not ScalarNode or self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)
            key = (value, implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = self._resolved[key] = super().resolve(kind, value, implicit)
            return tag

        def construct_document(self, node: Any) -> Any:
            try:
                data = self._build(node, set())
            except Exception:  # noqa: BLE001 - not plain, or an error PyYAML's own code will report
                self.constructed_objects, self.recursive_objects, self.state_generators = {}, {}, []
                return super().construct_document(node)
            self.constructed_objects, self.recursive_objects, self.deep_construct = {}, {}, False
            return data

        def _build(self, node: Any, collections: set[int]) -> Any:
            kind, tag = node.__class__, node.tag
            if kind is ScalarNode:
                if tag == str_tag:
                    return node.value
                if tag in _PLAIN_SCALARS:
                    return self.yaml_constructors[tag](self, node)
                raise _NotPlain
            if id(node) in collections:
                raise _NotPlain  # an alias: PyYAML makes both places one object
            collections.add(id(node))
            # Plain strings, most of the scalars, are taken inline (a call less for each).
            if kind is MappingNode and tag == map_tag:
                mapping = {}
                for key_node, value_node in node.value:
                    if key_node.__class__ is not ScalarNode:
                        raise _NotPlain
                    key = key_node.value if key_node.tag == str_tag else self._build(key_node, collections)
                    mapping[key] = (value_node.value if value_node.tag == str_tag and value_node.__class__ is ScalarNode
                                    else self._build(value_node, collections))
                return mapping
            if kind is SequenceNode and tag == seq_tag:
                return [item.value if item.tag == str_tag and item.__class__ is ScalarNode
                        else self._build(item, collections) for item in node.value]
            raise _NotPlain

    return FastSafeLoader
