{{ config(tags=['scores']) }}

-- One row per enrollment: the course result from its valid exam scores. A course is passed when the
-- average reaches var('passing_score') and the final exam was taken.
with enrollments as (

    select * from {{ ref('stg_enrollments') }}

),

scores as (

    select
        enrollment_id,
        count(*) as exams_taken,
        avg(normalized_score) as avg_score,
        min(normalized_score) as worst_score,
        max(normalized_score) as best_score,
        max(case when exam_type = 'final' then normalized_score end) as final_exam_score
    from {{ ref('int_scores_enriched') }}
    group by enrollment_id

),

results as (

    select
        n.enrollment_id,
        n.student_id,
        n.course_id,
        c.course_code,
        c.department,
        c.credits,
        n.term,
        n.status,
        coalesce(s.exams_taken, 0) as exams_taken,
        round(s.avg_score, 2) as avg_score,
        s.worst_score,
        s.best_score,
        s.final_exam_score,
        case
            when n.is_dropped then 'dropped'
            when s.exams_taken is null then 'no_scores'
            when s.final_exam_score is null then 'incomplete'
            when {{ is_passing('s.avg_score') }} then 'pass'
            else 'fail'
        end as result
    from enrollments n
    join {{ ref('stg_courses') }} c
        on n.course_id = c.course_id
    left join scores s
        on n.enrollment_id = s.enrollment_id

)

select
    enrollment_id,
    student_id,
    course_id,
    course_code,
    department,
    term,
    status,
    exams_taken,
    avg_score,
    worst_score,
    best_score,
    final_exam_score,
    {{ letter_grade('avg_score') }} as course_grade,
    result,
    result = 'pass' as passed,
    case when result = 'pass' then credits else 0 end as credits_earned
from results
