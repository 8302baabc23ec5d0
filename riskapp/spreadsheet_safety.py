"""Keep exported CSV cells from running as spreadsheet formulas (CSV injection)."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: str) -> str:
    """Prefix a cell a spreadsheet would evaluate with an apostrophe, so it shows as text."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell
