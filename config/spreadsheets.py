"""Cells of the spreadsheets people download (exports, the audit trail): never a formula."""

# A cell starting with one of these is a formula in Excel, LibreOffice or Google Sheets (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """A cell value that a spreadsheet will not evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
