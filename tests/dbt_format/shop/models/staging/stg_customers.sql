select
    id as customer_id,
    first_name,
    last_name,
    lower(email) as email,
    cast(signed_up_on as date) as signed_up_on
from {{ source('shop_raw', 'raw_customers') }}
