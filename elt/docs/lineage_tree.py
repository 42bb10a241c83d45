"""`elt docs lineage MODEL[.COLUMN]`: a column's lineage as a text tree, down to seeds and sources.

Each line is `node.column  type  [what the node is]`; a column that is a plain copy of its one parent
column is marked `=`, a derived one `ƒ`. With `--downstream`, a model that reads the column only in
WHERE / JOIN ... ON / GROUP BY / HAVING (no column of it derives from it) is a leaf marked `~`. A
subtree already printed in the same tree is not repeated (`... see above`), so diamonds in the DAG stay
readable. What cannot be resolved is printed where it happens, prefixed with `?`. A legend of the marks
ends the output.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from elt.compile.compiler import Manifest
from elt.docs.graph import DOC_TYPES, display_name
from elt.docs.lineage import ColumnRef, Lineage
from elt.errors import ProjectError

#: The legend printed under the trees, one line per mark (the site shows the same words).
MARKS = (
    ("=", "copied: the value of one upstream column, unchanged (perhaps renamed)"),
    ("ƒ", "derived: computed by an expression, an aggregate or from several columns"),
    (" ", "a seed or source column: where the data enters the project"),
)
FILTER_MARK = ("~", "read only to filter, join or group rows (WHERE / JOIN / GROUP BY / HAVING)")


@dataclass(frozen=True)
class LineageTarget:
    """What the user asked for: a node, and one of its columns (None: every column)."""

    unique_id: str
    column: str | None


def resolve_target(manifest: Manifest, text: str) -> LineageTarget:
    """`mart_x`, `mart_x.col`, `raw.orders` or `raw.orders.col` -> the node (and column).

    Raises:
        ProjectError: no model, seed or source has that name.
    """
    names = {display_name(n): uid for uid, n in manifest.nodes.items() if n.resource_type in DOC_TYPES}
    # Models and seeds win over a source of the same display name, as in ref().
    for uid, node in manifest.nodes.items():
        if node.resource_type in ("model", "seed", "snapshot"):
            names[node.name] = uid
    if text in names:
        return LineageTarget(names[text], None)
    if "." in text:
        prefix, column = text.rsplit(".", 1)
        if prefix in names and column:
            return LineageTarget(names[prefix], column)
    close = difflib.get_close_matches(text.split(".")[0] if text.count(".") == 1 else text, sorted(names), n=3)
    raise ProjectError(f"no model, seed or source named {text!r}",
                       hint=f"did you mean {', '.join(close)}?" if close else "see `elt ls` for the names")


def check_column(manifest: Manifest, lineage: Lineage, target: LineageTarget) -> LineageTarget:
    """The target with its column spelled as the node spells it.

    Raises:
        ProjectError: the node has no such column (the hint lists the columns it has).
    """
    if target.column is None:
        return target
    node_lineage = lineage.nodes.get(target.unique_id)
    columns = list(node_lineage.columns) if node_lineage else []
    match = next((c for c in columns if c.lower() == target.column.lower()), None)
    if match is not None:
        return LineageTarget(target.unique_id, match)
    name = display_name(manifest.nodes[target.unique_id])
    if node_lineage is not None and node_lineage.unresolved:
        hint = f"its columns are not all known: {node_lineage.unresolved}"
    else:
        hint = f"its columns: {', '.join(columns)}" if columns else "it has no known columns"
    raise ProjectError(f"{name} has no column {target.column!r}", hint=hint)


class _TreeWriter:
    def __init__(self, manifest: Manifest, lineage: Lineage, downstream: bool) -> None:
        self.manifest = manifest
        self.lineage = lineage
        self.downstream = downstream
        self.lines: list[str] = []
        self.shown: set[ColumnRef] = set()
        self.children: dict[ColumnRef, list[ColumnRef]] = {}
        self.filtered_by: dict[ColumnRef, list[str]] = {}
        if downstream:
            for parent, child in lineage.edges():
                self.children.setdefault(parent, []).append(child)
            for ref, uid, clauses in lineage.filter_edges():
                self.filtered_by.setdefault(ref, []).append(self.filter_label(uid, clauses))

    def filter_label(self, uid: str, clauses: list[str]) -> str:
        node = self.manifest.nodes[uid]
        where = f"{node.materialized} {node.relation}" if node.relation else str(node.materialized)
        return f"~ {display_name(node)}  ({', '.join(c.upper() for c in clauses)})  [{where}]"

    def label(self, ref: ColumnRef) -> str:
        node = self.manifest.nodes[ref.node]
        column = self.lineage.column(ref)
        kind = node.materialized or node.resource_type
        where = f"{kind} {node.relation}" if node.relation else kind
        if node.resource_type == "source":
            where = f"source {node.relation}"
        mark = "=" if column is not None and not column.transformed else "ƒ"
        if node.resource_type in ("seed", "source") or column is None or (column.unresolved and not column.upstream):
            mark = " "
        data_type = f"  {column.data_type}" if column is not None and column.data_type else ""
        return f"{mark} {display_name(node)}.{ref.column}{data_type}  [{where}]"

    def notes(self, ref: ColumnRef) -> list[str]:
        column = self.lineage.column(ref)
        if column is not None:
            if not self.downstream:
                notes = [f"? {reason}" for reason in column.unresolved]
                is_model = self.manifest.nodes[ref.node].resource_type == "model"
                if is_model and not column.upstream and not column.unresolved:
                    notes.append("(no upstream column: a constant or count(*))")
                return notes
            return list(self.filtered_by.get(ref, []))
        parent = self.lineage.nodes.get(ref.node)
        reason = parent.unresolved if parent is not None and parent.unresolved else "not among its known columns"
        return [f"? {display_name(self.manifest.nodes[ref.node])}.{ref.column}: {reason}"]

    def next_refs(self, ref: ColumnRef) -> list[ColumnRef]:
        if self.downstream:
            return self.children.get(ref, [])
        column = self.lineage.column(ref)
        return column.upstream if column is not None else []

    def write(self, ref: ColumnRef, prefix: str = "", branch: str = "") -> None:
        repeated = ref in self.shown and bool(self.next_refs(ref) or self.filtered_by.get(ref))
        self.lines.append(f"{prefix}{branch}{self.label(ref)}{'  ... see above' if repeated else ''}")
        if repeated:
            return
        self.shown.add(ref)
        child_prefix = prefix + ("" if not branch else ("    " if branch == "└── " else "│   "))
        items: list[ColumnRef | str] = [*self.notes(ref), *self.next_refs(ref)]
        for index, item in enumerate(items):
            last = index == len(items) - 1
            if isinstance(item, str):
                self.lines.append(f"{child_prefix}{'└── ' if last else '├── '}{item}")
            else:
                self.write(item, child_prefix, "└── " if last else "├── ")


def render_tree(manifest: Manifest, lineage: Lineage, target: LineageTarget, *, downstream: bool = False) -> str:
    """The lineage of one column (or of every column of a node) as a text tree.

    Upstream (default): down to seeds and sources. `downstream=True`: every column reading it.
    """
    node_lineage = lineage.nodes.get(target.unique_id)
    columns = [target.column] if target.column else list(node_lineage.columns if node_lineage else [])
    blocks: list[str] = []
    if node_lineage is not None and node_lineage.unresolved and target.column is None:
        blocks.append(f"? {display_name(manifest.nodes[target.unique_id])}: {node_lineage.unresolved}")
    for column in columns:
        writer = _TreeWriter(manifest, lineage, downstream)
        writer.write(ColumnRef(target.unique_id, column))
        blocks.append("\n".join(writer.lines))
    marks = [*MARKS, FILTER_MARK] if downstream else MARKS
    blocks.append("Marks: " + "\n       ".join(f"{mark or ' '} {meaning}" for mark, meaning in marks))
    return "\n\n".join(blocks) + "\n"
