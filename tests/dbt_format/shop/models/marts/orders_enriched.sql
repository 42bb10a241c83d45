{{ config(alias='orders') }}

select
    {{ shop_utils.columns_except(ref('stg_orders'), ['status']) }},
    {{ shop_utils.iso_weekday('ordered_at') }} as ordered_weekday,
    {{ dbt.dateadd('day', 14, 'cast(ordered_at as date)') }} as return_deadline,
    status = 'returned' as is_returned
from {{ ref('stg_orders') }}
