"""dbt packages: `elt deps` installing a local package, its macros (namespaced, adapter.dispatch by the
project's dialect and `dispatch:` order), its generic tests and models, built on DuckDB."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import PYPROJECT

#: A package written by the test: dispatched macros with hive__/duckdb__/default__ variants, a helper
#: called unqualified from inside the package, a generic test, a model with its own config tree.
PACKAGE = {
    "dbt_project.yml": """\
        name: shared
        version: '1.0.0'
        config-version: 2
        models:
          shared:
            +materialized: table
            +docs: {show: false}
        vars:
          shared_label: from_package
        """,
    "macros/greeting.sql": """\
        {% macro greeting(col) %}{{ adapter.dispatch('greeting', 'shared')(col) }}{% endmacro %}
        {% macro default__greeting(col) %}concat('default ', {{ col }}){% endmacro %}
        {% macro hive__greeting(col) %}concat('{{ word() }} ', {{ col }}){% endmacro %}
        {% macro duckdb__greeting(col) %}concat('duck ', {{ col }}){% endmacro %}
        """,
    "macros/helpers.sql": """\
        {% macro word() %}{{ adapter.dispatch('word_impl')() }}{% endmacro %}
        {% macro default__word_impl() %}hive{% endmacro %}
        {% macro label() %}{{ var('shared_label') }}{% endmacro %}
        {% macro _private() %}{{ set_in_no_branch }}42{% endmacro %}
        """,
    "tests/generic/differences.sql": """\
        {% test no_differences(model, column_name) %}
        {{ config(fail_calc='sum(d)') }}
        select {{ column_name }} - {{ column_name }} as d from {{ model }}
        {% endtest %}
        """,
    "tests/generic/is_positive.sql": """\
        {% test is_positive(model, column_name) %}
        select * from {{ model }} where {{ column_name }} <= 0
        {% endtest %}
        """,
    "models/pkg_numbers.sql": "select 1 as n union all select 2 as n\n",
    "models/more/pkg_disabled.sql": "select 1 as n\n",
    "seeds/pkg_codes.csv": "code\nA\nB\n",
}

PACKAGES_YML = """\
packages:
  - local: ../pkgs/shared
