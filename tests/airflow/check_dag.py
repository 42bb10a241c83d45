"""Load DAG files with a real Airflow's DagBag and print what Airflow sees, as JSON.

Run by the tests in Airflow's own venv (ELT_AIRFLOW_PYTHON), never imported by pytest:

    $ELT_AIRFLOW_PYTHON tests/airflow/check_dag.py DAG_FILE_OR_FOLDER OUTPUT_JSON

Writes to OUTPUT_JSON (Airflow logs to stdout) {"airflow_version", "import_errors": {file: error},
"dags": {dag_id: {...}}}, where each DAG has `tasks` (task id -> group, upstream ids, bash command),
`schedule`, `timezone`, `default_args`.
"""

from __future__ import annotations

import json
import sys
import warnings


def main(path: str, output: str) -> None:
    warnings.simplefilter("ignore")
    import airflow

    try:  # Airflow >= 3.2
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    # Examples are off through AIRFLOW__CORE__LOAD_EXAMPLES (3.2 dropped DagBag's include_examples).
    bag = DagBag(dag_folder=path)
    dags = {}
    for dag_id, dag in bag.dags.items():
        tasks = {}
        for task in dag.tasks:
            group = task.task_group.group_id if task.task_group is not None else None
            tasks[task.task_id] = {"group": group, "upstream": sorted(task.upstream_task_ids),
                                   "bash_command": getattr(task, "bash_command", None),
                                   "retries": task.retries, "owner": task.owner}
        args = {k: (v.total_seconds() if hasattr(v, "total_seconds") else v) for k, v in dag.default_args.items()}
        timetable = getattr(dag, "timetable", None)
        # `summary` up to Airflow 3.1; the SDK's timetables of 3.2+ keep the cron as `expression`.
        schedule = getattr(timetable, "summary", None) or getattr(timetable, "expression", None)
        dags[dag_id] = {
            "tasks": tasks,
            "schedule": schedule,
            "timezone": str(dag.timezone),
            "default_args": args,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "tags": sorted(dag.tags),
        }
    with open(output, "w", encoding="utf-8") as handle:
        json.dump({"airflow_version": airflow.__version__,
                   "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
                   "dags": dags}, handle, default=str)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
