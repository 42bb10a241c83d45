"""`[tool.elt.schedule]` and `[tool.elt.airflow]` of pyproject.toml -> frozen dataclasses.

```toml
[tool.elt.schedule]
cron = "0 2 * * *"             # the whole project (select/exclude narrow it); also the Airflow DAG's schedule
timezone = "Europe/Paris"      # IANA name; default UTC (Airflow's default too)

[tool.elt.schedule.jobs.hourly_marts]   # more selections on their own schedules (elt schedule only)
cron = "15 * * * *"
select = ["tag:hourly"]

[tool.elt.airflow]
dag_id = "elt_school"          # default elt_<project name>
tests = "gate"                 # gate | after | none: see dag_spec.py
project_dir = "/opt/elt/school"  # where the project lives on the Airflow workers (default: here)

[tool.elt.airflow.default_args]  # merged over DEFAULT_ARGS (owner "elt", retries 2, retry_delay 5m)
owner = "data"
retries = 3
retry_delay = "10m"            # seconds, or a number with s, m, h, d
email_on_failure = true
```

Every error names pyproject.toml and the key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elt.errors import ProjectError
from elt.orchestration.cron import Cron, load_zone, parse_cron

_SCHEDULE_KEYS = {"cron", "select", "exclude", "timezone", "jobs"}
_JOB_KEYS = {"cron", "select", "exclude"}
_AIRFLOW_KEYS = {
    "dag_id", "description", "tags", "start_date", "catchup", "max_active_runs", "max_active_tasks", "tests",
    "seeds", "project_dir", "profiles_dir", "elt_executable", "output", "default_args",
}
TEST_MODES = ("gate", "after", "none")
#: default_args keys we accept, and how their value is checked. Airflow silently ignores a default_args
#: key no operator takes, so a typo would go unnoticed: we refuse unknown keys instead.
_DEFAULT_ARGS: dict[str, str] = {
    "owner": "str", "email": "emails", "email_on_failure": "bool", "email_on_retry": "bool",
    "retries": "int", "retry_delay": "duration", "retry_exponential_backoff": "bool",
    "max_retry_delay": "duration", "execution_timeout": "duration", "depends_on_past": "bool",
    "queue": "str", "pool": "str", "priority_weight": "int",
}
#: keys whose value becomes a `datetime.timedelta` in the DAG file.
DURATION_KEYS = frozenset(k for k, kind in _DEFAULT_ARGS.items() if kind == "duration")
#: default_args of a DAG whose project sets none: who owns it, and two retries 5 minutes apart (a busy
#: cluster, a lock held too long) before a task fails (Airflow's own defaults: owner "airflow", no retry).
DEFAULT_ARGS: dict[str, Any] = {"owner": "elt", "retries": 2, "retry_delay": 300.0}
DEFAULT_JOB = "default"


@dataclass(frozen=True)
class Job:
    """A selection built on its own schedule: `cron` or, for `elt schedule --every`, `every` seconds."""

    name: str
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    cron: Cron | None = None
    every: float | None = None

    def describe(self) -> str:
        when = f"every {self.every:g}s" if self.every else f"cron {self.cron.expression!r}" if self.cron else "?"
        what = " ".join(self.select) or "the whole project"
        return f"{self.name}: {what}{' minus ' + ' '.join(self.exclude) if self.exclude else ''}, {when}"


@dataclass(frozen=True)
class ScheduleConfig:
    """`[tool.elt.schedule]`: the project's cron job (if `cron` is set) and the named jobs."""

    jobs: tuple[Job, ...] = ()
    timezone: str = "UTC"

    @property
    def zone(self) -> dt.tzinfo:
        return load_zone(self.timezone)

    @property
    def project_cron(self) -> Cron | None:
        """The top-level `cron` (the Airflow DAG's schedule), if any."""
        return next((j.cron for j in self.jobs if j.name == DEFAULT_JOB), None)


@dataclass(frozen=True)
class AirflowConfig:
    """`[tool.elt.airflow]`: how the generated DAG looks and where its tasks find elt and the project."""

    dag_id: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    start_date: dt.date = dt.date(2024, 1, 1)
    catchup: bool = False
    max_active_runs: int = 1
    max_active_tasks: int | None = None
    tests: str = "gate"
    seeds: bool = True
    project_dir: str | None = None
    profiles_dir: str | None = None
    elt_executable: str = "elt"
    output: str | None = None
    #: checked values, over DEFAULT_ARGS; durations are seconds (floats).
    default_args: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_ARGS))


def read_elt_table(root: Path) -> dict[str, Any]:
    """The `[tool.elt]` table of `root/pyproject.toml` (already validated by `load_project_config`); empty
    for a dbt project without one (its schedule and Airflow settings are then the defaults)."""
    path = root / "pyproject.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("elt", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"cannot read pyproject.toml: {exc}", path=path) from None


