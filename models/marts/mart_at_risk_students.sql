{{ config(tags=['reporting', 'student_support']) }}

-- Students with active enrollments who need attention: a low average this term, a course below the
-- passing score, irregular exam records, or a course failed in an earlier term. One row per student
-- with at least 2 risk points (points per sign: see _marts.yml); risk_rank 1 is the most at risk.
{% set margin = var('at_risk_margin', 10) %}

with active_enrollments as (

    select enrollment_id, student_id, term
    from {{ ref('stg_enrollments') }}
    where status = 'active'

),

current_scores as (

    select
        a.student_id,
        count(*) as current_exams,
        round(avg(e.normalized_score), 2) as current_avg_score,
        max(e.exam_date) as last_exam_date
    from active_enrollments a
    join {{ ref('int_scores_enriched') }} e
        on a.enrollment_id = e.enrollment_id
    group by a.student_id

),

current_courses as (

    select
        a.student_id,
        count(*) as active_courses,
        count(case when r.avg_score < {{ var('passing_score') }} then 1 end) as courses_below_passing,
        sum(x.missing_scores + x.out_of_range_scores) as irregular_scores
    from active_enrollments a
    join {{ ref('int_student_course_results') }} r
        on a.enrollment_id = r.enrollment_id
    join {{ ref('int_enrollment_activity') }} x
        on a.enrollment_id = x.enrollment_id
    group by a.student_id

),

history as (

    select
        student_id,
        count(case when result = 'fail' then 1 end) as past_failed_courses,
        count(case when result = 'dropped' then 1 end) as past_dropped_courses
    from {{ ref('int_student_course_results') }}
    where status <> 'active'
    group by student_id

),

signals as (

    select
        c.student_id,
        c.active_courses,
        coalesce(s.current_exams, 0) as current_exams,
        s.current_avg_score,
        s.last_exam_date,
        c.courses_below_passing,
        cast(c.irregular_scores as bigint) as irregular_scores,
        coalesce(h.past_failed_courses, 0) as past_failed_courses,
        coalesce(h.past_dropped_courses, 0) as past_dropped_courses,
        coalesce(s.current_avg_score < {{ var('passing_score') + margin }}, true) as low_average
    from current_courses c
    left join current_scores s
        on c.student_id = s.student_id
    left join history h
        on c.student_id = h.student_id

),

scored as (

    select
        student_id,
        active_courses,
        current_exams,
        current_avg_score,
        last_exam_date,
        courses_below_passing,
        irregular_scores,
        past_failed_courses,
        past_dropped_courses,
        low_average,
        (case when low_average then 3 else 0 end)
            + cast(courses_below_passing as int) * 2
            + case when irregular_scores > 0 then 1 else 0 end
            + case when past_failed_courses > 0 then 1 else 0 end
            + case when past_dropped_courses > 1 then 1 else 0 end as risk_points
    from signals

)

select
    r.student_id,
    s.full_name,
    s.email,
    r.active_courses,
    r.current_exams,
    r.current_avg_score,
    r.last_exam_date,
    r.courses_below_passing,
    r.irregular_scores,
    r.past_failed_courses,
    r.past_dropped_courses,
    r.risk_points,
    case
        when r.risk_points >= 5 then 'high'
        when r.risk_points >= 3 then 'medium'
        else 'low'
    end as risk_level,
    concat_ws('; ',
        case when r.low_average then 'average below {{ var("passing_score") + margin }}' end,
        case when r.courses_below_passing > 0 then 'course below passing score' end,
        case when r.irregular_scores > 0 then 'missing or invalid scores' end,
        case when r.past_failed_courses > 0 then 'failed a course before' end,
        case when r.past_dropped_courses > 1 then 'dropped several courses' end
    ) as risk_reasons,
    rank() over (order by r.risk_points desc) as risk_rank
from scored r
join {{ ref('stg_students') }} s
    on r.student_id = s.student_id
where r.risk_points >= 2
