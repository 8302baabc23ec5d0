"""``python -m scanners headers``: a table or JSON on stdout, one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOTMAIL = Path(__file__).parent / "samples" / "received-hotmail-proofpoint-provider.txt"


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "scanners", *args],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )


def test_headers_prints_a_table_oldest_hop_first_and_a_summary() -> None:
    result = _run("headers", str(HOTMAIL))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "from", "->", "by", "protocol", "verdict"]
    assert lines[1].startswith("1*  BAY403-EAS373 [65.54.190.199] -> bay0-omc4-s14")
    assert "not recorded: probably not encrypted" in lines[2]
    assert "encrypted: some SSL/TLS version (TLSv1/SSLv3), DHE-RSA-AES256-SHA, 256 bits" in lines[3]
    assert lines[-1].startswith("Not every hop between providers was encrypted")


def test_headers_json_is_the_report() -> None:
    result = _run("headers", "--json", str(HOTMAIL))
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert [hop["verdict"] for hop in report["hops"]] == [
        "internal", "not_recorded", "encrypted", "internal", "internal", "internal"]
    assert report["hops"][2]["tls"]["cipher"] == "DHE-RSA-AES256-SHA"
    assert report["hops"][0]["timestamp"] == "2019-08-19T07:41:19-07:00"
    assert report["all_inter_provider_encrypted"] is False


def test_headers_reads_stdin_given_a_dash() -> None:
    result = _run("headers", "-", stdin=HOTMAIL.read_text(encoding="utf-8"))
    assert result.returncode == 0
    assert "DHE-RSA-AES256-SHA" in result.stdout


def test_missing_file_exits_2_with_one_line() -> None:
    result = _run("headers", str(ROOT / "no-such-file.txt"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "cannot read" in result.stderr


def test_input_without_received_headers_exits_2_with_one_line() -> None:
    result = _run("headers", "-", stdin="Subject: hello\n\nbody\n")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: -: no Received headers found"]
