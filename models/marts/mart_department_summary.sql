{{ config(tags=['reporting']) }}

-- One row per department: enrollments, drop-outs, course results, average score and best student.
with courses as (

    select
        department,
        count(*) as courses_count,
        cast(sum(credits) as bigint) as credits_offered
    from {{ ref('stg_courses') }}
    group by department

),

results as (

    select
        department,
        count(*) as enrollments_count,
        count(distinct student_id) as students_count,
        count(case when result = 'dropped' then 1 end) as dropped_count,
        count(case when result = 'pass' then 1 end) as passed_count,
        count(case when result = 'fail' then 1 end) as failed_count,
        count(case when result in ('incomplete', 'no_scores') then 1 end) as unfinished_count
    from {{ ref('int_student_course_results') }}
    group by department

),

scores as (

    select
        department,
        count(*) as exams_count,
        round(avg(normalized_score), 2) as avg_score
    from {{ ref('int_scores_enriched') }}
    group by department

),

top_students as (

    select
        department,
        student_id as top_student_id,
        full_name as top_student_name,
        department_avg_score as top_student_avg_score
    from {{ ref('mart_student_ranking') }}
    where department_position = 1

)

select
    c.department,
    c.courses_count,
    c.credits_offered,
    r.enrollments_count,
    r.students_count,
    r.dropped_count,
    {{ pct_of('r.dropped_count', 'r.enrollments_count') }} as drop_rate_pct,
    r.passed_count,
    r.failed_count,
    r.unfinished_count,
    {{ pct_of('r.passed_count', 'r.passed_count + r.failed_count') }} as pass_rate_pct,
    s.exams_count,
    s.avg_score,
    {{ letter_grade('s.avg_score') }} as avg_grade,
    t.top_student_id,
    t.top_student_name,
    t.top_student_avg_score
from courses c
left join results r
    on c.department = r.department
left join scores s
    on c.department = s.department
left join top_students t
    on c.department = t.department
