{#
  Students' details with their history (SCD type 2). The registrar overwrites a student's row when they
  move, change e-mail or gain a scholarship; each `elt snapshot` compares the export with the current
  rows here, closes the versions that changed (dbt_valid_to) and adds the new ones.

  The demo has two exports, both loaded by `elt seed`: spring (seeds/students.csv, the default) and
  autumn (seeds/students_autumn.csv). A second export arrives by a var, so that the demo needs no
  edited file:
      elt snapshot                                       # spring: one current row per student
      elt snapshot --vars '{registrar_export: autumn}'   # autumn: moves, new e-mails, leavers, newcomers
#}
{% snapshot students_history %}
{{ config(
    unique_key='student_id',
    strategy='check',
    check_cols=['last_name', 'email', 'home_city', 'postal_code', 'has_scholarship'],
    hard_deletes='invalidate',
) }}
-- The export repeats a few students (copies differ only in e-mail case and spaces): equal once cleaned.
select distinct
    student_id,
    trim(first_name) as first_name,
    trim(last_name) as last_name,
    {{ clean_email('email') }} as email,
    trim(home_city) as home_city,
    postal_code,
    has_scholarship
from {{ ref('students_autumn') if var('registrar_export', 'spring') == 'autumn' else ref('students') }}
{% endsnapshot %}
