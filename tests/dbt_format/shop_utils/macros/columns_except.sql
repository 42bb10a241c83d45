{#- The relation's columns but the given ones, comma-separated (read from the database). -#}
{% macro columns_except(relation, except=[]) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set skipped = except | map('lower') | list -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in skipped -%}
            {%- do names.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | join(', ')) }}
{%- endmacro %}
