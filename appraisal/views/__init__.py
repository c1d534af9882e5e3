"""appraisal/ pages (Art. 27): thin — fetch within the user's reach, check, call one service.

Objects outside the user's reach are 404 (their existence is not disclosed); objects within
reach that the user may not act on are 403.

The views live in one module per use case; urls.py imports the modules.
"""
