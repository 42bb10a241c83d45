{{ config(materialized='incremental', partition_by=['event_date'], batch_size='day', tags=['engagement']) }}

-- One row per student and day of portal activity, partitioned by day and loaded incrementally:
--   elt run -s int_portal_daily_activity --start 2024-09-02 --end 2024-09-08   (a backfill, a day at a time)
--   elt run                                     (after the first load: only days newer than the table's)
--   elt run --full-refresh                      (rebuild from every day there is)
select
    student_id,
    count(*) as events,
    count(case when event_type = 'login' then 1 end) as logins,
    count(case when event_type = 'view_material' then 1 end) as materials_viewed,
    count(case when event_type = 'submit_assignment' then 1 end) as assignments_submitted,
    count(case when event_type = 'forum_post' then 1 end) as forum_posts,
    min(event_time) as first_event_at,
    max(event_time) as last_event_at,
    event_date
from {{ ref('stg_portal_events') }}
{% if var('start', none) %}
where event_date between cast('{{ var("start") }}' as date) and cast('{{ var("end") }}' as date)
{% elif is_incremental() %}
where event_date > (select max(event_date) from {{ this }})
{% endif %}
group by student_id, event_date
