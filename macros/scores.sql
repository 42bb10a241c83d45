{#
  Score macros. Scores arrive as points out of a course's max_score; everything downstream works on a
  0-100 percentage. The percentage is computed by multiplying before dividing, so that integer points
  on a 100/50/25/20-point scale give exact whole percentages: averages of them are then the same double
  on Hive and on DuckDB, whatever order the engines add them in.
#}

{# Points out of max_col as a percentage, 2 decimals (a double). #}
{% macro normalize_score(score_col, max_col) -%}
round(cast({{ score_col }} as double) * 100 / cast({{ max_col }} as double), 2)
{%- endmacro %}

{# Whether a score is usable: 'missing' (NULL), 'out_of_range' (below 0 or above max_col), or 'valid'. #}
{% macro score_status(score_col, max_col) -%}
case
        when {{ score_col }} is null then 'missing'
        when {{ score_col }} between 0 and cast({{ max_col }} as double) then 'valid'
        else 'out_of_range'
    end
{%- endmacro %}

{# A boolean: the percentage reaches the passing score (var passing_score, see pyproject [tool.elt.vars]). #}
{% macro is_passing(pct_col) -%}
({{ pct_col }} >= {{ var('passing_score') }})
{%- endmacro %}

{# Letter grade of a percentage: A >= 90, B >= 80, C >= 70, D from the passing score, F below; NULL stays NULL. #}
{% macro letter_grade(pct_col) -%}
case
        when {{ pct_col }} is null then cast(null as string)
        when {{ pct_col }} >= 90 then 'A'
        when {{ pct_col }} >= 80 then 'B'
        when {{ pct_col }} >= 70 then 'C'
        when {{ is_passing(pct_col) }} then 'D'
        else 'F'
    end
{%- endmacro %}

{#
  part * 100 / whole, rounded to 2 decimals; NULL when whole is 0. Both arguments are counts, so the
  result is one division of two exact numbers: the same double on every engine.
#}
{% macro pct_of(part, whole) -%}
case
        when {{ whole }} = 0 then cast(null as double)
        else round(cast({{ part }} as double) * 100 / cast({{ whole }} as double), 2)
    end
{%- endmacro %}
