"""A dbt-format project with a dbt-spark profile (`type: spark, method: thrift`) builds on the Hive server
with dbt's relation names (`<target schema>_<custom>`) and materializations; its SQL is Hive's (the dialect
the profile gives), and the same folder on a DuckDB output gives the same rows."""

from __future__ import annotations

import os
from typing import Any

import pytest

from elt.adapters.hive import HiveAdapter

pytestmark = pytest.mark.hive

DBT_PROJECT = """\
name: shop
config-version: 2
profile: shop
models:
  shop:
    +materialized: view
    staging:
      +schema: stg
    marts:
      +materialized: table
seeds:
  shop:
    +schema: raw
"""

PROFILES = """\
shop:
  target: spark
  outputs:
    spark:
      type: spark
      method: thrift
      host: {host}
      port: {port}
      user: elt_test
      schema: {schema}
      connect_retries: 1
      threads: 2
    hive:
      type: hive
      host: {host}
      port: {port}
      user: elt_test
      auth_type: none
      use_http_transport: false
      schema: {schema}
      threads: 2
    local:
      type: duckdb
      path: target/test.duckdb
      schema: {schema}
"""

FILES = {
    "dbt_project.yml": DBT_PROJECT,
    "seeds/raw_payments.csv": "id,amount,paid_on\n1,10,2024-01-31\n2,20,2024-02-29\n3,,2024-03-01\n",
    "models/staging/stg_payments.sql":
        "select id, nvl(amount, 0) as amount, date_format(date_add(to_date(paid_on), 1), 'yyyy-MM-dd') as due\n"
        "from {{ ref('raw_payments') }}\n",
    "models/marts/payments_due.sql": "select due, sum(amount) as total from {{ ref('stg_payments') }} group by due\n",
}


@pytest.mark.parametrize("output", ["spark", "hive"])  # dbt-spark's and dbt-hive's profile keys
def test_dbt_spark_project_builds_on_hive_with_dbts_names(project: Any, hive_server: Any, make_target: Any,
                                                          output: str) -> None:
    schema = f"a16_{os.urandom(3).hex()}"
    proj = project(FILES, pyproject=None,
                   profiles=PROFILES.format(host=hive_server.host, port=hive_server.port, schema=schema))
    try:
        result = proj.elt("build", "--target", output)
        assert result.exit_code == 0, result.output
        with HiveAdapter(make_target()) as hive:
            assert hive.relation_kind(_rel(f"{schema}_raw", "raw_payments")) == "table"
            assert hive.relation_kind(_rel(f"{schema}_stg", "stg_payments")) == "view"
            assert hive.relation_kind(_rel(schema, "payments_due")) == "table"
            on_hive = sorted(hive.fetchall(f"select due, total from {schema}.payments_due"))
        assert on_hive == [("2024-02-01", 10), ("2024-03-01", 20), ("2024-03-02", 0)]
        local = proj.elt("build", "--target", "local")
        assert local.exit_code == 0, local.output
        assert sorted(proj.query(f"select due, total from {schema}.payments_due")) == on_hive
    finally:
        with HiveAdapter(make_target()) as hive:
            for suffix in ("", "_raw", "_stg"):
                hive.execute(f"DROP DATABASE IF EXISTS {schema}{suffix} CASCADE")


def _rel(schema: str, name: str) -> Any:
    from elt.nodes import Relation

    return Relation(schema, name)
