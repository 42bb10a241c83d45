{# Date macros. Hive's date_format takes Java (SimpleDateFormat) patterns; elt translates them for DuckDB. #}

{# 'yyyy-MM' of a date or timestamp, e.g. '2024-03': the month key the marts group by. #}
{% macro month_of(date_col) -%}
date_format({{ date_col }}, 'yyyy-MM')
{%- endmacro %}

{# Whole days from start_col to end_col (dates or timestamps; the time of day is ignored), an int. #}
{% macro days_between(start_col, end_col) -%}
cast(datediff({{ end_col }}, {{ start_col }}) as int)
{%- endmacro %}

{# The first day of the school year, var first_term_start, as a DATE literal. #}
{% macro first_term_start() -%}
cast('{{ var("first_term_start") }}' as date)
{%- endmacro %}

{# Age in whole years on as_of (default: the first term's start), counting birthdays by month and day. #}
{% macro age_on(birth_col, as_of=none) -%}
{%- set as_of = as_of or first_term_start() -%}
cast(year({{ as_of }}) - year({{ birth_col }})
        - case when date_format({{ birth_col }}, 'MM-dd') > date_format({{ as_of }}, 'MM-dd') then 1 else 0 end as int)
{%- endmacro %}
