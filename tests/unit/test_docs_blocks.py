"""Docs blocks (`{% docs %}` in .md files) and `doc()` in yml descriptions: elt.project.docs_blocks."""

from __future__ import annotations

import pytest

from elt.errors import ProjectError
from elt.project.docs_blocks import read_blocks, render_description

MD = """\
intro text is not a block
{% docs orders %}
  One row per order.
{% enddocs %}
{%- docs total -%}Sum of {{ "the" | upper }} payments{%- enddocs -%}
"""


def _blocks() -> dict:
    found: dict = {}
    read_blocks("models/docs.md", MD, found)
    return found


def test_blocks_are_read_with_name_file_line_and_stripped_rendered_text():
    blocks = _blocks()
    assert set(blocks) == {"orders", "total"}
    assert (blocks["orders"].path, blocks["orders"].line, blocks["orders"].text) == ("models/docs.md", 2,
                                                                                     "One row per order.")
    assert blocks["total"].text == "Sum of THE payments"  # rendered with an empty context, as dbt does


def test_a_second_block_of_one_name_names_both_places():
    found = _blocks()
    with pytest.raises(ProjectError) as raised:
        read_blocks("models/more.md", "\n{% docs orders %}x{% enddocs %}", found)
    assert (raised.value.path, raised.value.line) == ("models/more.md", 2)
    assert "models/docs.md:2 and models/more.md:2" in raised.value.message


def test_a_block_using_doc_or_ref_is_an_error_at_its_line():
    with pytest.raises(ProjectError) as raised:
        read_blocks("d.md", "\n\n{% docs a %}{{ ref('x') }}{% enddocs %}", {})
    assert raised.value.line == 3 and "without context" in (raised.value.hint or "")


YML = """\
models:
  - name: orders
    description: "{{ doc('orders') }}"
    columns:
      - name: total
        description: "{{ doc('totl') }}"
"""


@pytest.mark.parametrize("text, expected", [
    ("{{ doc('orders') }}", "One row per order."),
    ("{{ doc(\"orders\") }} More.", "One row per order. More."),
    ("{{ doc('my_project', 'orders') }}", "One row per order."),
    ("{{ var('who') }} wrote it", "ada wrote it"),
    ("plain {text}", "plain {text}"),
    (None, ""),
])
def test_descriptions_take_the_blocks_text(text, expected):
    assert render_description(text, _blocks(), {"who": "ada"}, "models/orders.yml", YML, 2) == expected


def test_an_unknown_doc_names_the_line_of_the_call_and_the_close_names():
    with pytest.raises(ProjectError) as raised:
        render_description("{{ doc('totl') }}", _blocks(), {}, "models/orders.yml", YML, 5)
    assert (raised.value.path, raised.value.line) == ("models/orders.yml", 6)
    assert "no docs block is named 'totl'" in raised.value.message
    assert "did you mean total" in (raised.value.hint or "")
    assert "{% docs totl %}" in (raised.value.hint or "")
