"""MTA-STS (RFC 8461): fetch the policy a domain's TXT record announces, and judge it.

A ``v=STSv1`` record at ``_mta-sts.DOMAIN`` tells senders to fetch
``https://mta-sts.DOMAIN/.well-known/mta-sts.txt``; only then does the policy apply. A sender
fetches it the strict way (a certificate valid for that name, status 200, no redirects, RFC
8461 3.3), so :func:`fetch_policy` does the same, and :func:`analyse_policy` reports what a
sender would conclude: no usable policy (``email.mta_sts.policy_unreachable``), a policy
only in testing mode, or one switched off with ``mode: none``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scanners.catalog import finding
from scanners.findings import Finding
from scanners.web_fetch import Fetch, Fetcher

POLICY_PATH = "/.well-known/mta-sts.txt"
MAX_POLICY_BYTES = 64 * 1024  # RFC 8461 3.3 lets senders stop reading at 64 KB
MAX_AGE_LIMIT = 31_557_600  # RFC 8461 3.2: at most about a year
MODES = frozenset({"enforce", "testing", "none"})
_MAX_AGE = re.compile(r"[0-9]{1,10}")  # RFC 8461 3.2: 1*10DIGIT, ASCII digits only


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}{POLICY_PATH}"


@dataclass(frozen=True)
class MtaStsPolicy:
    """A policy file as a sender reads it; ``problem`` says why it is unusable ("" if not)."""

    mode: str = ""
    mx: tuple[str, ...] = ()
    max_age: int | None = None
    problem: str = ""


def _clip(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def parse_policy(text: str) -> MtaStsPolicy:
    """Read ``key: value`` lines (RFC 8461 3.2); unknown keys are ignored, as senders do."""
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values.setdefault(key.strip().lower(), []).append(value.strip())
    version, mode = values.get("version", [""])[0], values.get("mode", [""])[0]
    mx = tuple(values.get("mx", []))
    age = values.get("max_age", [""])[0]
    max_age = int(age) if _MAX_AGE.fullmatch(age) else None
    problems = [
        (version != "STSv1", f"version is {_clip(version) or 'missing'}, not STSv1"),
        (mode not in MODES,
         f"mode is {_clip(mode) or 'missing'}, not enforce, testing or none"),
        (max_age is None or max_age > MAX_AGE_LIMIT,
         f"max_age is {_clip(age) or 'missing'}, not a number of seconds up to {MAX_AGE_LIMIT}"),
        (mode in ("enforce", "testing") and not mx, "no mx line names the mail servers"),
    ]
    problem = "; ".join(text for wrong, text in problems if wrong)
    return MtaStsPolicy(mode=mode, mx=mx, max_age=max_age, problem=problem)


async def fetch_policy(domain: str, fetcher: Fetcher) -> Fetch:
    """Fetch the policy as a sender would: verified certificate, no redirects, 64 KB."""
    return await fetcher.fetch(policy_url(domain), follow_redirects=False, verify=True,
                               max_bytes=MAX_POLICY_BYTES + 1)


def _read_policy(fetch: Fetch) -> tuple[MtaStsPolicy | None, str]:
    """The policy a sender would get from this fetch, or why it would get none."""
    response = fetch.final
    if response is None:
        return None, fetch.error or "no response"
    if response.status != 200:
        where = f" (redirects to {response.location}; senders do not follow)" \
            if response.location else ""
        return None, f"HTTP status {response.status}{where}"
    if response.truncated or len(response.body) > MAX_POLICY_BYTES:
        return None, f"the policy is larger than {MAX_POLICY_BYTES} bytes"
    policy = parse_policy(response.text())
    return (None, policy.problem) if policy.problem else (policy, "")


def analyse_announcements(domain: str, name: str, records: Sequence[str]) -> Finding | None:
    """Several ``v=STSv1`` records mean no policy at all (RFC 8461 3.1)."""
    if len(records) < 2:
        return None
    return finding(
        "email.mta_sts.missing", target=domain,
        evidence=f"{len(records)} v=STSv1 TXT records at {name}: "
                 + "; ".join(f'"{record[:100]}"' for record in records),
        detail=f"{domain} publishes {len(records)} MTA-STS records where there must be one; "
               "senders then apply no policy (RFC 8461 3.1).")


def analyse_policy(domain: str, fetch: Fetch) -> list[Finding]:
    """Findings for a domain whose TXT record announces MTA-STS, given the policy fetch."""
    url = policy_url(domain)
    policy, problem = _read_policy(fetch)
    if policy is None:
        return [finding(
            "email.mta_sts.policy_unreachable", target=url, evidence=f"{url}: {problem}",
            detail=f"{domain} announces MTA-STS, but a sender fetching {url} gets no usable "
                   f"policy ({problem}), so mail to {domain} is protected by none.")]
    evidence = f"{url}: mode: {policy.mode}; mx: {', '.join(policy.mx) or '-'}; " \
               f"max_age: {policy.max_age}"
    if policy.mode == "testing":
        return [finding(
            "email.mta_sts.testing", target=url, evidence=evidence,
            detail=f"The MTA-STS policy of {domain} is in testing mode: senders report TLS "
                   "failures but still deliver without TLS.")]
    if policy.mode == "none":
        return [finding(
            "email.mta_sts.missing", target=url, evidence=evidence,
            detail=f"The MTA-STS policy of {domain} has mode: none, which withdraws it "
                   "(RFC 8461 8.3); senders apply no policy.")]
    return []
