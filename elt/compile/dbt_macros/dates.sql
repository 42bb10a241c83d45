{#- dbt's date macros (dbt.dateadd, dbt.datediff, dbt.date_trunc, dbt.last_day, dbt.date,
    dbt.current_timestamp), for the project's dialect; see elt/compile/dbt_namespace.py.
    dateadd and date_trunc return a timestamp, datediff an integer, as on dbt's adapters.
    The hive__ variants use only Hive built-ins whose answers Hive, Spark and elt's DuckDB
    translation agree on: no month intervals (refused by the translation), no `interval (expr)`
    (Spark cannot parse it), no `interval * n` (Hive cannot), add_months only on a first of month
    (Hive keeps a month end at the month end, Spark does not). -#}

{%- macro dateadd(datepart, interval, from_date_or_timestamp) -%}
{{ _dbt_dispatch('dateadd')(datepart, interval, from_date_or_timestamp) }}
{%- endmacro -%}

{%- macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro -%}

{%- macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
{%- set unit = _dbt_datepart(datepart, 'dateadd') -%}
{%- if unit == 'quarter' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 3) * interval 1 month)
{%- elif unit == 'week' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 7) * interval 1 day)
{%- else -%}
({{ from_date_or_timestamp }} + cast({{ interval }} as bigint) * interval 1 {{ unit }})
{%- endif -%}
{%- endmacro -%}

