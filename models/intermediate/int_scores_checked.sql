{{ config(materialized='ephemeral') }}

-- Every exam of a known enrollment, with the course's scale and a verdict on the score
-- (valid / missing / out_of_range). Ephemeral: inlined as a CTE by the models that read it.
select
    e.exam_id,
    e.enrollment_id,
    n.student_id,
    n.course_id,
    n.term,
    n.enrolled_on,
    n.is_dropped,
    e.exam_date,
    e.exam_month,
    e.exam_type,
    e.score,
    c.max_score,
    e.record_versions,
    {{ score_status('e.score', 'c.max_score') }} as score_status
from {{ ref('stg_exam_scores') }} e
join {{ ref('stg_enrollments') }} n
    on e.enrollment_id = n.enrollment_id
join {{ ref('stg_courses') }} c
    on n.course_id = c.course_id
