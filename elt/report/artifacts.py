"""Files under target/: compiled SQL, SQL as run, manifest.json and run_results.json.

The JSON files carry a schema version so tools reading them can check what they get. Nothing here
ever writes a secret: target settings are masked (TargetConfig.public_settings), and every file is
written through `secrets.masker` (the values of ELT_SECRET_* variables, e.g. in an engine's error).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from elt import __version__
from elt.compile.compiler import Manifest, checksum
from elt.errors import ArtifactError
from elt.materializations.incremental_config import strategy as incremental_strategy
from elt.nodes import Node, NodeResult, now_iso
from elt.secrets import masker
from elt.state import STATE_VERSION, Fingerprint, fingerprints

MANIFEST_SCHEMA = "elt/manifest/v1"
RUN_RESULTS_SCHEMA = "elt/run-results/v1"


def _write(path: Path, text: str, mask_text: Callable[[str], str] | None = None) -> None:
    """Write `text` to `path` (folders made as needed), secrets masked with `mask_text` (default: the
    secrets set now).

    Raises:
        ArtifactError: the file system refused (disk full, read-only, permissions).
    """
    try:
        _write_bytes(path, (mask_text or masker())(text).encode("utf-8"))
    except OSError as exc:
        raise ArtifactError.cannot_write(path, exc) from None


def _write_bytes(path: Path, data: bytes) -> None:
    # A new file (a cold compile writes thousands) is created in one call, without looking first.
    try:
        fd = _create(path)
    except FileExistsError:  # also when another process made it meanwhile (two runs compile at once)
        _rewrite(path, data)
        return
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _create(path: Path) -> int:
    """A descriptor of the new file `path`, its folders made as needed. Raises FileExistsError."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        return os.open(path, flags, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, 0o666)


def _rewrite(path: Path, data: bytes) -> None:
    # A file that already holds `data` is left alone: rewriting it truncates it, which ext4
    # (auto_da_alloc) follows with a flush to disk on close, 1-10 ms a file, and an unchanged project
    # rewrites thousands of them.
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.write_bytes(data)


def output_path(node: Node) -> str:
    """Where a node's SQL goes under target/compiled and target/run: its file's path, or for a
    generic test (declared in a yml file) `<yml path>/<test name>.sql`, as dbt does; for a snapshot (a file
    may hold several, or be a yml file) `<file path>/<snapshot name>.sql`."""
    if (node.resource_type == "test" and node.test_type == "generic") or node.resource_type == "snapshot":
        return f"{node.path}/{node.name}.sql"
    return node.path