"""


def _write_package(root: Path, files: dict[str, str] = PACKAGE, folder: Path | None = None) -> Path:
    folder = folder or root / "pkgs" / "shared"
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def with_package(project, tmp_path):
    def make(files: dict[str, str], *, pyproject: str = PYPROJECT, package: dict[str, str] = PACKAGE):
        _write_package(tmp_path, package)
        return project({"packages.yml": PACKAGES_YML, **files}, pyproject=pyproject)

    return make


MODEL = {
    "models/marts/greetings.sql": """\
        select {{ shared.greeting("'x'") }} as g, n, '{{ shared.label() }}' as label, {{ shared._private() }} as p
        from {{ ref('shared', 'pkg_numbers') }}
        """,
    "models/marts/schema.yml": """\
        models:
          - name: greetings
            columns:
              - name: n
                data_tests: [shared.is_positive, shared.no_differences, not_null]
        """,
}


def test_deps_links_a_local_package_and_build_uses_its_macros_models_and_tests(with_package):
    proj = with_package(MODEL)
    result = proj.elt("deps")
    assert result.exit_code == 0, result.output
    assert "Installed shared (linked from local ../pkgs/shared)" in result.stdout
    installed = proj.root / "dbt_packages" / "shared"
    assert installed.is_symlink() and (installed / "dbt_project.yml").is_file()
    assert "name: shared" in (proj.root / "package-lock.yml").read_text()

    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    # Hive project (the default dialect): hive__greeting, calling the package's `word` unqualified.
    assert proj.query("select g, n, label from gold.greetings order by n") == [
        ("hive x", 1, "from_package"), ("hive x", 2, "from_package")]
    # A `_private` macro is the package's too (Jinja would not export it), and in a package's code an
    # undefined name renders empty, as dbt renders it (the project's own code stays strict).
    assert proj.query("select distinct p from gold.greetings") == [(42,)]
    # The package test's config(fail_calc=...) counts its failures: rows, but sum(d) = 0.
    assert "PASS test no_differences_greetings_n" in result.stdout
    # The package's model, a table by the package's own config tree.
    assert proj.relations()["main.pkg_numbers"] == "BASE TABLE"
    listed = proj.elt("ls", "--resource-type", "test")
    assert "is_positive_greetings_n" in listed.stdout


def test_dispatch_takes_the_prefixes_of_the_project_dialect(with_package):
    pyproject = PYPROJECT.replace('profile = "test"', 'profile = "test"\ndialect = "duckdb"')
    proj = with_package(MODEL, pyproject=pyproject)
    assert proj.elt("deps").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select distinct g from gold.greetings") == [("duck x",)]


def test_project_macro_overrides_a_package_macro_only_through_dispatch(with_package):
    override = {"macros/mine.sql": "{% macro hive__greeting(col) %}concat('mine ', {{ col }}){% endmacro %}\n"
                                   "{% macro word() %}project_word{% endmacro %}\n"}
    proj = with_package({**MODEL, **override})
    assert proj.elt("deps").exit_code == 0
    assert proj.elt("run").exit_code == 0
    # dbt's default order for a package's namespace: the root project first, then the package.
    assert proj.query("select distinct g from gold.greetings") == [("mine x",)]

    # The project's `dispatch:` search order leaves the project out: the package's own is used, and
    # its unqualified `word()` is still the package's, not the project's macro of that name.
    pyproject = PYPROJECT.replace(
        'profile = "test"', 'profile = "test"\ndispatch = [{macro_namespace = "shared", search_order = ["shared"]}]')
    proj.write({"pyproject.toml": pyproject})
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select distinct g from gold.greetings") == [("hive x",)]


def test_existing_dbt_packages_folder_is_used_without_deps(project, tmp_path):
    proj = project(MODEL)
    _write_package(proj.root, PACKAGE, proj.root / "dbt_packages" / "shared")  # as `dbt deps` leaves it
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    assert proj.query("select count(*) from gold.greetings") == [(2,)]


def test_package_macros_are_not_unqualified_in_the_project(with_package):
    proj = with_package({"models/marts/m.sql": "select {{ word() }} as w\n"})
    assert proj.elt("deps").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 2
    assert "'word' is undefined" in result.stderr


def test_missing_local_package_folder_is_one_clear_line(project):
    proj = project({"packages.yml": "packages:\n  - local: ../pkgs/shared\n  - local: ../nowhere\n"})
    _write_package(proj.root.parent)
    result = proj.elt("deps")
    assert result.exit_code == 2
    first = next(line for line in result.stderr.splitlines() if line.startswith("Error:"))
    assert "packages.yml:3: local package folder ../nowhere does not exist" in first
    assert "Traceback" not in result.output
    assert not (proj.root / "dbt_packages").exists()  # nothing half-installed


def test_bad_packages_yml_names_file_and_line(project):
    proj = project({"packages.yml": "packages:\n  - local: ../a\n  - tarball: https://x/y.tgz\n    name: y\n"})
    result = proj.elt("deps")
    assert result.exit_code == 2
    assert "packages.yml:3: a package must have exactly one of local:, git: or package: " \
           "(tarball and private packages are not supported)" in result.stderr


def test_git_package_with_unknown_revision_is_refused(project, tmp_path):
    import subprocess

    repo = _write_package(tmp_path)
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                 ["tag", "v1"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    proj = project({"packages.yml": f"packages:\n  - git: {repo}\n    revision: v9\n", **MODEL})
    result = proj.elt("deps")
    assert result.exit_code == 2
    assert "packages.yml:2: git " in result.stderr and "revision 'v9' is not a branch, tag or commit" in result.stderr

    proj.write({"packages.yml": f"packages:\n  - git: {repo}\n    revision: v1\n"})
    result = proj.elt("deps")
    assert result.exit_code == 0, result.output
    assert "cloned from git" in result.stdout
    assert not (proj.root / "dbt_packages" / "shared").is_symlink()
    assert proj.elt("run").exit_code == 0


def test_transitive_packages_are_installed_flat(with_package, tmp_path):
    proj = with_package(MODEL)
    inner = tmp_path / "pkgs" / "inner"
    (inner / "macros").mkdir(parents=True)
    (inner / "dbt_project.yml").write_text("name: inner\n")
    (inner / "macros" / "m.sql").write_text("{% macro seven() %}7{% endmacro %}\n")
    (tmp_path / "pkgs" / "shared" / "packages.yml").write_text("packages:\n  - local: ../pkgs/inner\n")
    proj.write({"models/marts/uses_inner.sql": "select {{ inner.seven() }} as s\n"})
    result = proj.elt("deps")
    assert result.exit_code == 0, result.output
    assert (proj.root / "dbt_packages" / "inner").is_symlink()
    assert proj.elt("run").exit_code == 0
    assert proj.query("select s from gold.uses_inner") == [(7,)]


def test_dispatch_to_an_unknown_namespace_names_macro_namespace_and_model(project):
    proj = project({"models/marts/m.sql": "select {{ adapter.dispatch('thing', 'nopkg')() }} as x\n"})
    result = proj.elt("run")
    assert result.exit_code == 2
    line = next(line for line in result.stderr.splitlines() if line.startswith("Error:"))
    assert "models/marts/m.sql:1: adapter.dispatch found no implementation of 'thing' in namespace 'nopkg' " \
           "('nopkg' is not an installed package) for dialect hive (prefixes hive__, spark__, default__) " \
           "while rendering 'm'" in line


def test_ref_to_an_unknown_package_is_refused(project):
    proj = project({"models/marts/a.sql": "select 1 as x\n",
                    "models/marts/b.sql": "select * from {{ ref('nopkg', 'a') }}\n"})
    result = proj.elt("run")
    assert result.exit_code == 2
    assert "ref('nopkg', 'a'): no package named 'nopkg'" in result.stderr
    proj.write({"models/marts/b.sql": "select * from {{ ref('test_project', 'a') }}\n"})
    assert proj.elt("run").exit_code == 0


def test_root_config_tree_overrides_a_package_tree_and_package_seeds_load(with_package):
    pyproject = PYPROJECT + '[tool.elt.models.shared]\nschema = "pkg"\n[tool.elt.models.shared.more]\nenabled = false\n'
    proj = with_package({}, pyproject=pyproject)
    assert proj.elt("deps").exit_code == 0
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    relations = proj.relations()
    assert relations["pkg.pkg_numbers"] == "BASE TABLE"  # the package's materialized, the project's schema
    assert "pkg.pkg_disabled" not in relations and "main.pkg_disabled" not in relations
    assert proj.query("select code from raw.pkg_codes order by code") == [("A",), ("B",)]
    import json

    nodes = json.loads((proj.root / "target" / "manifest.json").read_text())["nodes"]
    assert nodes["model.pkg_numbers"]["package_name"] == "shared"
    assert nodes["model.pkg_numbers"]["fqn"] == ["shared", "pkg_numbers"]
    assert nodes["seed.pkg_codes"]["package_name"] == "shared"


def test_dispatch_without_namespace_searches_the_callers_scope(project):
    proj = project({
        "macros/twice.sql": "{% macro twice(x) %}{{ adapter.dispatch('twice')(x) }}{% endmacro %}\n"
                            "{% macro default__twice(x) %}{{ x }} * 2{% endmacro %}\n"
                            "{% macro spark__twice(x) %}{{ x }} + {{ x }} + 0{% endmacro %}\n",
        "models/marts/m.sql": "select {{ twice(21) }} as v, '{{ adapter.dispatch(\'twice\')(1) }}' as sql\n",
    })
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    # A Hive project: spark__twice comes before default__twice.
    assert proj.query("select v, sql from gold.m") == [(42, "1 + 1 + 0")]


def test_git_subdirectory_and_git_missing(project, tmp_path):
    import subprocess

    repo = tmp_path / "repo"
    _write_package(tmp_path, PACKAGE, repo / "sub" / "shared")
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    proj = project({"packages.yml": f"packages:\n  - git: {repo}\n    subdirectory: sub/shared\n", **MODEL})
    result = proj.elt("deps", env={"PATH": str(tmp_path / "nowhere")})
    assert result.exit_code == 2
    assert "packages.yml:2: git " in result.stderr and "elt deps needs the `git` command" in result.stderr
    result = proj.elt("deps")
    assert result.exit_code == 0, result.output
    assert (proj.root / "dbt_packages" / "shared" / "dbt_project.yml").is_file()
    lock = (proj.root / "package-lock.yml").read_text()
    assert "subdirectory: sub/shared" in lock and "revision: " in lock
    assert proj.elt("run").exit_code == 0


def test_ref_names_the_package_a_model_is_in(with_package):
    proj = with_package({"models/marts/m.sql": "select * from {{ ref('test_project', 'pkg_numbers') }}\n"})
    assert proj.elt("deps").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 2
    assert "models/marts/m.sql:1: ref('test_project', 'pkg_numbers'): 'pkg_numbers' is in 'shared', " \
           "not in 'test_project'" in result.stderr


def test_hub_package_newest_version_in_range_from_a_hub(project, tmp_path):
    """A hub on this machine (DBT_PACKAGE_HUB_URL, as dbt reads it) serving the hub API's JSON and tarballs."""
    import functools
    import http.server
    import json
    import tarfile
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no request log on stderr
            pass

    served = tmp_path / "hub"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    versions = {}
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        folder = _write_package(tmp_path, {**PACKAGE, "macros/version.sql":
                                           f"{{% macro version() %}}'{version}'{{% endmacro %}}\n"},
                                tmp_path / "src" / version / "shared-pkg")
        (served / "tarballs").mkdir(parents=True, exist_ok=True)
        with tarfile.open(served / "tarballs" / f"{version}.tar.gz", "w:gz") as tar:
            tar.add(folder, arcname="acme-shared-abc123")
        versions[version] = {"downloads": {"tarball": f"{base}/tarballs/{version}.tar.gz"}}
    (served / "api" / "v1" / "acme").mkdir(parents=True)
    (served / "api" / "v1" / "acme" / "shared.json").write_text(json.dumps({"name": "shared", "versions": versions}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proj = project({"packages.yml": 'packages:\n  - package: acme/shared\n    version: [">=1.0.0", "<2.0.0"]\n',
                        "models/marts/v.sql": "select {{ shared.version() }} as v\n"})
        result = proj.elt("deps", env={"DBT_PACKAGE_HUB_URL": base})
        assert result.exit_code == 0, result.output
        assert "Installed shared (downloaded from hub package acme/shared >=1.0.0, <2.0.0 at 1.1.0)" in result.stdout
        assert "version: 1.1.0" in (proj.root / "package-lock.yml").read_text()
        assert proj.elt("run").exit_code == 0
        assert proj.query("select v from gold.v") == [("1.1.0",)]

        proj.write({"packages.yml": "packages:\n  - package: acme/shared\n    version: 3.0.0\n"})
        result = proj.elt("deps", env={"DBT_PACKAGE_HUB_URL": base})
        assert result.exit_code == 2
        assert "packages.yml:2: hub package acme/shared 3.0.0: no version matches; the hub has 1.0.0, 1.1.0, 2.0.0" \
            in result.stderr
        assert proj.query("select v from gold.v") == [("1.1.0",)]
        assert (proj.root / "dbt_packages" / "shared").is_dir()  # a failed elt deps keeps what was installed
    finally:
        server.shutdown()


#: A package whose macros read the database: models and a generic test rendered again at build time.
INTROSPECTING_PACKAGE = {
    **PACKAGE,
    "macros/columns.sql": """\
        {% macro column_list(relation) %}
        {%- set names = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}{% do names.append(column.name) %}{%- endfor -%}
        {{ return(names | join(', ') if names else '*') }}
        {% endmacro %}
        """,
    "tests/generic/has_columns.sql": """\
        {% test has_columns(model, count) %}
        {%- set found = adapter.get_columns_in_relation(model) | length -%}
        select 1 as wrong where {{ found }} <> {{ count }} and {{ execute }}
        {% endtest %}
        """,
}


def test_package_macros_in_second_renders_on_several_threads(project, tmp_path):
    """The second renders (at build time) of many models calling one package's macros, on four worker
    threads, each finding the macros (its file is compiled on first use), and a package's generic test
    that reads the database is called again from its package."""
    _write_package(tmp_path, INTROSPECTING_PACKAGE)
    models = {f"models/marts/copy_{i}.sql": "select {{ shared.column_list(ref('pkg_numbers')) }} "
                                             "from {{ ref('pkg_numbers') }}\n" for i in range(12)}
    tests = "models:\n  - name: copy_0\n    data_tests:\n      - shared.has_columns: {count: 1}\n"
    proj = project({"packages.yml": PACKAGES_YML, **models, "models/marts/schema.yml": tests})
    assert proj.elt("deps").exit_code == 0
    for _ in range(2):  # a race shows on some runs only: two runs, each from a fresh compile
        result = proj.elt("build", env={"ELT_NO_CACHE": "1"})
        assert result.exit_code == 0, result.output
        assert "PASS test has_columns_copy_0" in result.stdout
    assert proj.query("select * from gold.copy_11 order by n") == [(1,), (2,)]


def test_naming_macros_are_the_root_projects_and_see_a_package_nodes_package(project, tmp_path):
    """dbt names every node with the root project's generate_schema_name (a package's own is not used),
    whose `node` says which package the node comes from."""
    package = {**PACKAGE, "macros/naming.sql": "{% macro generate_schema_name(custom, node) %}pkg_naming"
                                              "{% endmacro %}\n"}
    _write_package(tmp_path, package)
    naming = ("{% macro generate_schema_name(custom, node) %}"
              "{{ node.package_name }}_{{ node.fqn[0] }}{% endmacro %}\n")
    proj = project({"packages.yml": PACKAGES_YML, "macros/naming.sql": naming,
                    "models/marts/mine.sql": "select n from {{ ref('pkg_numbers') }}\n"})
    assert proj.elt("deps").exit_code == 0
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    relations = proj.relations()
    assert relations["shared_shared.pkg_numbers"] == "BASE TABLE"
    assert "test_project_test_project.mine" in relations
    assert not any(name.startswith("pkg_naming.") for name in relations)
