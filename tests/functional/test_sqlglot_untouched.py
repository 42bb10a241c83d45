"""elt leaves sqlglot as it found it in the process it is imported in: users' own code there (pytest
with `elt.testing`, an Airflow worker) parses with sqlglot's own functions. Only the compile worker
processes elt forks take the type-name shortcut of `hive_reader.cache_type_names_in_this_process`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from elt.compile.fast import processes as compile_processes

#: Run in a fresh interpreter: sqlglot's own `parse_one` is taken before elt is imported.
COMPILE_AND_CHECK = textwrap.dedent("""
    import sys
    import sqlglot
    own = sqlglot.parse_one
    import elt.testing
    from click.testing import CliRunner
    from elt.cli import cli
    result = CliRunner().invoke(cli, ["compile", "--project-dir", sys.argv[1]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Compiled 120 model(s)" in result.output, result.output
    print("own" if sqlglot.parse_one is own else f"replaced by {sqlglot.parse_one!r}")
""")


def test_compiling_a_project_leaves_sqlglot_parse_one_alone(project) -> None:
    # Enough models for the compile to parse them in worker processes, each with a CAST (a type read).
    models = {f"models/staging/m{i:03}.sql": f"select cast({i} as int) as a, cast('x' as varchar(3)) as b"
              for i in range(120)}
    assert len(models) >= compile_processes.MIN_TASKS
    proj = project(models)
    done = subprocess.run([sys.executable, "-c", COMPILE_AND_CHECK, str(proj.root)], capture_output=True, text=True,
                          env={**os.environ, compile_processes.PROCESSES_ENV: "2"}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "own"
    # The worker kept the length (Hive truncates to it): translated for DuckDB as LEFT(x, 3).
    assert "LEFT('x', 3) AS b" in (proj.root / "target/translated/models/staging/m007.sql").read_text()


def test_the_type_name_shortcut_answers_as_sqlglot_does() -> None:
    # In a process of its own, as in a compile worker: the shortcut replaces sqlglot.parse_one there.
    code = textwrap.dedent("""
        import sqlglot
        from sqlglot import exp
        own = sqlglot.parse_one
        from elt.dialects.hive_reader import HIVE, cache_type_names_in_this_process
        sql = "SELECT CAST(a AS INT), CAST(b AS CHAR), CAST(c AS VARCHAR(2)), CAST(d AS ARRAY<VARCHAR>) FROM t"
        expected = HIVE.parse(sql)[0].sql(dialect=HIVE)
        cache_type_names_in_this_process()
        assert sqlglot.parse_one is not own
        assert HIVE.parse(sql)[0].sql(dialect=HIVE) == expected
        first = exp.DataType.build("varchar")
        first.set("this", exp.DType.INT)  # a caller changing its answer does not change the next one
        assert exp.DataType.build("varchar").this == exp.DType.VARCHAR
        assert sqlglot.parse_one("char", into=exp.DataType) is not sqlglot.parse_one("char", into=exp.DataType)
        assert sqlglot.parse_one("char", into=exp.DataType) == own("char", into=exp.DataType)
        assert sqlglot.parse_one("SELECT 1", read="duckdb") == own("SELECT 1", read="duckdb")
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

