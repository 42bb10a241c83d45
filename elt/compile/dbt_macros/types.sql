{#- dbt's type macros (dbt.type_string, ...) and casts (dbt.cast, dbt.safe_cast), for the
    project's dialect; see elt/compile/dbt_namespace.py. The names are those dbt's adapters give. -#}

{%- macro type_string() -%}{{ _dbt_dispatch('type_string')() }}{%- endmacro -%}
{%- macro default__type_string() -%}string{%- endmacro -%}
{%- macro duckdb__type_string() -%}TEXT{%- endmacro -%}

{%- macro type_timestamp() -%}{{ _dbt_dispatch('type_timestamp')() }}{%- endmacro -%}
{%- macro default__type_timestamp() -%}timestamp{%- endmacro -%}

{%- macro type_float() -%}{{ _dbt_dispatch('type_float')() }}{%- endmacro -%}
{%- macro default__type_float() -%}float{%- endmacro -%}

{%- macro type_numeric() -%}{{ _dbt_dispatch('type_numeric')() }}{%- endmacro -%}
{%- macro default__type_numeric() -%}numeric(28,6){%- endmacro -%}
{%- macro hive__type_numeric() -%}decimal(28,6){%- endmacro -%}

{%- macro type_bigint() -%}{{ _dbt_dispatch('type_bigint')() }}{%- endmacro -%}
{%- macro default__type_bigint() -%}bigint{%- endmacro -%}

{%- macro type_int() -%}{{ _dbt_dispatch('type_int')() }}{%- endmacro -%}
{%- macro default__type_int() -%}integer{%- endmacro -%}
{%- macro hive__type_int() -%}int{%- endmacro -%}

{%- macro type_boolean() -%}{{ _dbt_dispatch('type_boolean')() }}{%- endmacro -%}
{%- macro default__type_boolean() -%}boolean{%- endmacro -%}

{%- macro cast(field, type) -%}
{{ _dbt_dispatch('cast')(field, type) }}
{%- endmacro -%}

{%- macro default__cast(field, type) -%}
cast({{ field }} as {{ type }})
{%- endmacro -%}

{%- macro safe_cast(field, type) -%}
{{ _dbt_dispatch('safe_cast')(field, type) }}
{%- endmacro -%}

{%- macro default__safe_cast(field, type) -%}
cast({{ field }} as {{ type }})
{%- endmacro -%}

{%- macro duckdb__safe_cast(field, type) -%}
try_cast({{ field }} as {{ type }})
{%- endmacro -%}

{#- hive__safe_cast: default__'s cast, which in Hive gives NULL where the value does not convert -#}
