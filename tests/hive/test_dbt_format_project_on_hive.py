"""The shop project of tests/dbt_format (dbt's format, a dbt-spark output) builds on the Hive server as on
DuckDB: the same relations under the run's own schemas, the hooks' audit rows, and the marts' rows equal to
those the DuckDB output gives from the same folder."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from elt.adapters.hive import HiveAdapter
from elt.cli import cli
from elt.nodes import Relation

pytestmark = pytest.mark.hive

FIXTURE = Path(__file__).resolve().parents[1] / "dbt_format"

PROFILES = """\
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: target/shop.duckdb
      schema: {schema}
      threads: 2
    hive:
      type: spark
      method: thrift
      host: "{{{{ env_var('ELT_HIVE_HOST') }}}}"
      port: "{{{{ env_var('ELT_HIVE_PORT') }}}}"
      user: elt_test
      schema: {schema}
      connect_retries: 1
      threads: 2
"""

MARTS = {
    "customer_orders": "select * from {schema}_marts.customer_orders order by customer_id",
    "orders": "select order_id, customer_id, ordered_at, ordered_weekday, cast(return_deadline as date), "
              "is_returned from {schema}_marts.orders order by order_id",
}


def _run(root: Path, env: dict[str, str], *args: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--project-dir", str(root)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr


def _plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with Hive's decimals as floats (DuckDB gives a double for decimal / int), dates as text."""
    return [tuple(float(v) if isinstance(v, Decimal) else str(v) if v is not None and "date" in type(v).__name__
                  else v for v in row) for row in rows]


def test_the_dbt_format_project_builds_on_hive_as_on_duckdb(tmp_path: Path, hive_server: Any,
                                                            make_target: Any) -> None:
    schema = f"g16_{os.urandom(3).hex()}"
    for name in ("shop", "shop_utils"):
        shutil.copytree(FIXTURE / name, tmp_path / name)
    root = tmp_path / "shop"
    (root / "profiles.yml").write_text(PROFILES.format(schema=schema), encoding="utf-8")
    env = {"ELT_HIVE_HOST": hive_server.host, "ELT_HIVE_PORT": str(hive_server.port)}
    try:
        _run(root, env, "deps")
        for target in ("hive", "dev"):
            _run(root, env, "seed", "--target", target)
            _run(root, env, "build", "--target", target)
        with HiveAdapter(make_target()) as hive:
            kinds = {name: hive.relation_kind(Relation(f"{schema}{suffix}", name)) for suffix, name in (
                ("", "audit_log"), ("_raw", "raw_orders"), ("_staging", "stg_orders"),
                ("_marts", "customer_orders"), ("_marts", "orders"))}
            on_hive = {name: _plain(hive.fetchall(sql.format(schema=schema))) for name, sql in MARTS.items()}
            audit = hive.fetchall(f"select node_name, event from {schema}.audit_log")
        assert kinds == {"audit_log": "table", "raw_orders": "table", "stg_orders": "view",
                         "customer_orders": "table", "orders": "table"}
        assert sorted(audit) == sorted([("run", "end"), ("stg_payments", "pre"), ("stg_payments", "post"),
                                        ("customer_orders", "post"), ("run", "end")])
        with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
            on_duckdb = {name: _plain(con.execute(sql.format(schema=schema)).fetchall())
                         for name, sql in MARTS.items()}
        assert on_hive == on_duckdb
        assert [row[5] for row in on_hive["customer_orders"]] == [97.99, 162.5, 51.2, 0.0, 0.0]
    finally:
        with HiveAdapter(make_target()) as hive:
            for suffix in ("", "_raw", "_staging", "_marts"):
                hive.execute(f"DROP DATABASE IF EXISTS {schema}{suffix} CASCADE")
