-- One row per exam: the exam system re-sends corrected results under the same exam_id, so only the
-- latest recorded version of each exam is kept. Scores are not range-checked here (that needs the
-- course's max_score); see int_scores_checked.
with source as (

    select * from {{ source('raw', 'exam_scores') }}

),

versioned as (

    select
        exam_id,
        enrollment_id,
        exam_date,
        {{ clean_text('exam_type') }} as exam_type,
        cast(score as double) as score,
        recorded_at,
        count(*) over (partition by exam_id) as record_versions,
        -- recorded_at decides; the score only breaks a tie between identical re-sends.
        row_number() over (
            partition by exam_id
            order by recorded_at desc, coalesce(score, -1) desc
        ) as version_rank
    from source

)

select
    exam_id,
    enrollment_id,
    exam_date,
    {{ month_of('exam_date') }} as exam_month,
    exam_type,
    score,
    recorded_at,
    record_versions
from versioned
where version_rank = 1
