"""Data tests of one relation checked in one query: a verdict per test, 0 when it passes.

Sending each test on its own costs a query per test (8779 at 5000 models), most of them over tables
of a few hundred rows, where the engine's per-query work (parse, bind, plan, a job on Hive) is the cost.
A batch is the generic tests of one relation: `not_null`, `unique` and `accepted_values` without
`where:` become aggregates over one scan of the relation (their `Node.failure_check`), every other
one (relationships, `where:`, a project's own tests) a `COUNT(*)` of its own query cross-joined to
it, so the batch is one statement with one row: a number per test, 0 exactly when its query returns
no row.

Only a pass is taken from a batch. A test whose number is not 0 runs its own query as before, which
gives its count, its sample rows, its severity and limit; a batch that fails (a bad column in one
test) gives no verdict, and each of its tests runs alone, so an error is reported on the test that
has it. So results and reports are those of running each test alone. ELT_TEST_BATCHES=0 turns batches off.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

from elt.adapters.base import Adapter
from elt.compile.compiler import Manifest
from elt.errors import EltError
from elt.nodes import Node

log = logging.getLogger(__name__)

#: ELT_TEST_BATCHES=0 sends every test on its own (to compare, or to rule batches out).
BATCHES_ENV = "ELT_TEST_BATCHES"

#: stands for the tested relation in a batch's scan while it is translated: the translation of a
#: scan depends only on its aggregates, which repeat across relations, so it is made once.
_PLACEHOLDER = "elt_batch_relation"
_PLACEHOLDER_RE = re.compile(rf"\b{_PLACEHOLDER}\b")


@dataclass
class _Batch:
    relation: str
    members: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: test unique id -> its number (0: passes); None until the batch ran, {} when it failed.
    verdicts: dict[str, int] | None = None


class TestBatches:
    """The batches of the tests of one run, each sent once, when its first test is run.

    Args:
        manifest: the compiled project.
        adapter: the open engine.
        sql: test unique id -> its query for the engine (the run's translations).
        built_during_run: True when models are built in the same run (`elt build`): tests then share
            a batch only when they read the same nodes, so a batch never runs before what any of its
            tests reads was built.
    """

    def __init__(self, manifest: Manifest, adapter: Adapter, sql: dict[str, str], *,
                 built_during_run: bool = False) -> None:
        self._manifest, self._adapter, self._sql = manifest, adapter, sql
        self._scans: dict[str, str] = {}  # scan in the project dialect -> for the engine
        self._scans_lock = threading.Lock()
        groups: dict[tuple[str, ...], list[str]] = {}
        for uid in sql:
            node = manifest.nodes[uid]
            if not batchable(node):
                continue
            assert node.attached_to is not None
            key: tuple[str, ...] = (node.attached_to,)
            if built_during_run:
                key += tuple(sorted(node.depends_on))
            groups.setdefault(key, []).append(uid)
        self._batch_of: dict[str, _Batch] = {}
        for key, members in groups.items():
            relation = manifest.nodes[key[0]].relation
            if len(members) < 2 or relation is None:
                continue
            batch = _Batch(str(relation), members)
            for uid in members:
                self._batch_of[uid] = batch

    def verdict(self, unique_id: str) -> int | None:
        """The test's number from its batch (0: it passes), running the batch if it has not run; None
        when the test is in no batch, or its batch failed: then it runs alone."""
        batch = self._batch_of.get(unique_id)
        if batch is None:
            return None
        with batch.lock:
            if batch.verdicts is None:
                batch.verdicts = self._run(batch)
        return batch.verdicts.get(unique_id)

    def sql(self, unique_id: str) -> str:
        """The test's own query for the engine."""
        return self._sql[unique_id]

    def _run(self, batch: _Batch) -> dict[str, int]:
        try:
            query = self.query(batch)
            row = self._adapter.fetchall(query)[0]
        except EltError as exc:
            log.debug("the batch of the %d tests of %s failed, each runs alone: %s",
                      len(batch.members), batch.relation, exc)
            return {}
        log.debug("%d tests of %s checked in one query", len(batch.members), batch.relation)
        return {uid: int(value) for uid, value in zip(batch.members, row, strict=True) if value is not None}

    def query(self, batch: _Batch) -> str:
        """The batch's one statement, in the engine's dialect: one row, a column per test in order."""
        nodes = self._manifest.nodes
        checks = [(i, nodes[uid].failure_check) for i, uid in enumerate(batch.members)
                  if nodes[uid].failure_check and not nodes[uid].config.get("where")]
        parts = []
        if checks:
            scan = ",\n  ".join(f"{check} AS elt_{i}" for i, check in checks)
            engine_scan = self._engine_scan(f"SELECT\n  {scan}\nFROM {_PLACEHOLDER}")
            parts.append(f"(\n{_PLACEHOLDER_RE.sub(batch.relation, engine_scan)}\n) elt_scan")
        scanned = {i for i, _ in checks}
        for i, uid in enumerate(batch.members):
            if i not in scanned:
                own = self._sql[uid].rstrip().rstrip(";")
                parts.append(f"(SELECT COUNT(*) AS elt_{i} FROM (\n{own}\n) elt_test_failures) elt_count_{i}")
        columns = ", ".join(f"elt_{i}" for i in range(len(batch.members)))
        return f"SELECT {columns}\nFROM " + "\nCROSS JOIN ".join(parts)

    def _engine_scan(self, scan: str) -> str:
        """A scan (project dialect) as the engine runs it, translated once per distinct text."""
        manifest, dialect = self._manifest, self._adapter.dialect
        if dialect == manifest.dialect:
            return scan
        with self._scans_lock:
            done = self._scans.get(scan)
        if done is None:
            import sqlglot

            from elt.dialects import translate
            from elt.dialects.hive_reader import reader

            done = translate(sqlglot.parse_one(scan, read=reader(manifest.dialect)), manifest.dialect, dialect)
            with self._scans_lock:
                self._scans[scan] = done
        return done


def batchable(node: Node) -> bool:
    """Whether a test may share a batch (a generic test attached to a relation)."""
    return node.resource_type == "test" and node.test_type == "generic" and node.attached_to is not None
