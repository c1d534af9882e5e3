"""Reads behind appraisal pages and exports, one module per use case: import each from its
module (`from appraisal.selectors.ballot import tally`).

Each function runs a fixed number of queries whatever the size of the branch (the pages'
query-count tests pin them at two data sizes).
"""