{%- macro hive__dateadd(datepart, interval, from_date_or_timestamp) -%}
{%- set unit = _dbt_datepart(datepart, 'dateadd', ('year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second')) -%}
{%- set ts = 'cast(' ~ from_date_or_timestamp ~ ' as timestamp)' -%}
{#- the time of day of ts, as an interval: added back after date_add / add_months, which return dates -#}
{%- set clock = '(' ~ ts ~ ' - cast(to_date(' ~ ts ~ ') as timestamp))' -%}
{%- set n = _dbt_int(interval) -%}
{%- set per_unit = {'week': 7, 'quarter': 3, 'year': 12, 'hour': 3600, 'minute': 60}.get(unit, 1) -%}
{%- if n is not none and unit in ('week', 'day', 'hour', 'minute', 'second') -%}
{%- set count = n * per_unit if unit == 'week' else n -%}
({{ ts }} {{ '-' if count < 0 else '+' }} interval '{{ count | abs }}' {{ 'day' if unit == 'week' else unit }})
{%- elif unit in ('week', 'day') -%}
(cast(date_add({{ ts }}, cast(({{ interval }}) * {{ per_unit }} as int)) as timestamp) + {{ clock }})
{%- elif unit in ('month', 'quarter', 'year') -%}
{%- set first_of_month = 'add_months(trunc(' ~ ts ~ ", 'MM'), cast((" ~ interval ~ ') * ' ~ per_unit ~ ' as int))' -%}
(cast(date_add({{ first_of_month }}, least(day({{ ts }}), day(last_day({{ first_of_month }}))) - 1) as timestamp) + {{ clock }})
{%- else -%}
{#- whole seconds: unix_timestamp drops the fraction of a second -#}
cast(from_unixtime(unix_timestamp({{ ts }}) + cast(({{ interval }}) * {{ per_unit }} as bigint)) as timestamp)
{%- endif -%}
{%- endmacro -%}

{%- macro datediff(first_date, second_date, datepart) -%}
{{ _dbt_dispatch('datediff')(first_date, second_date, datepart) }}
{%- endmacro -%}

{%- macro default__datediff(first_date, second_date, datepart) -%}
datediff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro -%}

{%- macro duckdb__datediff(first_date, second_date, datepart) -%}
{%- set unit = _dbt_datepart(datepart, 'datediff') -%}
{%- if unit == 'week' -%}
{#- week boundaries crossed, weeks starting on Sunday (as dbt's adapters count them) -#}
(date_diff('day', date_trunc('week', cast({{ first_date }} as date) + 1), date_trunc('week', cast({{ second_date }} as date) + 1)) // 7)
{%- else -%}
(date_diff('{{ unit }}', cast({{ first_date }} as timestamp), cast({{ second_date }} as timestamp)))
{%- endif -%}
{%- endmacro -%}

{%- macro hive__datediff(first_date, second_date, datepart) -%}
{%- set unit = _dbt_datepart(datepart, 'datediff', ('year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second')) -%}
{%- set t1 = 'cast(' ~ first_date ~ ' as timestamp)' -%}
{%- set t2 = 'cast(' ~ second_date ~ ' as timestamp)' -%}
{#- the number of boundaries of the unit crossed from t1 to t2, as dbt's datediff counts -#}
{%- set days = 'datediff(' ~ t2 ~ ', ' ~ t1 ~ ')' -%}
{%- set hours = '(' ~ days ~ ' * 24 + hour(' ~ t2 ~ ') - hour(' ~ t1 ~ '))' -%}
{%- set minutes = '(' ~ hours ~ ' * 60 + minute(' ~ t2 ~ ') - minute(' ~ t1 ~ '))' -%}
{%- if unit == 'day' -%}
{{ days }}
{%- elif unit == 'week' -%}
{#- 1970-01-04 is a Sunday: weeks are counted from Sunday to Sunday -#}
(floor(datediff({{ t2 }}, '1970-01-04') / 7) - floor(datediff({{ t1 }}, '1970-01-04') / 7))
{%- elif unit == 'month' -%}
((year({{ t2 }}) * 12 + month({{ t2 }})) - (year({{ t1 }}) * 12 + month({{ t1 }})))
{%- elif unit == 'quarter' -%}
((year({{ t2 }}) * 4 + quarter({{ t2 }})) - (year({{ t1 }}) * 4 + quarter({{ t1 }})))
{%- elif unit == 'year' -%}
(year({{ t2 }}) - year({{ t1 }}))
{%- elif unit == 'hour' -%}
{{ hours }}
{%- elif unit == 'minute' -%}
{{ minutes }}
{%- else -%}
({{ minutes }} * 60 + second({{ t2 }}) - second({{ t1 }}))
{%- endif -%}
{%- endmacro -%}

{%- macro date_trunc(datepart, date) -%}
{{ _dbt_dispatch('date_trunc')(datepart, date) }}
{%- endmacro -%}

{%- macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro -%}

{%- macro duckdb__date_trunc(datepart, date) -%}
date_trunc('{{ _dbt_datepart(datepart, 'date_trunc') }}', {{ date }})
{%- endmacro -%}

{%- macro hive__date_trunc(datepart, date) -%}
{#- trunc() and add_months() return 'yyyy-MM-dd' text in Hive, which Hive 2 does not cast to a
    timestamp: to_date() first -#}
{%- set unit = _dbt_datepart(datepart, 'date_trunc', ('year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second')) -%}
{%- set ts = 'cast(' ~ date ~ ' as timestamp)' -%}
{%- if unit == 'day' -%}
cast(to_date({{ ts }}) as timestamp)
{%- elif unit == 'week' -%}
{#- weeks start on Monday, as date_trunc's do; 1970-01-05 is a Monday -#}
cast(date_sub(to_date({{ ts }}), pmod(datediff({{ ts }}, '1970-01-05'), 7)) as timestamp)
{%- elif unit == 'month' -%}
cast(to_date(trunc({{ ts }}, 'MM')) as timestamp)
{%- elif unit == 'quarter' -%}
{#- not trunc(ts, 'Q'): Spark answers NULL to it -#}
cast(to_date(add_months(trunc({{ ts }}, 'YYYY'), (quarter({{ ts }}) - 1) * 3)) as timestamp)
{%- elif unit == 'year' -%}
cast(to_date(trunc({{ ts }}, 'YYYY')) as timestamp)
{%- else -%}
cast(date_format({{ ts }}, '{{ {'hour': 'yyyy-MM-dd HH:00:00', 'minute': 'yyyy-MM-dd HH:mm:00'}.get(unit, 'yyyy-MM-dd HH:mm:ss') }}') as timestamp)
{%- endif -%}
{%- endmacro -%}

{%- macro last_day(date, datepart) -%}
{{ _dbt_dispatch('last_day')(date, datepart) }}
{%- endmacro -%}

{%- macro default_last_day(date, datepart) -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro -%}

{%- macro default__last_day(date, datepart) -%}
{{ dbt.default_last_day(date, datepart) }}
{%- endmacro -%}

{%- macro date(year, month, day) -%}
{{ _dbt_dispatch('date')(year, month, day) }}
{%- endmacro -%}

{%- macro default__date(year, month, day) -%}
to_date('{{ modules.datetime.date(year, month, day).strftime('%Y-%m-%d') }}', 'YYYY-MM-DD')
{%- endmacro -%}

{%- macro duckdb__date(year, month, day) -%}
make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro -%}

{%- macro hive__date(year, month, day) -%}
cast('{{ modules.datetime.date(year, month, day).strftime('%Y-%m-%d') }}' as date)
{%- endmacro -%}

{%- macro current_timestamp() -%}
{{ _dbt_dispatch('current_timestamp')() }}
{%- endmacro -%}

{%- macro default__current_timestamp() -%}
current_timestamp
{%- endmacro -%}

{%- macro duckdb__current_timestamp() -%}
now()
{%- endmacro -%}

{%- macro hive__current_timestamp() -%}
current_timestamp()
{%- endmacro -%}
