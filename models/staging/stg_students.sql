-- One row per student: names trimmed, e-mails cleaned, and the registrar's repeated exports merged
-- (the copies differ only in e-mail case and whitespace, so they are equal once cleaned).
with source as (

    select * from {{ ref('students') }}

),

cleaned as (

    select distinct
        student_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        {{ clean_email('email') }} as email,
        birth_date,
        enrolled_on,
        trim(home_city) as home_city,
        postal_code,
        has_scholarship
    from source

)

select
    student_id,
    first_name,
    last_name,
    concat_ws(' ', first_name, last_name) as full_name,
    email,
    birth_date,
    {{ age_on('birth_date') }} as age_at_first_term,
    enrolled_on,
    cast(year(enrolled_on) as int) as cohort_year,
    home_city,
    postal_code,
    has_scholarship
from cleaned
