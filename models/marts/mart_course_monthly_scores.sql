{{ config(tags=['reporting']) }}

-- Average score per course and month (the month of the exam), with the change from the course's
-- previous month and where the course stands among all courses that month.
with monthly as (

    select
        course_id,
        exam_month,
        count(*) as exams_count,
        count(distinct student_id) as students_count,
        avg(normalized_score) as avg_score,
        min(normalized_score) as min_score,
        max(normalized_score) as max_score,
        count(case when is_passing then 1 end) as passing_count
    from {{ ref('int_scores_enriched') }}
    group by course_id, exam_month

),

rounded as (

    select
        m.course_id,
        c.course_code,
        c.title,
        c.department,
        m.exam_month,
        m.exams_count,
        m.students_count,
        round(m.avg_score, 2) as avg_score,
        m.min_score,
        m.max_score,
        {{ pct_of('m.passing_count', 'm.exams_count') }} as pass_rate_pct
    from monthly m
    join {{ ref('stg_courses') }} c
        on m.course_id = c.course_id

)

select
    course_id,
    course_code,
    title,
    department,
    exam_month,
    exams_count,
    students_count,
    avg_score,
    min_score,
    max_score,
    pass_rate_pct,
    {{ letter_grade('avg_score') }} as avg_grade,
    lag(avg_score) over (partition by course_id order by exam_month) as prev_month_avg_score,
    round(avg_score - lag(avg_score) over (partition by course_id order by exam_month), 2) as avg_score_change,
    cast(sum(exams_count) over (
        partition by course_id order by exam_month rows between unbounded preceding and current row
    ) as bigint) as exams_to_date,
    dense_rank() over (partition by exam_month order by avg_score desc) as rank_in_month
from rounded
