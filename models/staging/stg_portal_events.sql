-- One row per learning-portal event, typed and with the event type normalised.
select
    event_id,
    student_id,
    lower(trim(event_type)) as event_type,
    cast(event_time as timestamp) as event_time,
    cast(event_date as date) as event_date
from {{ source('raw', 'portal_events') }}
