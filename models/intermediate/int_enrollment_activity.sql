-- One row per enrollment: how much exam activity it had and how clean its scores were.
with exams as (

    select
        enrollment_id,
        count(*) as exam_records,
        count(case when score_status = 'valid' then 1 end) as valid_scores,
        count(case when score_status = 'missing' then 1 end) as missing_scores,
        count(case when score_status = 'out_of_range' then 1 end) as out_of_range_scores,
        count(case when record_versions > 1 then 1 end) as resent_scores,
        min(exam_date) as first_exam_date,
        max(exam_date) as last_exam_date
    from {{ ref('int_scores_checked') }}
    group by enrollment_id

)

select
    n.enrollment_id,
    n.student_id,
    n.course_id,
    n.term,
    n.status,
    n.enrolled_on,
    coalesce(x.exam_records, 0) as exam_records,
    coalesce(x.valid_scores, 0) as valid_scores,
    coalesce(x.missing_scores, 0) as missing_scores,
    coalesce(x.out_of_range_scores, 0) as out_of_range_scores,
    coalesce(x.resent_scores, 0) as resent_scores,
    x.first_exam_date,
    x.last_exam_date,
    {{ days_between('n.enrolled_on', 'x.first_exam_date') }} as days_to_first_exam,
    {{ days_between('x.first_exam_date', 'x.last_exam_date') }} as active_days,
    case
        when x.exam_records is null then 'none'
        when x.exam_records = 1 then 'single_exam'
        when x.missing_scores + x.out_of_range_scores > 0 then 'irregular'
        else 'regular'
    end as activity_level
from {{ ref('stg_enrollments') }} n
left join exams x
    on n.enrollment_id = x.enrollment_id
