"""Run a DAG for several logical dates, one after the other, in one process: `airflow dags test` for each.

Run by the tests in Airflow's own venv (ELT_AIRFLOW_PYTHON), never imported by pytest:

    $ELT_AIRFLOW_PYTHON tests/airflow/run_dag.py DAG_ID SNAPSHOT DATE [DATE...]

One process for all the dates because Airflow's start (its in-process API server that `dags test` runs
tasks through) takes most of a `dags test`: about 30 s, then a few seconds per further date. After the
run of the n-th date (from 1), the file SNAPSHOT (a DuckDB database) is copied to SNAPSHOT.<n>, so the
test sees what each run left. Exits non-zero when a run fails, as `airflow dags test` does.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def main(dag_id: str, snapshot: str, dates: list[str]) -> None:
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    for number, date in enumerate(dates, start=1):
        args = parser.parse_args(["dags", "test", dag_id, date])
        args.func(args)  # raises SystemExit("DagRun failed") when a task failed
        for suffix in ("", ".wal"):
            source = Path(snapshot + suffix)
            if source.exists():
                shutil.copyfile(source, f"{snapshot}.{number}{suffix}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
