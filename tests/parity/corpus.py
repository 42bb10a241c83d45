"""The parity corpus: Hive queries in `corpus/*.yaml`, their expected results in `fixtures/*.json`.

A corpus file holds `queries:`, each with an `id`, the Hive `sql`, optionally `uses:` (names of shared
datasets from `corpus/_datasets.yaml`, prepended as CTEs so every query stays self-contained) and
`refuse:` (the construct elt must refuse on DuckDB, e.g. `percentile_approx()`). The fixture file of the
same name holds, per id, the full SQL sent to Hive, the column names and types, the rows in the common
form of `canonical.py`, and whether the order is significant (a top-level ORDER BY).
Fixtures are written by `scripts/capture-parity-fixtures` from a running server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

HERE = Path(__file__).parent
CORPUS_DIR = HERE / "corpus"
FIXTURE_DIR = HERE / "fixtures"


@dataclass(frozen=True)
class Query:
    group: str
    id: str
    sql: str
    refuse: str | None = None
    #: the query as written (without the datasets), and the datasets it reads.
    body: str = ""
    uses: tuple[str, ...] = ()
    #: the column names Hive gives (checked on DuckDB): Spark, where the fixtures come from, names an
    #: unaliased expression by its text, Hive by its position (`_c0`).
    hive_columns: tuple[str, ...] | None = None
    #: the DuckDB error the query raises when translated without column types (`untyped`): an integer
    #: column of unknown width overflows loudly where Hive wraps (tests/parity/README.md, known gaps).
    untyped_raises: str | None = None

    @property
    def key(self) -> str:
        return f"{self.group}/{self.id}"

    @property
    def ordered(self) -> bool:
        """The result order is significant: the query ends in a top-level ORDER BY."""
        tree = sqlglot.parse_one(self.sql, read="hive")
        return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def datasets() -> dict[str, str]:
    """Dataset name -> its Hive SQL."""
    return _datasets()


def _datasets() -> dict[str, str]:
    path = CORPUS_DIR / "_datasets.yaml"
    return {name: sql.strip() for name, sql in yaml.safe_load(path.read_text())["datasets"].items()}


def _with_datasets(sql: str, names: list[str], datasets: dict[str, str]) -> str:
    if not names:
        return sql.strip()
    ctes = ",\n".join(f"{name} AS (\n{_indent(datasets[name])}\n)" for name in names)
    body = sql.strip()
    if re.match(r"(?i)with\s", body):
        return f"WITH {ctes},\n{body[4:].lstrip()}"
    return f"WITH {ctes}\n{body}"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def load() -> list[Query]:
    """Every corpus query, in file and file order."""
    datasets = _datasets()
    queries: list[Query] = []
    seen: set[str] = set()
    for path in sorted(CORPUS_DIR.glob("[!_]*.yaml")):
        group = path.stem
        for item in yaml.safe_load(path.read_text())["queries"]:
            query = Query(
                group=group,
                id=item["id"],
                sql=_with_datasets(item["sql"], item.get("uses", []), datasets),
                refuse=item.get("refuse"),
                body=item["sql"].strip(),
                uses=tuple(item.get("uses", [])),
                hive_columns=tuple(item["hive_columns"]) if "hive_columns" in item else None,
                untyped_raises=item.get("untyped_raises"),
            )
            if query.key in seen:
                raise ValueError(f"duplicate corpus id {query.key}")
            seen.add(query.key)
            queries.append(query)
    return queries


def fixture_path(group: str) -> Path:
    return FIXTURE_DIR / f"{group}.json"


def load_fixtures() -> dict[str, dict[str, Any]]:
    """key ('group/id') -> fixture entry."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        for qid, entry in json.loads(path.read_text()).items():
            out[f"{path.stem}/{qid}"] = entry
    return out