class FileWriter:
    """Writes files as `_write` does, from a few threads, in batches handed over by `add`.

    Creating and filling a file is mostly kernel time, during which Python runs other threads: a
    compile writes its thousands of SQL files while the main thread goes on (translating, writing the
    manifest). Use it through `writing()`, which waits for every write and raises the first error.
    """

    #: files per batch: one thread hand-over costs about as much as writing a few small files.
    BATCH = 64

    def __init__(self, threads: int = 2) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="elt-write")
        self._batch: list[tuple[Path, str]] = []
        self._futures: list[Future[None]] = []
        self._mask = masker()  # the environment read once for the thousands of files of a compile

    def add(self, path: Path, text: str) -> None:
        self._batch.append((path, text))
        if len(self._batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._futures.append(self._pool.submit(self._write_batch, self._batch))
            self._batch = []

    def _write_batch(self, batch: list[tuple[Path, str]]) -> None:
        for path, text in batch:
            _write(path, text, self._mask)

    def close(self) -> None:
        """Wait for every write; raise the first error (in the order the files were added)."""
        self._flush()
        self._pool.shutdown(wait=True)
        for future in self._futures:
            future.result()


@contextmanager
def writing() -> Iterator[FileWriter]:
    """A FileWriter whose files are all written when the block ends, even when it raises."""
    writer = FileWriter()
    try:
        yield writer
    except BaseException:
        with contextlib.suppress(ArtifactError):  # the block's own error is the one to report
            writer.close()
        raise
    writer.close()


def write_compiled(manifest: Manifest, unique_ids: Iterable[str], writer: FileWriter | None = None) -> int:
    """target/compiled/<model path>: each model's SQL in the project dialect. Returns the count.
    With `writer`, the files are handed to it rather than written before returning."""
    if writer is None:
        with writing() as own:
            return write_compiled(manifest, unique_ids, own)
    count = 0
    root = manifest.project.config.target_dir / "compiled"
    for uid in unique_ids:
        if uid in manifest.compiled_sql:
            node = manifest.nodes.get(uid) or manifest.analyses[uid]
            writer.add(root / output_path(node), manifest.compiled_sql[uid])
            count += 1
    return count


def write_translated(manifest: Manifest, unique_ids: Iterable[str], dialect: str,
                     writer: FileWriter | None = None) -> None:
    """target/translated/<model path>: each model as an engine speaking `dialect` will run it.
    With `writer`, as for `write_compiled`.

    Raises:
        SqlError: a model uses a construct that cannot keep its meaning in `dialect` (the models
            before it are written).
    """
    if writer is None:
        with writing() as own:
            return write_translated(manifest, unique_ids, dialect, own)
    root = manifest.project.config.target_dir / "translated"
    for uid in unique_ids:
        if uid in manifest.compiled_sql:
            writer.add(root / output_path(manifest.nodes[uid]), manifest.sql_for(uid, dialect))


def write_run_sql(target_dir: Path, node: Node, statements: list[str],
                  mask_text: Callable[[str], str] | None = None) -> None:
    """target/run/<model path>: the statements exactly as sent to the engine (secrets masked with
    `mask_text`, `elt.secrets.masker()` made once for a run's many nodes; default: the secrets set now)."""
    _write(target_dir / "run" / output_path(node), "".join(s.rstrip().rstrip(";") + ";\n\n" for s in statements),
           mask_text)


def node_record(manifest: Manifest, node: Node, fingerprint: Fingerprint | None = None) -> dict[str, Any]:
    """A node as manifest.json records it; with `fingerprint` (elt.state), what state comparisons read:
    `relation` (database, schema, identifier) and `state` (checksums per part, macros called, the query
    in canonical form)."""
    record: dict[str, Any] = {
        "unique_id": node.unique_id,
        "name": node.name,
        "resource_type": node.resource_type,
        "path": node.path,
        "fqn": list(node.fqn),
        "package_name": node.package_name or manifest.project.config.name,  # as dbt's manifest
        "config": node.config,
        "tags": list(node.tags),
        "description": node.description,
        "columns": {
            name: {"name": c.name, "description": c.description, "data_type": c.data_type}
            for name, c in node.columns.items()
        },
        "depends_on": {"nodes": list(node.depends_on)},
        "relation_name": str(node.relation) if node.relation else None,
    }
    if node.resource_type == "test":
        record["test_type"] = node.test_type
        record["attached_node"] = node.attached_to
        record["column_name"] = node.column_name
    if node.resource_type in ("model", "snapshot", "test", "analysis"):
        record["checksum"] = {"raw_sql": checksum(node.raw_sql),
                              "compiled_sql": checksum(manifest.compiled_sql.get(node.unique_id, ""))}
        record["compiled_path"] = f"compiled/{output_path(node)}"
        record["render_reads"] = manifest.render_reads.get(node.unique_id, {})
    if node.resource_type == "source":
        record["source_name"] = node.source_name
    if node.resource_type == "model" and node.materialized == "incremental":
        record["incremental_strategy"] = incremental_strategy(node)  # the default resolved
    if fingerprint is not None:
        if node.relation is not None:
            record["relation"] = {"database": manifest.target.database, "schema": node.relation.schema,
                                  "identifier": node.relation.name}
        record["state"] = {"checksums": fingerprint.checksums, "macros": fingerprint.macros,
                           **({"sql": fingerprint.sql} if fingerprint.sql is not None else {})}
    return record


def write_manifest(manifest: Manifest, column_lineage: dict[str, Any] | None = None) -> Path:
    """target/manifest.json: every node, its config, dependencies, relation and checksums.

    Args:
        column_lineage: per node unique id, its columns' upstream columns (elt.docs.lineage); stored
            on each node as `column_lineage` (`elt docs generate` computes it; `compile` does not,
            to stay fast).
    """
    target = manifest.target
    prints = fingerprints(manifest)
    data = {
        "metadata": {
            "schema": MANIFEST_SCHEMA,
            "elt_version": __version__,
            "state_version": STATE_VERSION,  # what elt.state.load_state accepts
            "generated_at": now_iso(),
            "project_name": manifest.project.config.name,
            "dialect": manifest.dialect,
            "target": {"name": target.name, "type": target.type, "schema": target.schema,
                       "database": target.database, "database_path": database_path(target)},
        },
        "nodes": {uid: {**node_record(manifest, manifest.nodes[uid], prints.get(uid)),
                        **({"column_lineage": column_lineage[uid]} if column_lineage and uid in column_lineage
                           else {})}
                  for uid in sorted(manifest.nodes)}
                 # analyses: compiled, never run, no node of the DAG (elt.compile.analyses); listed as dbt does
                 | {uid: node_record(manifest, manifest.analyses[uid]) for uid in sorted(manifest.analyses)},
        "docs": {f"doc.{manifest.project.config.name}.{name}": {"name": name, "path": block.path,
                                                                "block_contents": block.text}
                 for name, block in sorted(manifest.project.docs.items())},
        "parent_map": {uid: sorted(manifest.graph.parents(uid)) for uid in sorted(manifest.nodes)},
        "child_map": {uid: sorted(manifest.graph.children(uid)) for uid in sorted(manifest.nodes)},
    }
    path = manifest.project.config.target_dir / "manifest.json"
    # Compact: indenting makes json use its pure-Python encoder, 7x slower (0.7 s for 5000 models).
    # Replaced whole: a disk that fills up meanwhile leaves the previous manifest, not half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, json.dumps(data, separators=(",", ":"), default=str) + "\n")
    return path


def database_path(target: Any) -> str | None:
    """The target's database file, absolute (None: the engine has no file, or it is in memory)."""
    raw = target.settings.get("path")
    if not isinstance(raw, str) or raw.startswith(":") or ":" in raw.split("/", 1)[0]:
        return None  # ":memory:", "md:name"
    path = Path(raw)
    if not path.is_absolute() and target.project_root is not None:
        path = target.project_root / path
    return str(path.resolve())


class RunResultsFile:
    """target/run_results.json, describing the run while it goes, so that a run stopped or killed
    mid-way (`kill -9`, a lost machine) leaves a true account of itself for `elt retry`.

    Written when the run starts (every planned node `pending`), again as nodes start (`running`) and
    finish (their status), and a last time when the run ends (`metadata.finished` true, `elapsed_time`
    set). Until then `finished` is false, and it stays false in the file of a run that was killed. Each
    write goes to a temporary file renamed over the old one, so a reader (or a crash) never sees half
    a file. The run gets a RunEvents receiver (`node_started`/`node_finished`, called by the runner's
    thread) and calls `flush()` on every turn of its loop.

    A write costs time in proportion to the number of nodes (3 ms at 5000), so writes are spaced to
    at least SPACING times the last one's duration: at most ~2% of the run's time goes to this file,
    and it lags behind the run by that spacing at most (0.15 s at 5000 nodes; a write is immediate in a
    small project). A node that finished within that lag is `running` in the file of a killed run, and
    `elt retry` builds it again, which is harmless.
    """

    SPACING = 50

    def __init__(self, manifest: Manifest, command: str, unique_ids: Iterable[str], args: dict[str, Any]) -> None:
        self.manifest = manifest
        self.path = manifest.project.config.target_dir / "run_results.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._metadata = {"schema": RUN_RESULTS_SCHEMA, "elt_version": __version__, "generated_at": now_iso(),
                          "command": command, "target": manifest.target.name, "finished": False,
                          "stopped_by": None}
        self._args = args
        self._mask = masker()  # the environment read once for the many writes of a run
        self._elapsed: float | None = None
        #: each node's record as a line of JSON, in the plan's order (updates keep it).
        self._records = {uid: self._line(self._record(uid, "pending")) for uid in unique_ids}
        self._dirty = True
        self._written_at = 0.0
        self._cost = 0.0
        #: why the last write failed (disk full...), None once one succeeds: the run goes on without
        #: this file, `finish()` tries once more, and the caller reports what is left.
        self.error: ArtifactError | None = None
        self.flush(force=True)

    # RunEvents: called by the runner's thread before the console prints the same event.
    def node_started(self, index: int, total: int, unique_id: str) -> None:
        self._records[unique_id] = self._line(self._record(unique_id, "running", started_at=now_iso()))
        self._changed()

    def node_finished(self, index: int, total: int, result: NodeResult) -> None:
        self._records[result.unique_id] = self._line(self._record(
            result.unique_id, result.status, execution_time=round(result.execution_time, 3),
            started_at=result.started_at, completed_at=result.completed_at, rows=result.rows,
            failures=result.failures, attempts=result.attempts, **result.details, message=result.message))
        self._changed()

    def finish(self, results: list[NodeResult], elapsed: float, stopped_by: str | None = None) -> Path:
        """The run is over: every node's result, the elapsed time, and (when a signal stopped it) which.
        Check `error` after it."""
        for result in results:
            self.node_finished(0, 0, result)
        self._metadata.update(finished=True, stopped_by=stopped_by, generated_at=now_iso())
        self._elapsed = round(elapsed, 3)
        self._dirty = True
        self.flush(force=True)
        return self.path

    def flush(self, *, force: bool = False) -> None:
        """Write the file if something changed and the spacing since the last write has passed (after
        a failed write, only when forced). Never raises: a failure is kept in `error`."""
        if not self._dirty:
            return
        if not force and (self.error is not None
                          or time.perf_counter() - self._written_at < self.SPACING * self._cost):
            return
        started = time.perf_counter()
        try:
            _replace(self.path, self._text(), self._mask)
        except ArtifactError as exc:
            self.error = exc
            return
        self.error = None
        self._dirty = False
        self._written_at = time.perf_counter()
        self._cost = self._written_at - started

    def _changed(self) -> None:
        self._dirty = True
        self.flush()

    def _record(self, unique_id: str, status: str, **fields: Any) -> dict[str, Any]:
        # A unit test (unit_test.<model>.<name>) is no node of the manifest.
        node = self.manifest.nodes.get(unique_id)
        return {"unique_id": unique_id, "status": status, "relation_name": str(node.relation or "") if node else "",
                "materialized": node.materialized if node else None, **fields}

    @staticmethod
    def _line(record: dict[str, Any]) -> str:
        return "    " + json.dumps(record, default=str)

    def _text(self) -> str:
        # One node per line: each record is made once (not at every write) and the file still reads well.
        head = (f'{{\n  "metadata": {json.dumps(self._metadata)},\n  "elapsed_time": {json.dumps(self._elapsed)},\n'
                f'  "args": {json.dumps(self._args, default=str)},\n  "results": [\n')
        return head + ",\n".join(self._records.values()) + "\n  ]\n}\n"


def _replace(path: Path, text: str, mask_text: Callable[[str], str] | None = None) -> None:
    """Write `path` through a temporary file renamed over it: readers see the old file or the new one.
    Secrets are masked as by `_write`.

    Raises:
        ArtifactError: the file system refused (the old file is left as it was).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write((mask_text or masker())(text))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ArtifactError.cannot_write(path, exc) from None
        raise
