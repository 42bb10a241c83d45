{#- dbt's aggregate, set and array macros (dbt.any_value, dbt.bool_or, dbt.except,
    dbt.intersect, dbt.generate_series, dbt.get_powers_of_two, dbt.array_construct,
    dbt.array_append, dbt.array_concat), for the project's dialect; see
    elt/compile/dbt_namespace.py. -#}

{%- macro any_value(expression) -%}
{{ _dbt_dispatch('any_value')(expression) }}
{%- endmacro -%}

{%- macro default__any_value(expression) -%}
any_value({{ expression }})
{%- endmacro -%}

{%- macro duckdb__any_value(expression) -%}
arbitrary({{ expression }})
{%- endmacro -%}

{%- macro hive__any_value(expression) -%}
{#- Hive has no any_value(); min() is one of the values, the same on every engine -#}
min({{ expression }})
{%- endmacro -%}

{%- macro bool_or(expression) -%}
{{ _dbt_dispatch('bool_or')(expression) }}
{%- endmacro -%}

{%- macro default__bool_or(expression) -%}
bool_or({{ expression }})
{%- endmacro -%}

{%- macro hive__bool_or(expression) -%}
max({{ expression }})
{%- endmacro -%}

{%- macro except() -%}
{{ _dbt_dispatch('except')() }}
{%- endmacro -%}

{%- macro default__except() -%}
except
{%- endmacro -%}

{%- macro intersect() -%}
{{ _dbt_dispatch('intersect')() }}
{%- endmacro -%}

{%- macro default__intersect() -%}
intersect
{%- endmacro -%}

{%- macro get_powers_of_two(upper_bound) -%}
{{ _dbt_dispatch('get_powers_of_two')(upper_bound) }}
{%- endmacro -%}

{%- macro default__get_powers_of_two(upper_bound) -%}
{%- if upper_bound <= 0 -%}
{{ exceptions.raise_compiler_error("upper bound must be positive") }}
{%- endif -%}
{%- set found = namespace(power=none) -%}
{%- for power in range(1, 100) -%}
{%- if found.power is none and upper_bound <= 2 ** power -%}{%- set found.power = power -%}{%- endif -%}
{%- endfor -%}
{{ found.power }}
{%- endmacro -%}

{%- macro generate_series(upper_bound) -%}
{{ _dbt_dispatch('generate_series')(upper_bound) }}
{%- endmacro -%}

{%- macro default__generate_series(upper_bound) -%}
{#- the numbers 1 to upper_bound, as sums of powers of two (integer literals, so the column is an integer) -#}
{%- set n = dbt.get_powers_of_two(upper_bound) | int %}
    with p as (
        select 0 as generated_number union all select 1
    ), unioned as (
    select
    {% for i in range(n) %}p{{ i }}.generated_number * {{ 2 ** i }}{% if not loop.last %} + {% endif %}{% endfor %} + 1 as generated_number
    from
    {% for i in range(n) %}p as p{{ i }}{% if not loop.last %} cross join {% endif %}{% endfor %}
    )
    select *
    from unioned
    where generated_number <= {{ upper_bound }}
{% endmacro -%}

{%- macro duckdb__generate_series(upper_bound) -%}
select generate_series as generated_number from generate_series(1, {{ upper_bound }})
{%- endmacro -%}

{%- macro array_construct(inputs=[], data_type='integer') -%}
{{ _dbt_dispatch('array_construct')(inputs, data_type) }}
{%- endmacro -%}

{%- macro default__array_construct(inputs, data_type) -%}
{%- if inputs | length > 0 -%}
array[{{ inputs | join(', ') }}]
{%- else -%}
cast([] as {{ data_type }}[])
{%- endif -%}
{%- endmacro -%}

{%- macro hive__array_construct(inputs, data_type) -%}
{%- if inputs | length > 0 -%}
array({{ inputs | join(', ') }})
{%- else -%}
{{ _dbt_refuse('array_construct', 'an empty array has no element type in Hive', 'give at least one element') }}
{%- endif -%}
{%- endmacro -%}

{%- macro array_append(array, new_element) -%}
{{ _dbt_dispatch('array_append')(array, new_element) }}
{%- endmacro -%}

{%- macro default__array_append(array, new_element) -%}
array_append({{ array }}, {{ new_element }})
{%- endmacro -%}

{%- macro hive__array_append(array, new_element) -%}
{{ _dbt_refuse('array_append', 'Hive has no function that adds to an array', 'build the array with array(...) instead') }}
{%- endmacro -%}

{%- macro array_concat(array_1, array_2) -%}
{{ _dbt_dispatch('array_concat')(array_1, array_2) }}
{%- endmacro -%}

{%- macro default__array_concat(array_1, array_2) -%}
array_cat({{ array_1 }}, {{ array_2 }})
{%- endmacro -%}

{%- macro hive__array_concat(array_1, array_2) -%}
{{ _dbt_refuse('array_concat', 'Hive has no function that concatenates arrays', 'build the array with array(...) instead') }}
{%- endmacro -%}
