"""Probe a vendor's domain for email, TLS, web-security and tracking-pixel risk.

A standalone package with no Flask import, used by riskapp and by ``python -m scanners``.
The probes arrive with the scanner issue; ``received_headers`` already tells from a
message's Received headers whether it travelled encrypted (``python -m scanners headers``).
"""
