"""The catalog's entries, one module per area; :mod:`scanners.catalog` joins them."""
