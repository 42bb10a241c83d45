{#- Production targets (named prod...) use the custom schema as it is; the others prefix it with their
    own schema, as dbt's default does, so that developers do not overwrite each other. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name.startswith('prod') -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
