"""Risk reports: the vendor due-diligence PDF (and, later, the portfolio report)."""
