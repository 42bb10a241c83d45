-- One row per enrollment of a student in a course for a term; term and status normalised.
with source as (

    select * from {{ source('raw', 'enrollments') }}

),

cleaned as (

    select
        enrollment_id,
        student_id,
        course_id,
        {{ clean_text('term') }} as term,
        enrolled_at,
        {{ clean_text('status') }} as status
    from source

)

select
    enrollment_id,
    student_id,
    course_id,
    term,
    cast(substr(term, 1, 4) as int) as term_year,
    substr(term, 6) as term_season,
    enrolled_at,
    to_date(enrolled_at) as enrolled_on,
    status,
    status = 'dropped' as is_dropped
from cleaned
