{#- The ISO day of the week of a date or timestamp expression: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'shop_utils')(expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(expression) -%}
    extract(isodow from {{ expression }})
{%- endmacro %}

{% macro duckdb__iso_weekday(expression) -%}
    isodow({{ expression }})
{%- endmacro %}

{#- Spark: dayofweek() counts from Sunday = 1. -#}
{% macro spark__iso_weekday(expression) -%}
    (pmod(dayofweek({{ expression }}) + 5, 7) + 1)
{%- endmacro %}

{#- Hive before 2.2 has no dayofweek(): count the days since a Monday. -#}
{% macro hive__iso_weekday(expression) -%}
    (pmod(datediff(to_date({{ expression }}), to_date('1900-01-01')), 7) + 1)
{%- endmacro %}
