{#- dbt's string macros (dbt.concat, dbt.hash, dbt.length, dbt.position, dbt.replace, dbt.right,
    dbt.split_part, dbt.escape_single_quotes, dbt.string_literal, dbt.listagg,
    dbt.cast_bool_to_text), for the project's dialect; see elt/compile/dbt_namespace.py. -#}

{%- macro concat(fields) -%}
{{ _dbt_dispatch('concat')(fields) }}
{%- endmacro -%}

{%- macro default__concat(fields) -%}
{{ fields | join(' || ') }}
{%- endmacro -%}

{%- macro hive__concat(fields) -%}
concat({{ fields | join(', ') }})
{%- endmacro -%}

{%- macro hash(field) -%}
{{ _dbt_dispatch('hash')(field) }}
{%- endmacro -%}

{%- macro default__hash(field) -%}
md5(cast({{ field }} as {{ dbt.type_string() }}))
{%- endmacro -%}

{%- macro length(expression) -%}
{{ _dbt_dispatch('length')(expression) }}
{%- endmacro -%}

{%- macro default__length(expression) -%}
length({{ expression }})
{%- endmacro -%}

{%- macro position(substring_text, string_text) -%}
{{ _dbt_dispatch('position')(substring_text, string_text) }}
{%- endmacro -%}

{%- macro default__position(substring_text, string_text) -%}
position({{ substring_text }} in {{ string_text }})
{%- endmacro -%}

{%- macro hive__position(substring_text, string_text) -%}
locate({{ substring_text }}, {{ string_text }})
{%- endmacro -%}

{%- macro replace(field, old_chars, new_chars) -%}
{{ _dbt_dispatch('replace')(field, old_chars, new_chars) }}
{%- endmacro -%}

{%- macro default__replace(field, old_chars, new_chars) -%}
replace({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro -%}

{%- macro right(string_text, length_expression) -%}
{{ _dbt_dispatch('right')(string_text, length_expression) }}
{%- endmacro -%}

{%- macro default__right(string_text, length_expression) -%}
right({{ string_text }}, {{ length_expression }})
{%- endmacro -%}

{%- macro hive__right(string_text, length_expression) -%}
{#- Hive has no right(); a start past the end gives '' (right(s, 0)), before the start the whole string -#}
substr({{ string_text }}, greatest(length({{ string_text }}) - ({{ length_expression }}) + 1, 1))
{%- endmacro -%}

{%- macro split_part(string_text, delimiter_text, part_number) -%}
{{ _dbt_dispatch('split_part')(string_text, delimiter_text, part_number) }}
{%- endmacro -%}

{%- macro default__split_part(string_text, delimiter_text, part_number) -%}
split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro -%}

{%- macro duckdb__split_part(string_text, delimiter_text, part_number) -%}
string_split({{ string_text }}, {{ delimiter_text }})[{{ part_number }}]
{%- endmacro -%}

{%- macro hive__split_part(string_text, delimiter_text, part_number) -%}
{#- Hive's split() takes a regex: the delimiter literal is quoted as one; a part past the end is NULL -#}
{%- set parts = 'split(' ~ string_text ~ ', ' ~ _dbt_regex_literal(delimiter_text, 'split_part') ~ ')' -%}
{%- set n = _dbt_int(part_number) -%}
{%- if n is not none and n < 0 -%}
{{ parts }}[size({{ parts }}) - {{ -n }}]
{%- elif n is not none -%}
{{ parts }}[{{ n - 1 }}]
{%- else -%}
{{ parts }}[({{ part_number }}) - 1]
{%- endif -%}
{%- endmacro -%}

{%- macro escape_single_quotes(expression) -%}
{{ _dbt_dispatch('escape_single_quotes')(expression) }}
{%- endmacro -%}

{%- macro default__escape_single_quotes(expression) -%}
{{ expression | replace("'", "''") }}
{%- endmacro -%}

{%- macro hive__escape_single_quotes(expression) -%}
{#- Hive's string literals escape with a backslash (and '' is two adjacent literals) -#}
{{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro -%}

{%- macro string_literal(value) -%}
{{ _dbt_dispatch('string_literal')(value) }}
{%- endmacro -%}

{%- macro default__string_literal(value) -%}
'{{ value }}'
{%- endmacro -%}

{%- macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{{ _dbt_dispatch('listagg')(measure, delimiter_text, order_by_clause, limit_num) }}
{%- endmacro -%}

{%- macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if limit_num -%}
array_to_string(array_slice(array_agg({{ measure }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}, 0, {{ limit_num }}), {{ delimiter_text }})
{%- else -%}
listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endif -%}
{%- endmacro -%}

{%- macro duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if limit_num -%}
list_aggr((array_agg({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}))[1:{{ limit_num }}], 'string_agg', {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %})
{%- endif -%}
{%- endmacro -%}

{%- macro hive__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if order_by_clause -%}
{{ _dbt_refuse('listagg', 'order_by_clause cannot be written in Hive: collect_list() keeps no order', 'leave out order_by_clause, or aggregate with sort_array(collect_list(...)) in the model') }}
{%- endif -%}
{%- if limit_num -%}
{{ _dbt_refuse('listagg', 'limit_num cannot be written in Hive: it has no function to cut an array', 'leave out limit_num') }}
{%- endif -%}
concat_ws({{ delimiter_text }}, collect_list(cast({{ measure }} as string)))
{%- endmacro -%}

{%- macro cast_bool_to_text(field) -%}
{{ _dbt_dispatch('cast_bool_to_text')(field) }}
{%- endmacro -%}

{%- macro default__cast_bool_to_text(field) -%}
cast({{ field }} as {{ dbt.type_string() }})
{%- endmacro -%}

{%- macro hive__cast_bool_to_text(field) -%}
{#- 'true'/'false' as dbt's other adapters write them: Hive's cast writes 'TRUE', Spark's 'true' -#}
case when {{ field }} then 'true' when not ({{ field }}) then 'false' end
{%- endmacro -%}
