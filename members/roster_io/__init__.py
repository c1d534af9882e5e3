"""Roster import (CSV / XLSX -> members, all or nothing) and export (members -> CSV / XLSX).

File format (`format`): one header row, then one member per row. Headers are recognised in
Chinese (姓名, 性别, ...) or English (full_name / "Full name", ...), in any order; unknown
columns are ignored. `reading` turns a file into rows, `importing` validates every row and
creates the members, `export` writes CSV / XLSX and the import template. Import from here:
`from members import roster_io; roster_io.read_table(...)`.
"""

from .export import (
    ROSTER_WIDTHS,
    export_csv,
    export_headers,
    export_rows,
    export_sheet,
    import_template_sheets,
)
from .format import (
    COLUMNS,
    DATE_FORMATS,
    EDUCATION_WORDS_ZH,
    EXPORT_BRANCH_HEADER,
    GENDER_WORDS_ZH,
    MAX_ROWS,
    STATUS_WORDS_ZH,
    Column,
    ImportFileError,
    column_headers,
    preview_columns,
)
from .importing import (
    ImportRow,
    ImportRowForm,
    import_members,
    validate_rows,
)
from .reading import (
    read_table,
)

__all__ = [
    "COLUMNS",
    "DATE_FORMATS",
    "EDUCATION_WORDS_ZH",
    "EXPORT_BRANCH_HEADER",
    "GENDER_WORDS_ZH",
    "MAX_ROWS",
    "ROSTER_WIDTHS",
    "STATUS_WORDS_ZH",
    "Column",
    "ImportFileError",
    "ImportRow",
    "ImportRowForm",
    "column_headers",
    "export_csv",
    "export_headers",
    "export_rows",
    "export_sheet",
    "import_members",
    "import_template_sheets",
    "preview_columns",
    "read_table",
    "validate_rows",
]
