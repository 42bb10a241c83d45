"""A local package on the real server: `elt deps`, then a Hive project's models use the package's
dispatched macro (its `spark__` variant: a Hive project searches hive__, spark__, default__), its model
and its generic test, built with `elt build --target hive`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.hive


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_package_macro_model_and_test_on_hive(tmp_path: Path, hive_server: Any, adapter: Any, schema: str) -> None:
    _write(tmp_path / "hv", {
        "dbt_project.yml": f"name: hv\nmodels:\n  hv:\n    +materialized: table\n    +schema: {schema}\n",
        "macros/pick.sql": """\
            {% macro pick(col) %}{{ adapter.dispatch('pick', 'hv')(col) }}{% endmacro %}
            {% macro spark__pick(col) %}concat('spark ', {{ col }}){% endmacro %}
            {% macro duckdb__pick(col) %}concat('duck ', {{ col }}){% endmacro %}
            {% macro default__pick(col) %}concat('default ', {{ col }}){% endmacro %}
            """,
        "macros/tests.sql": """\
            {% test starts_with_spark(model, column_name) %}
            select * from {{ model }} where {{ column_name }} not like 'spark %'
            {% endtest %}
            """,
        "models/hv_names.sql": "select 'a' as name union all select 'b' as name\n",
    })
    project = tmp_path / "proj"
    _write(project, {
        "pyproject.toml": f"""\
            [tool.elt]
            name = "hive_packages"
            profile = "p"
            [tool.elt.models]
            schema = "{schema}"
            materialized = "table"
            """,
        "profiles.yml": f"""\
            p:
              target: hive
              outputs:
                hive:
                  type: hive
                  host: {hive_server.host}
                  port: {hive_server.port}
                  username: elt_test
                  auth: NONE
                  schema: {schema}
                  threads: 2
            """,
        "packages.yml": "packages:\n  - local: ../hv\n",
        "models/picked.sql": "select {{ hv.pick('name') }} as picked from {{ ref('hv', 'hv_names') }}\n",
        "models/schema.yml": """\
            models:
              - name: picked
                columns:
                  - name: picked
                    data_tests: [hv.starts_with_spark]
            """,
    })
    env = {**os.environ, "NO_COLOR": "1"}
    for args in (("deps",), ("build",)):
        result = subprocess.run([sys.executable, "-m", "elt", *args], cwd=project, env=env, capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, f"elt {args}:\n{result.stdout}\n{result.stderr}"
    assert "PASS test starts_with_spark_picked_picked" in result.stdout
    rows = adapter.fetchall(f"SELECT picked FROM {schema}.picked ORDER BY picked")
    assert [tuple(r) for r in rows] == [("spark a",), ("spark b",)]
