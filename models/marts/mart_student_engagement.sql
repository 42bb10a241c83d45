{{ config(tags=['reporting', 'engagement']) }}

-- Portal engagement per student over every loaded day, with the students who never logged in.
with activity as (

    select
        student_id,
        count(*) as active_days,
        cast(sum(events) as bigint) as events,
        cast(sum(logins) as bigint) as logins,
        cast(sum(assignments_submitted) as bigint) as assignments_submitted,
        min(event_date) as first_active_on,
        max(event_date) as last_active_on
    from {{ ref('int_portal_daily_activity') }}
    group by student_id

)

select
    s.student_id,
    s.full_name,
    coalesce(a.active_days, 0) as active_days,
    coalesce(a.events, 0) as events,
    coalesce(a.logins, 0) as logins,
    coalesce(a.assignments_submitted, 0) as assignments_submitted,
    a.first_active_on,
    a.last_active_on,
    a.active_days is null as never_active
from {{ ref('stg_students') }} s
left join activity a
    on s.student_id = a.student_id
