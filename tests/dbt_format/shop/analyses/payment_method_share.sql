-- Share of revenue per payment method, for the monthly report.
select
    payment_method,
    sum(amount) as revenue,
    round(100 * sum(amount) / sum(sum(amount)) over (), 1) as share_pct
from {{ ref('stg_payments') }}
group by payment_method