def load_schedule_config(root: Path) -> ScheduleConfig:
    """Read `[tool.elt.schedule]` (an empty config if absent).

    Raises:
        ProjectError: unknown keys, a bad cron expression or time zone, a job without `cron`.
    """
    path = root / "pyproject.toml"
    table = _table(read_elt_table(root), "schedule", path)
    _check_keys(table, _SCHEDULE_KEYS, "[tool.elt.schedule]", path)
    timezone = table.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise ProjectError("[tool.elt.schedule] `timezone` must be a string", path=path)
    _located(lambda: load_zone(timezone), path)
    jobs = []
    if "cron" in table:
        jobs.append(_job(DEFAULT_JOB, table, "[tool.elt.schedule]", path))
    elif "select" in table or "exclude" in table:
        raise ProjectError("[tool.elt.schedule] has `select` but no `cron`", path=path,
                           hint='add cron = "0 2 * * *" (or move the selection into a [tool.elt.schedule.jobs.<name>])')
    for name, job in _table(table, "jobs", path, "[tool.elt.schedule.jobs]").items():
        where = f"[tool.elt.schedule.jobs.{name}]"
        if not isinstance(job, dict):
            raise ProjectError(f"{where} must be a table", path=path)
        if name == DEFAULT_JOB:
            raise ProjectError(f"{where}: the name {DEFAULT_JOB!r} is the top-level cron's", path=path)
        _check_keys(job, _JOB_KEYS, where, path)
        if "cron" not in job:
            raise ProjectError(f"{where} needs a `cron`", path=path, hint='e.g. cron = "0 * * * *"')
        jobs.append(_job(name, job, where, path))
    return ScheduleConfig(jobs=tuple(jobs), timezone=timezone)


def load_airflow_config(root: Path) -> AirflowConfig:
    """Read `[tool.elt.airflow]` (defaults if absent).

    Raises:
        ProjectError: unknown keys or values of the wrong type.
    """
    path = root / "pyproject.toml"
    table = _table(read_elt_table(root), "airflow", path)
    _check_keys(table, _AIRFLOW_KEYS, "[tool.elt.airflow]", path)
    where = "[tool.elt.airflow]"
    values: dict[str, Any] = {}
    for key in ("dag_id", "description", "project_dir", "profiles_dir", "elt_executable", "output"):
        if key in table:
            values[key] = _typed(table[key], "str", f"{where} `{key}`", path)
    if "dag_id" in values and not re.fullmatch(r"[\w.-]+", values["dag_id"]):
        raise ProjectError(f"{where} `dag_id` {values['dag_id']!r} may only hold letters, digits, _ . -", path=path)
    for key in ("catchup", "seeds"):
        if key in table:
            values[key] = _typed(table[key], "bool", f"{where} `{key}`", path)
    for key in ("max_active_runs", "max_active_tasks"):
        if key in table:
            values[key] = _typed(table[key], "int", f"{where} `{key}`", path)
    if "tags" in table:
        values["tags"] = tuple(_typed(table["tags"], "strs", f"{where} `tags`", path))
    if "tests" in table:
        if table["tests"] not in TEST_MODES:
            raise ProjectError(f"{where} `tests` must be one of {', '.join(TEST_MODES)}", path=path,
                               hint="gate: dependants wait for a model's tests; after: tests run beside them; "
                                    "none: no test tasks")
        values["tests"] = table["tests"]
    if "start_date" in table:
        values["start_date"] = _date(table["start_date"], path)
    args = _table(table, "default_args", path, f"{where}.default_args")
    _check_keys(args, set(_DEFAULT_ARGS), f"{where}.default_args", path)
    values["default_args"] = {**DEFAULT_ARGS, **{
        key: _typed(value, _DEFAULT_ARGS[key], f"{where}.default_args `{key}`", path) for key, value in args.items()}}
    return AirflowConfig(**values)


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as `90`, `30s`, `5m`, `1h30m`, `2d`.

    Raises:
        ValueError: anything else.

    >>> parse_duration("1h30m"), parse_duration(45), parse_duration("2.5s")
    (5400.0, 45.0, 2.5)
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(value)
        return float(value)
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(value)
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(sum(float(n) * scale[u] for n, u in parts))


def _job(name: str, table: dict[str, Any], where: str, path: Path) -> Job:
    cron_text = table["cron"]
    if not isinstance(cron_text, str):
        raise ProjectError(f"{where} `cron` must be a string", path=path, hint='e.g. cron = "0 2 * * *"')
    return Job(name=name, cron=_located(lambda: parse_cron(cron_text), path),
               select=_selectors(table.get("select"), f"{where} `select`", path),
               exclude=_selectors(table.get("exclude"), f"{where} `exclude`", path))


def _selectors(value: Any, what: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(_typed(value, "strs", what, path))


def _table(parent: dict[str, Any], key: str, path: Path, where: str | None = None) -> dict[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, dict):
        raise ProjectError(f"{where or f'[tool.elt.{key}]'} must be a table", path=path)
    return value


def _check_keys(table: dict[str, Any], known: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ProjectError(f"unknown key(s) in {where}: {', '.join(unknown)}", path=path,
                           hint=f"valid keys: {', '.join(sorted(known))}")


def _typed(value: Any, kind: str, what: str, path: Path) -> Any:
    ok = {
        "str": isinstance(value, str) and bool(value),
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "strs": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "emails": isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)),
    }
    if kind == "duration":
        try:
            return parse_duration(value)
        except ValueError:
            raise ProjectError(f"{what} must be a duration", path=path,
                               hint='seconds (300) or a string such as "30s", "5m", "1h"') from None
    if not ok[kind]:
        words = {"str": "a non-empty string", "bool": "true or false", "int": "a non-negative integer",
                 "strs": "a list of strings", "emails": "a string or a list of strings"}
        raise ProjectError(f"{what} must be {words[kind]}", path=path)
    return value


def _date(value: Any, path: Path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ProjectError("[tool.elt.airflow] `start_date` must be a date", path=path,
                           hint="start_date = 2024-01-01 (a TOML date) or \"2024-01-01\"") from None


def _located(make: Any, path: Path) -> Any:
    """Call `make()`, adding pyproject.toml's path to a ProjectError it raises."""
    try:
        return make()
    except ProjectError as exc:
        exc.path = exc.path or str(path)
        raise
