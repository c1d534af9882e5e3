"""education/ selectors: the reads behind pages and exports, one module per use case: import
each from its module (`from education.selectors.hours import member_hours`).

Query counts are independent of data size.
"""
