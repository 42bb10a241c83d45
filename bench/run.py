"""Benchmark elt against dbt-core + dbt-duckdb on generated projects of N models (bench/generate.py).

For each N, both tools run the same steps on the same files, one step at a time, elt then dbt (so a
change in the machine's load hits both alike): `--help`, `seed`, `compile` cold (no cache, no partial
parse), `compile` again with no change, `compile` after one model changed, `run --threads 1`,
`run --threads 4`, `test`. Each step runs `--repeat` times (once when its first run took longer than
`--budget` seconds); the table shows the median wall time, CPU time (user + sys) and peak RSS of the
command's process (its own `ru_maxrss`, from `os.wait4`), and the elt/dbt ratio of wall times.

Every command runs with PYTHONPYCACHEPREFIX set to a folder under --out (bytecode cached as on a
normal install, without writing into the repository or the venvs) after an untimed warm-up.

Folders a step must start without (a cold compile's target/) are moved aside into <out>/trash, which
is deleted only when the benchmark ends: on a journal-less ext4 (as on the VM the figures come
from), creating a file in the minutes after thousands were deleted costs about half a millisecond of
kernel time each (ext4's `recently_deleted` scan), a cost of the deletion rather than of the tool.
(An interrupted benchmark leaves its trash, which the next one deletes when it ends.)

Usage:
    .venv/bin/python bench/run.py --sizes 100,1000 --dbt /tmp/venv-dbt/bin/dbt
Not part of the test suite. Results are also written as JSON under --out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import GROUP_SIZE, generate, layer_sizes, seed_count

REPO = Path(__file__).resolve().parents[1]


class Trash:
    """Folders set aside by renaming (instant), deleted together at the end (see the docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def discard(self, path: Path) -> None:
        if path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            path.rename(self.root / f"{path.name}-{time.time_ns()}")

    def empty(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
STEPS = ["--help", "seed", "compile (cold)", "compile (no change)", "compile (1 model changed)",
         "run --threads 1", "run --threads 4", "test"]


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mb: float
    code: int


@dataclass
class StepResult:
    runs: list[Measure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(m.code == 0 for m in self.runs)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(m, attr) for m in self.runs)


class Tool:
    """How to run one tool's steps on a generated project."""

    name = ""

    def __init__(self, exe: str, project: Path, env: dict[str, str], logs: Path, trash: Trash) -> None:
        self.exe, self.project, self.env, self.logs, self.trash = exe, project, env, logs, trash
        self.done: set[str] = set()  # steps that ran successfully

    def command(self, step: str) -> list[str]:
        raise NotImplementedError

    def before(self, step: str, rep: int) -> None:
        """Set the state a repetition of `step` starts from (untimed)."""

    def prepare(self, step: str) -> None:
        """Seeds for `run`, models for `test`, when the steps that make them were not asked for."""
        if step.startswith(("run", "test")) and "seed" not in self.done:
            self.untimed("seed")
            self.done.add("seed")
        if step == "test" and not any(s.startswith("run") for s in self.done):
            self.untimed("run")
            self.done.add("run")

    def after(self, step: str) -> None:
        """Undo what the step's repetitions changed (untimed)."""

    def measure(self, step: str, rep: int) -> Measure:
        self.before(step, rep)
        log = self.logs / f"{self.name}-{_slug(step)}-{rep}.log"
        with open(log, "wb") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(self.command(step), cwd=self.project, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)

    def untimed(self, *args: str) -> None:
        subprocess.run([self.exe, *args], cwd=self.project, env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


def changed_model(project: Path, n: int) -> Path:
    """The model edited by 'compile (1 model changed)': a mid-DAG intermediate model."""
    index = layer_sizes(n)[1] // 2
    return project / "models" / "intermediate" / f"g{index // GROUP_SIZE:02d}" / f"int_{index}.sql"


class _Edits:
    """Appends a distinct comment to one model before each repetition; restores it afterwards."""

    def __init__(self, path: Path) -> None:
        self.path, self.original = path, path.read_text()

    def edit(self, tool: str, rep: int) -> None:
        self.path.write_text(f"{self.original}-- bench edit {tool} {rep} {time.time_ns()}\n")

    def restore(self) -> None:
        self.path.write_text(self.original)


class Elt(Tool):
    name = "elt"

    def __init__(self, *args, edits: _Edits) -> None:
        super().__init__(*args)
        self.edits = edits

    def command(self, step: str) -> list[str]:
        return {
            "--help": [self.exe, "--help"],
            "seed": [self.exe, "seed"],
            "compile (cold)": [self.exe, "compile"],
            "compile (no change)": [self.exe, "compile"],
            "compile (1 model changed)": [self.exe, "compile"],
            "run --threads 1": [self.exe, "run", "--threads", "1"],
            "run --threads 4": [self.exe, "run", "--threads", "4"],
            "test": [self.exe, "test"],
        }[step]

    def before(self, step: str, rep: int) -> None:
        if step == "compile (cold)":
            self.trash.discard(self.project / "target")
        elif step == "compile (no change)" and rep == 0:
            self.untimed("compile")
        elif step == "compile (1 model changed)":
            self.edits.edit(self.name, rep)

    def after(self, step: str) -> None:
        if step == "compile (1 model changed)":
            self.edits.restore()
            self.untimed("compile")


class Dbt(Tool):
    name = "dbt"

    def __init__(self, *args, edits: _Edits) -> None:
        super().__init__(*args)
        self.edits = edits
        self.env = {**self.env, "DBT_PROFILES_DIR": str(self.project), "DBT_TARGET_PATH": "dbt_target",
                    "DBT_LOG_PATH": "dbt_logs", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                    "DO_NOT_TRACK": "1"}

    def command(self, step: str) -> list[str]:
        return {
            "--help": [self.exe, "--help"],
            "seed": [self.exe, "seed"],
            "compile (cold)": [self.exe, "compile"],
            "compile (no change)": [self.exe, "compile"],
            "compile (1 model changed)": [self.exe, "compile"],
            "run --threads 1": [self.exe, "run", "--threads", "1"],
            "run --threads 4": [self.exe, "run", "--threads", "4"],
            "test": [self.exe, "test"],
        }[step]

    def before(self, step: str, rep: int) -> None:
        if step == "compile (cold)":
            self.trash.discard(self.project / "dbt_target")  # partial_parse.msgpack too
        elif step == "compile (no change)" and rep == 0:
            self.untimed("parse")
        elif step == "compile (1 model changed)":
            self.edits.edit(self.name, rep)

    def after(self, step: str) -> None:
        if step == "compile (1 model changed)":
            self.edits.restore()
            self.untimed("parse")


def run_size(n: int, args: argparse.Namespace, env: dict[str, str], trash: Trash) -> dict[str, dict[str, StepResult]]:
    trash.discard(args.out / f"n{n}")
    project = generate(args.out / f"n{n}", n, rows=args.rows, seed=args.seed)
    logs = args.out / "logs" / f"n{n}"
    logs.mkdir(parents=True, exist_ok=True)
    edits = _Edits(changed_model(project, n))
    tools: list[Tool] = [Elt(args.elt, project, env, logs, trash, edits=edits)]
    if args.dbt:
        tools.append(Dbt(args.dbt, project, env, logs, trash, edits=edits))
    for tool in tools:  # untimed warm-up: bytecode into PYTHONPYCACHEPREFIX
        tool.untimed("--help")
    results: dict[str, dict[str, StepResult]] = {}
    for step in args.steps:
        for tool in tools:
            result = results.setdefault(step, {}).setdefault(tool.name, StepResult())
            tool.prepare(step)
            for rep in range(args.repeat):
                measure = tool.measure(step, rep)
                result.runs.append(measure)
                print(f"  N={n:<5} {tool.name:<4} {step:<26} run {rep + 1}: {measure.wall:7.2f} s wall "
                      f"{measure.cpu:7.2f} s cpu {measure.rss_mb:6.0f} MB"
                      + ("" if measure.code == 0 else f"  EXIT {measure.code} (see {logs})"), flush=True)
                if measure.wall > args.budget:
                    break
            tool.after(step)
            if result.ok:
                tool.done.add(step)
    return results


def table(n: int, results: dict[str, dict[str, StepResult]], with_dbt: bool, repeat: int) -> str:
    head = "| step | elt wall s | elt CPU s | elt RSS MB |"
    rule = "| --- | ---: | ---: | ---: |"
    if with_dbt:
        head += " dbt wall s | dbt CPU s | dbt RSS MB | elt/dbt wall | dbt/elt |"
        rule += " ---: | ---: | ---: | ---: | ---: |"
    lines = [f"N = {n} models ({seed_count(n)} seeds)", "", head, rule]
    for step, by_tool in results.items():
        row = [step]
        for tool in ("elt", "dbt") if with_dbt else ("elt",):
            res = by_tool.get(tool)
            if res is None or not res.runs:
                row += ["-", "-", "-"]
            elif not res.ok:
                row += ["FAILED", "-", "-"]
            else:
                runs = f" ({len(res.runs)}x)" if len(res.runs) < repeat else ""
                row += [f"{res.median('wall'):.2f}{runs}", f"{res.median('cpu'):.2f}",
                        f"{res.median('rss_mb'):.0f}"]
        if with_dbt:
            elt, dbt = by_tool.get("elt"), by_tool.get("dbt")
            if elt and dbt and elt.ok and dbt.ok:
                ratio = elt.median("wall") / dbt.median("wall")
                row += [f"{ratio:.3f}", f"{1 / ratio:.1f}x"]
            else:
                row += ["-", "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    info = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "platform": platform.platform(), "cpus": str(os.cpu_count())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
        info["memory"] = f"{int(mem) / 1024 / 1024:.0f} GiB"
        info["load average (start)"] = Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        pass
    return info


def versions(args: argparse.Namespace) -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    python = str(Path(args.elt).with_name("python"))
    found = {
        "elt": args.elt_label or out(["git", "-C", str(REPO), "describe", "--always", "--dirty"]),
        "elt deps": out([python, "-c", "import sqlglot, duckdb, jinja2; "
                         "print(f'sqlglot {sqlglot.__version__}, duckdb {duckdb.__version__}, "
                         "jinja2 {jinja2.__version__}')"]),
    }
    if args.dbt:
        dbt_python = str(Path(args.dbt).with_name("python"))
        found["dbt"] = out([dbt_python, "-c", "from importlib.metadata import version as v; "
                            "print(f\"dbt-core {v('dbt-core')}, dbt-duckdb {v('dbt-duckdb')}, "
                            "duckdb {v('duckdb')}\")"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark elt (and dbt, when given) on generated projects.")
    parser.add_argument("--sizes", default="100,1000,5000", help="model counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median reported)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="a step whose first run takes longer than this (s) is not repeated")
    parser.add_argument("--rows", type=int, default=500, help="rows per seed")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--out", type=Path, default=Path("/tmp/elt-bench"), help="work folder (replaced per N)")
    parser.add_argument("--elt", default=str(Path(sys.executable).with_name("elt")), help="the elt executable")
    parser.add_argument("--elt-label", default=None,
                        help="what --elt is, for the report (default: this repository's git describe)")
    parser.add_argument("--dbt", default=None, help="the dbt executable (e.g. /tmp/venv-dbt/bin/dbt)")
    parser.add_argument("--steps", default=",".join(STEPS), help="steps to run, comma-separated")
    args = parser.parse_args()
    args.steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(args.steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; steps: {', '.join(STEPS)}")
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPYCACHEPREFIX"] = str(args.out / "pycache")
    env.pop("ELT_NO_CACHE", None)

    info = {**machine(), **versions(args)}
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    all_results = {}
    tables = []
    trash = Trash(args.out / "trash")
    for n in (int(s) for s in args.sizes.split(",")):
        results = run_size(n, args, env, trash)
        all_results[n] = {step: {tool: [asdict(m) for m in r.runs] for tool, r in by.items()}
                          for step, by in results.items()}
        tables.append(table(n, results, bool(args.dbt), args.repeat))
        print("\n" + tables[-1] + "\n", flush=True)
    info["load average (end)"] = str(Path("/proc/loadavg").read_text().split(" ", 3)[:3])
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.out / f"results-{stamp}.json").write_text(json.dumps({"machine": info, "results": all_results},
                                                               indent=2) + "\n")
    (args.out / f"results-{stamp}.md").write_text(
        "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n" + "\n\n".join(tables) + "\n")
    print("\n".join(tables))
    print(f"\nwrote {args.out}/results-{stamp}.json and .md")
    trash.empty()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


if __name__ == "__main__":
    main()
