{# Text clean-up macros for the staging layer. #}

{# Trimmed and lower-cased: for e-mails, statuses, terms and other case-insensitive values. #}
{% macro clean_text(col) -%}
lower(trim({{ col }}))
{%- endmacro %}

{# A code such as ' math 201' -> 'MATH-201': upper case, trimmed, any run of other characters -> '-'. #}
{% macro clean_code(col) -%}
regexp_replace(upper(trim({{ col }})), '[^A-Z0-9]+', '-')
{%- endmacro %}

{# A cleaned e-mail address, or NULL when the value is empty or does not look like one. #}
{% macro clean_email(col) -%}
case
        when {{ clean_text(col) }} rlike '^[a-z0-9._%+-]+@[a-z0-9.-]+[.][a-z]+$' then {{ clean_text(col) }}
    end
{%- endmacro %}
