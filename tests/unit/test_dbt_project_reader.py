"""Reading dbt_project.yml into ProjectConfig (elt.project.dbt_project): keys, defaults, vars, config trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.config import load_project_config
from elt.project.dbt_project import package_tree

PROFILES = "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n"


def read(tmp_path: Path, text: str, *, profiles: str = PROFILES, cli_vars=None, files=None):
    (tmp_path / "dbt_project.yml").write_text(text)
    (tmp_path / "profiles.yml").write_text(profiles)
    for rel, content in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    return load_project_config(tmp_path, cli_vars)


def test_paths_take_dbts_defaults(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\n")
    assert config.flavor == "dbt"
    assert config.model_paths == ("models",) and config.seed_paths == ("seeds",)
    assert config.test_paths == ("tests",) and config.analysis_paths == ("analyses",)
    assert config.target_path == "target" and config.clean_targets == ("target",)
    assert config.packages_install_path == "dbt_packages"


def test_every_path_key_is_read(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\nmodel-paths: [m]\nseed-paths: [s]\nmacro-paths: [mac]\n"
                  "test-paths: [t]\nsnapshot-paths: [snap]\nanalysis-paths: [an]\ndocs-paths: [d]\n"
                  "target-path: out\nclean-targets: [out, logs]\npackages-install-path: pk\n")
    assert (config.model_paths, config.seed_paths, config.macro_paths, config.test_paths) == \
        (("m",), ("s",), ("mac",), ("t",))
    assert (config.snapshot_paths, config.analysis_paths, config.docs_paths) == (("snap",), ("an",), ("d",))
    assert (config.target_path, config.clean_targets, config.packages_install_path) == ("out", ("out", "logs"), "pk")


def test_vars_global_project_scoped_and_package_scoped(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\nvars:\n  a: 1\n  b: 1\n  shop:\n    b: 2\n  dbt_date:\n"
                  "    tz: UTC\n  nested: {x: 1}\n", cli_vars={"a": 9},
                  files={"dbt_packages/dbt_date/dbt_project.yml": "name: dbt_date\n"})
    assert config.vars == {"a": 9, "b": 2, "nested": {"x": 1}}
    assert config.package_vars == {"dbt_date": {"tz": "UTC"}}


def test_config_trees_follow_dbts_plus_rule(tmp_path):
    config = read(tmp_path, """\
name: shop
profile: p
models:
  +tags: [all]
  shop:
    materialized: table
    staging:
      +materialized: view
      +pre-hook: "select 1"
      sub:
        schema: s
  dbt_utils:
    +schema: utils
seeds:
  shop:
    +column_types: {id: int}
tests:
  +severity: warn
""")
    assert config.models == {"tags": ["all"], "materialized": "table",
                             "staging": {"materialized": "view", "pre_hook": "select 1", "sub": {"schema": "s"}}}
    assert config.seeds == {"column_types": {"id": "int"}}
    assert config.data_tests == {"severity": "warn"}
    assert package_tree(config, "models", "dbt_utils") == {"tags": ["all"], "schema": "utils"}
    assert package_tree(config, "models", "other") == {"tags": ["all"]}
    # dbt_utils is not installed: said, since a misspelt project name would configure nothing
    assert config.notes == ("dbt_project.yml:12: `models: dbt_utils:` names neither this project (shop) nor an "
                            "installed package: it applies to nothing",)


def test_ignored_config_keys_are_left_out_and_noted(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\nmodels:\n  shop:\n    +meta: {a: 1}\n    +materialized: table\n")
    assert config.models == {"materialized": "table"}
    assert config.ignored_config == (("meta", "dbt_project.yml:5"),)


def test_an_unknown_config_key_names_its_line(tmp_path):
    with pytest.raises(ProjectError) as caught:
        read(tmp_path, "name: shop\nprofile: p\nmodels:\n  shop:\n    +materialised: table\n")
    assert caught.value.line == 5 and "materialised" in caught.value.message


def test_jinja_in_values_is_rendered_with_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("ELT_TEST_SCHEMA", "from_env")
    config = read(tmp_path, "name: shop\nprofile: p\nmodels:\n  shop:\n"
                  "    +schema: \"{{ env_var('ELT_TEST_SCHEMA') }}\"\n"
                  "    +post-hook: \"{{ log('kept as written') }}\"\n")
    assert config.models == {"schema": "from_env", "post_hook": "{{ log('kept as written') }}"}


def test_hooks_dispatch_and_query_comment(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\non-run-start: \"select 1\"\non-run-end: [a, b]\n"
                  "dispatch:\n  - macro_namespace: dbt_utils\n    search_order: [shop, dbt_utils]\n"
                  "query-comment: hello\n")
    assert config.on_run_start == ("select 1",) and config.on_run_end == ("a", "b")
    assert config.dispatch == ({"macro_namespace": "dbt_utils", "search_order": ["shop", "dbt_utils"]},)
    assert config.query_comment == "hello"


def test_require_dbt_version_is_noted(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\nconfig-version: 2\nversion: '1'\nrequire-dbt-version: '>=1.0'\n")
    assert config.notes == ("dbt_project.yml:5: `require-dbt-version` is ignored: elt does not check dbt versions",)


def test_tests_and_data_tests_together_are_an_error(tmp_path):
    with pytest.raises(ProjectError) as caught:
        read(tmp_path, "name: shop\nprofile: p\ntests:\n  +severity: warn\ndata_tests:\n  +severity: error\n")
    assert caught.value.line == 3 and "both `tests:` and `data_tests:`" in caught.value.message


def test_snapshot_files_are_read_not_noted(tmp_path):
    config = read(tmp_path, "name: shop\nprofile: p\nsnapshots:\n  shop:\n    +schema: snaps\n",
                  files={"snapshots/orders_snapshot.sql": "{% snapshot x %}"})
    assert config.notes == ()
    assert config.snapshots == {"schema": "snaps"}
