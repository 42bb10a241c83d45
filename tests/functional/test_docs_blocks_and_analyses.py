"""dbt's documentation and test pieces: `{% docs %}` blocks and doc(), analyses (compiled, never run),
generic tests in `<test path>/generic/`, yml sections elt accepts and ignores."""

from __future__ import annotations

import json

MODEL = {"models/staging/orders.sql": "select 1 as order_id, 'open' as status\n"}

DOCS = """\
{% docs orders %}
One row per **order**.
{% enddocs %}

{%- docs order_id -%}
The order's key.
{%- enddocs -%}

{% docs __overview__ %}
Welcome to the shop.
{% enddocs %}
"""

YML = """\
version: 2
models:
  - name: orders
    description: "{{ doc('orders') }}"
    columns:
      - name: order_id
        description: '{{ doc("order_id") }} Never null.'
        data_tests:
          - not_null:
              description: "{{ doc('order_id') }}"
sources:
  - name: shop
    tables:
      - name: raw_orders
        description: "{{ doc('orders') }} (raw)"
"""


def _manifest(proj) -> dict:
    return json.loads((proj.root / "target" / "manifest.json").read_text())


def test_doc_in_descriptions_takes_the_blocks_text(project):
    proj = project({**MODEL, "models/docs.md": DOCS, "models/staging/orders.yml": YML})
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    nodes = _manifest(proj)["nodes"]
    assert nodes["model.orders"]["description"] == "One row per **order**."
    assert nodes["model.orders"]["columns"]["order_id"]["description"] == "The order's key. Never null."
    assert nodes["source.shop.raw_orders"]["description"] == "One row per **order**. (raw)"
    assert nodes["test.not_null_orders_order_id"]["config"]["description"] == "The order's key."
    docs = _manifest(proj)["docs"]
    assert docs["doc.test_project.orders"]["block_contents"] == "One row per **order**."
    assert docs["doc.test_project.orders"]["path"] == "models/docs.md"


def _with_setting(line: str) -> str:
    """The test project's pyproject.toml with one more [tool.elt] key."""
    from tests.conftest import PYPROJECT

    return PYPROJECT.replace('profile = "test"\n', f'profile = "test"\n{line}\n')


def test_docs_blocks_are_read_from_docs_paths_when_set(project):
    proj = project({**MODEL, "docs/all.md": DOCS, "models/ignored.md": "{% docs orders %}x{% enddocs %}",
                    "models/staging/orders.yml": YML}, pyproject=_with_setting('docs-paths = ["docs"]'))
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert _manifest(proj)["nodes"]["model.orders"]["description"] == "One row per **order**."


def test_unknown_doc_names_the_yml_file_line_and_close_names(project):
    proj = project({**MODEL, "models/docs.md": DOCS,
                    "models/staging/orders.yml": YML.replace('doc("order_id")', 'doc("order_ids")')})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "models/staging/orders.yml:7" in result.output
    assert "no docs block is named 'order_ids'" in result.output
    assert "did you mean order_id" in result.output
    assert "Traceback" not in result.output


