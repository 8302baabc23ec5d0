"""The scanners package stands alone: riskapp uses it, not the other way round."""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "scanners", "scanners.__main__", "scanners.addresses", "scanners.catalog",
    "scanners.dns_probe", "scanners.mail_records", "scanners.received_headers",
    "scanners.smtp_probe", "scanners.scan", "scanners.tracking", "scanners.web_headers",
)


def test_importing_every_scanner_module_loads_neither_flask_nor_riskapp() -> None:
    code = (
        f"import importlib, sys\nfor name in {MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'riskapp')))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter running our own code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
