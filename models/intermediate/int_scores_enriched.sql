{{ config(tags=['scores']) }}

-- One row per valid exam score, on a 0-100 scale, with the course and department it belongs to.
with valid_scores as (

    select * from {{ ref('int_scores_checked') }}
    where score_status = 'valid'

),

normalized as (

    select
        v.exam_id,
        v.enrollment_id,
        v.student_id,
        v.course_id,
        c.course_code,
        c.department,
        v.term,
        v.exam_date,
        v.exam_month,
        v.exam_type,
        v.score,
        v.max_score,
        {{ normalize_score('v.score', 'v.max_score') }} as normalized_score,
        {{ days_between('v.enrolled_on', 'v.exam_date') }} as days_since_enrollment
    from valid_scores v
    join {{ ref('stg_courses') }} c
        on v.course_id = c.course_id

)

select
    exam_id,
    enrollment_id,
    student_id,
    course_id,
    course_code,
    department,
    term,
    exam_date,
    exam_month,
    exam_type,
    score,
    max_score,
    normalized_score,
    {{ letter_grade('normalized_score') }} as letter_grade,
    {{ is_passing('normalized_score') }} as is_passing,
    days_since_enrollment
from normalized