def test_two_docs_blocks_of_one_name_are_an_error(project):
    proj = project({**MODEL, "models/docs.md": DOCS,
                    "models/staging/more.md": "\n\n{% docs orders %}again{% enddocs %}\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "two docs blocks are named 'orders'" in result.output
    assert "models/docs.md:1" in result.output and "models/staging/more.md:3" in result.output


def test_a_docs_block_without_enddocs_is_an_error(project):
    proj = project({**MODEL, "models/docs.md": "text\n{% docs orders %}\nno end\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "models/docs.md:2" in result.output and "enddocs" in result.output


def test_a_changed_docs_block_is_compiled_again(project):
    """`elt compile` skips when nothing it reads changed: .md files are among what it reads."""
    proj = project({**MODEL, "docs/all.md": DOCS, "models/staging/orders.yml": YML},
                   pyproject=_with_setting('docs-paths = ["docs"]'))
    assert proj.elt("compile").exit_code == 0
    proj.write({"docs/all.md": DOCS.replace("One row per", "Exactly one row per")})
    assert proj.elt("compile").exit_code == 0
    assert _manifest(proj)["nodes"]["model.orders"]["description"] == "Exactly one row per **order**."


def test_docs_site_shows_the_blocks_text_and_the_overview(project):
    proj = project({**MODEL, "models/docs.md": DOCS, "models/staging/orders.yml": YML})
    result = proj.elt("docs", "generate")
    assert result.exit_code == 0, result.output
    site = next(proj.root.glob("target/**/data.js")).read_text()
    data = json.loads(site.split("=", 1)[1].rstrip().rstrip(";"))
    assert data["overview"] == "Welcome to the shop."
    assert data["nodes"]["model.orders"]["description"] == "One row per **order**."


# -- analyses --------------------------------------------------------------------------------------

ANALYSIS = {
    **MODEL,
    "models/staging/open_orders.sql": "{{ config(materialized='ephemeral') }}\n"
                                      "select * from {{ ref('orders') }} where status = 'open'\n",
    "analyses/report.sql": "-- counted by status\nselect status, count(*) as n\n"
                           "from {{ ref('open_orders') }} join {{ ref('orders') }} using (order_id)\n"
                           "group by status\n",
}


def test_analyses_are_compiled_with_refs_resolved_and_never_run(project):
    proj = project(ANALYSIS)
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    compiled = (proj.root / "target/compiled/analyses/report.sql").read_text()
    assert "bronze.orders" in compiled and "{{" not in compiled
    assert "__elt_ephemeral_open_orders AS" in compiled  # the ephemeral inlined, as in a model
    node = _manifest(proj)["nodes"]["analysis.report"]
    assert node["resource_type"] == "analysis"
    assert node["depends_on"]["nodes"] == ["model.open_orders", "model.orders"]
    assert "Compiled 2 model(s)" in result.stdout  # the analysis is no model
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert "report" not in result.stdout
    assert set(proj.relations()) == {"bronze.orders"}


def test_a_ref_in_an_analysis_adds_no_edge_to_the_build(project):
    """An analysis reading a model does not make that model's build wait or fail."""
    proj = project(ANALYSIS)
    ls_all = proj.elt("ls", "-s", "orders+")
    assert ls_all.exit_code == 0, ls_all.output
    assert "report" not in ls_all.stdout
    manifest_before = proj.elt("compile")
    assert manifest_before.exit_code == 0
    assert "analysis.report" not in _manifest(proj)["child_map"].get("model.orders", [])


def test_an_error_in_an_analysis_names_its_file_and_line(project):
    proj = project({**MODEL, "analyses/bad.sql": "select *\nfrom {{ ref('ordrs') }}\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "analyses/bad.sql:2" in result.output
    assert "unknown model 'ordrs'" in result.output and "did you mean orders" in result.output


def test_a_syntax_error_in_an_analysis_is_reported_as_a_models_and_other_statements_compile(project):
    proj = project({**MODEL, "analyses/bad.sql": "select status,\n  count(*) as n\nfrom {{ ref('orders') }}\n"
                                                  "group by status order by n)\n",
                    "analyses/ddl.sql": "create table scratch as select * from {{ ref('orders') }};\n"
                                        "drop table scratch\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "analyses/bad.sql:4" in result.output and "SQL syntax error" in result.output
    assert "ddl.sql" not in result.output
    proj.remove("analyses/bad.sql")
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert "drop table scratch" in (proj.root / "target/compiled/analyses/ddl.sql").read_text()


def test_analyses_yml_section_describes_an_analysis(project):
    proj = project({**ANALYSIS, "analyses/report.yml": "analyses:\n  - name: report\n"
                                                       "    description: \"{{ doc('r') }}\"\n",
                    "analyses/report.md": "{% docs r %}Open orders by status{% enddocs %}"})
    result = proj.elt("compile")
    assert result.exit_code == 0, result.output
    assert _manifest(proj)["nodes"]["analysis.report"]["description"] == "Open orders by status"


# -- generic tests under test paths -------------------------------------------------------------------

POSITIVE = """\
{% test is_positive(model, column_name, strictly=true) %}
select * from {{ model }} where {{ column_name }} {{ '<=' if strictly else '<' }} 0
{% endtest %}
"""


def test_generic_tests_in_the_test_paths_generic_folder(project):
    proj = project({
        "models/staging/orders.sql": "select 1 as order_id union all select -1 as order_id\n",
        "data_tests/generic/is_positive.sql": POSITIVE,
        "data_tests/no_rows.sql": "select * from {{ ref('orders') }} where order_id > 100\n",
        "models/staging/orders.yml": "models:\n  - name: orders\n    columns:\n      - name: order_id\n"
                                     "        data_tests: [is_positive]\n",
    })
    result = proj.elt("build")
    assert result.exit_code == 1, result.output
    assert "FAIL test is_positive_orders_order_id" in result.output
    assert "PASS test no_rows" in result.output  # the other files stay singular tests
    assert "test generic" not in result.output


def test_generic_tests_in_dbts_tests_generic_layout(project):
    proj = project({
        "models/staging/orders.sql": "select 1 as order_id\n",
        "tests/generic/is_positive.sql": POSITIVE,
        "models/staging/orders.yml": "models:\n  - name: orders\n    columns:\n      - name: order_id\n"
                                     "        data_tests: [{is_positive: {strictly: false}}]\n",
    }, pyproject=_with_setting('test-paths = ["tests"]'))
    result = proj.elt("build")
    assert result.exit_code == 0, result.output
    assert "PASS test is_positive_orders_order_id" in result.output


# -- yml sections accepted and ignored -----------------------------------------------------------------

SEMANTIC = """\
version: 2
models:
  - name: orders
semantic_models:
  - name: orders_sm
    model: ref('orders')
metrics:
  - name: order_count
exposures:
  - name: dashboard
saved_queries:
  - name: q
groups:
  - name: finance
"""


def test_semantic_layer_sections_are_accepted_and_ignored_with_one_note_each(project):
    proj = project({**MODEL, "models/staging/sl.yml": SEMANTIC,
                    "models/staging/more.yml": "metrics:\n  - name: other\n"})
    result = proj.elt("run")
    assert result.exit_code == 0, result.output
    for section, line in (("semantic_models", 4), ("exposures", 9), ("saved_queries", 11), ("groups", 13)):
        assert result.output.count(f"`{section}:` is accepted and ignored") == 1, section
        assert f"models/staging/sl.yml:{line}: `{section}:` is accepted and ignored" in result.output
    # met first in more.yml (files are read in order), then in sl.yml: one note for both
    assert result.output.count("`metrics:` is accepted and ignored") == 1
    assert ("models/staging/more.yml:1: `metrics:` is accepted and ignored: elt has no semantic layer "
            "(and in 1 other file(s))") in result.output


def test_an_unknown_section_is_still_an_error(project):
    proj = project({**MODEL, "models/staging/sl.yml": "version: 2\nmodel:\n  - name: orders\n"})
    result = proj.elt("compile")
    assert result.exit_code == 2
    assert "unknown section(s) model" in result.output
