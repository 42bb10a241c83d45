"""Orchestration: an Airflow DAG generated from the manifest, and a built-in foreground scheduler.

- `cron.py`       the 5-field cron syntax: parse, next fire time
- `settings.py`   `[tool.elt.schedule]` and `[tool.elt.airflow]` from pyproject.toml -> dataclasses
- `dag_spec.py`   pure: manifest.json -> the Airflow tasks (ids, groups, commands, upstream ids)
- `dag_file.py`   pure: tasks + settings -> the text of a self-contained Airflow DAG file
- `airflow.py`    `elt airflow generate`: fresh manifest, spec, file
- `history.py`    the scheduler's run history (SQLite under target/)
- `scheduler.py`  the loop: ticks, one `elt build` subprocess at a time, graceful stop
- `cli.py`        the click commands (`elt airflow ...`, `elt schedule`)

Nothing here imports Airflow: the generated file does, when Airflow parses it.
"""
