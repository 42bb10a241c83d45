-- One row per course, with a normalised course code and the scale its exams are marked on.
select
    course_id,
    {{ clean_code('course_code') }} as course_code,
    catalog_number,
    cast(substr(catalog_number, 1, 1) as int) * 100 as course_level,
    trim(title) as title,
    trim(department) as department,
    credits,
    max_score
from {{ ref('courses') }}
