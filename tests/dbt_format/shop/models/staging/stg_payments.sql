{{ config(
    pre_hook="insert into {{ target.schema }}.audit_log values ('{{ this.name }}', 'pre')",
    post_hook=["insert into {{ target.schema }}.audit_log values ('{{ this.name }}', 'post')"]
) }}
select
    id as payment_id,
    order_id,
    method as payment_method,
    cast(amount_cents as decimal(10, 2)) / 100 as amount
from {{ ref('raw_payments') }}
