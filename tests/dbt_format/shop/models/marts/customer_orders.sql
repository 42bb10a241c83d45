{{ config(post_hook="insert into {{ target.schema }}.audit_log values ('{{ this.name }}', 'post')") }}

with orders as (
    select * from {{ ref('stg_orders') }}
),

paid as (
    select order_id, sum(amount) as amount
    from {{ ref('stg_payments') }}
    group by order_id
)

select
    {{ shop_utils.surrogate_key(['c.customer_id', 'c.email']) }} as customer_key,
    c.customer_id,
    c.first_name,
    min(o.ordered_at) as first_ordered_at,
    count(o.order_id) as order_count,
    coalesce(sum(case when o.status in ({{ "'" ~ var('completed_statuses') | join("', '") ~ "'" }})
                      then p.amount end), 0) as lifetime_value,
    '{{ var("currency") }}' as currency
from {{ ref('stg_customers') }} c
left join orders o on o.customer_id = c.customer_id
left join paid p on p.order_id = o.order_id
group by c.customer_id, c.email, c.first_name
