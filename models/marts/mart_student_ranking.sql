{{ config(tags=['reporting']) }}

-- Students ranked by average score: overall (all their valid exams) and within each department they
-- took courses in. One row per student and department. Every ROW_NUMBER/NTILE ordering ends with the
-- student id, so ties are broken the same way on every engine.
with per_department as (

    select
        student_id,
        department,
        count(*) as department_exams,
        count(distinct course_id) as department_courses,
        round(avg(normalized_score), 2) as department_avg_score
    from {{ ref('int_scores_enriched') }}
    group by student_id, department

),

overall as (

    select
        student_id,
        count(*) as overall_exams,
        round(avg(normalized_score), 2) as overall_avg_score
    from {{ ref('int_scores_enriched') }}
    group by student_id

),

overall_ranked as (

    select
        student_id,
        overall_exams,
        overall_avg_score,
        rank() over (order by overall_avg_score desc) as overall_rank,
        dense_rank() over (order by overall_avg_score desc) as overall_dense_rank,
        row_number() over (order by overall_avg_score desc, student_id) as overall_position,
        ntile(4) over (order by overall_avg_score desc, student_id) as overall_quartile
    from overall

)

select
    d.student_id,
    s.full_name,
    d.department,
    d.department_courses,
    d.department_exams,
    d.department_avg_score,
    rank() over (partition by d.department order by d.department_avg_score desc) as department_rank,
    dense_rank() over (partition by d.department order by d.department_avg_score desc) as department_dense_rank,
    row_number() over (
        partition by d.department order by d.department_avg_score desc, d.student_id
    ) as department_position,
    o.overall_exams,
    o.overall_avg_score,
    o.overall_rank,
    o.overall_dense_rank,
    o.overall_position,
    o.overall_quartile,
    {{ letter_grade('o.overall_avg_score') }} as overall_grade
from per_department d
join overall_ranked o
    on d.student_id = o.student_id
join {{ ref('stg_students') }} s
    on d.student_id = s.student_id
