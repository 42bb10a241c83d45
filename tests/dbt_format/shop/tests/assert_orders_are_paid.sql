-- Every order that left the warehouse has at least one payment.
select o.order_id
from {{ ref('stg_orders') }} o
left join {{ ref('stg_payments') }} p on p.order_id = o.order_id
where o.status in ('shipped', 'delivered') and p.payment_id is null
