"""Response headers and cookies of the final HTTPS page: the pure analysis half.

The HTTPS probe fetches the page and keeps its response headers as (name, value) pairs, in the
order the server sent them (Set-Cookie repeats, so a mapping would lose cookies);
:func:`analyse_response_headers` turns them into findings without touching the network.
Header names are compared case-insensitively. Which headers a page must send, and what a
good value looks like, is the table :data:`REQUIRED_HEADERS`; HSTS, framing, cookies and
version disclosure need more than one header or a real parse, and have checks of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scanners.catalog import finding
from scanners.findings import Finding

Headers = Sequence[tuple[str, str]]

HSTS_MIN_MAX_AGE = 31_536_000  # one year, in seconds

# Referrer-Policy tokens browsers know (W3C Referrer Policy 3); others are ignored.
REFERRER_POLICY_TOKENS = frozenset({
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url",
})
# X-Frame-Options values browsers still honour (ALLOW-FROM is ignored by current browsers).
XFO_VALUES = frozenset({"deny", "sameorigin"})
# frame-ancestors sources that let any (HTTPS) site frame the page.
OPEN_FRAME_SOURCES = frozenset({"*", "https:", "http:", "https://*", "http://*"})
# Headers whose value may name server software and its version.
VERSION_HEADERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version")
# A version: "/1.18.0", "/10.0", "/2" after a product name, or a dotted number on its own
# ("PHP 7.4.3", "Jetty(9.4.43.v20210629)"). "/7F5A" (a node id) is no version.
VERSION_PATTERN = re.compile(r"/\s*v?\d+(?:\.\d+)*(?!\w)|(?<![\w.])v?\d+(?:\.\d+)+")


# --- parsing -----------------------------------------------------------------------------------


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of header ``name`` (any case), in the order sent."""
    wanted = name.lower()
    return [value for header, value in headers if header.strip().lower() == wanted]


def _directives(policy: str) -> list[tuple[str, str]]:
    """A ';'-separated policy as (lower-case name, value) pairs; empty parts dropped."""
    pairs = []
    for part in policy.split(";"):
        words = part.split(None, 1)
        if words:
            pairs.append((words[0].lower(), words[1].strip() if len(words) > 1 else ""))
    return pairs


@dataclass(frozen=True)
class HstsPolicy:
    """A Strict-Transport-Security header as a browser reads it (RFC 6797 6.1).

    :param max_age: seconds, or None when the header has no valid max-age.
    :param problem: why the header is invalid (and so ignored by browsers), else "".
    """

    value: str
    max_age: int | None
    problem: str = ""


def parse_hsts(value: str) -> HstsPolicy:
    """Read one Strict-Transport-Security value; a missing, repeated or malformed max-age
    makes the whole header invalid, and browsers ignore it (RFC 6797 6.1)."""
    ages = []
    for part in value.split(";"):
        name, sep, raw = part.partition("=")
        if name.strip().lower() == "max-age":
            ages.append(raw.strip().strip('"') if sep else "")
    if not ages:
        return HstsPolicy(value, None, "it has no max-age directive")
    if len(ages) > 1:
        return HstsPolicy(value, None, "it repeats the max-age directive")
    if not ages[0].isascii() or not ages[0].isdigit():
        return HstsPolicy(value, None, f'its max-age "{ages[0][:40]}" is not a number of seconds')
    # Beyond 15 digits it is "forever" (and int() refuses thousands of digits).
    return HstsPolicy(value, int(ages[0]) if len(ages[0]) <= 15 else 10**15)


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header (RFC 6265 5.2): the cookie's name and the attributes that matter.

    :param samesite: the last SameSite value, lower-cased ("strict", "lax", "none"), or ""
        when absent or not one of those (browsers ignore an unknown value).
    :param expired: Max-Age is zero or negative: the server is deleting the cookie.
    """

    header: str
    name: str
    value: str
    secure: bool
    httponly: bool
    samesite: str
    expired: bool

    def problems(self) -> list[str]:
        """What this cookie lacks, in words; empty when it is set safely."""
        lacking = [flag for flag, present in (
            ("Secure", self.secure), ("HttpOnly", self.httponly), ("SameSite", self.samesite),
        ) if not present]
        if self.samesite == "none" and not self.secure:
            lacking.append("SameSite=None without Secure")
        return lacking

    def redacted(self) -> str:
        """The header with the cookie's value hidden: evidence, not a usable session token."""
        attributes = self.header.split(";", 1)[1:]
        return ";".join([f"{self.name}=<{len(self.value)} chars>", *attributes])


def parse_set_cookie(header: str) -> SetCookie:
    """Parse one Set-Cookie value: the first '=' splits name from value (values may hold '='),
    attribute names are case-insensitive, the last of a repeated attribute wins."""
    pair, *attributes = header.split(";")
    name, sep, value = pair.partition("=")
    if not sep:  # RFC 6265bis 5.6: no '=' means an empty name and this as the value
        name, value = "", pair
    secure = httponly = expired = False
    samesite = ""
    for attribute in attributes:
        key, _, raw = attribute.partition("=")
        key, raw = key.strip().lower(), raw.strip()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite":
            samesite = raw.lower() if raw.lower() in ("strict", "lax", "none") else ""
        elif key == "max-age" and re.fullmatch(r"-?\d+", raw):
            expired = raw.startswith("-") or not raw.strip("0")  # zero or less deletes it
    return SetCookie(header=header.strip(), name=name.strip(), value=value.strip(),
                     secure=secure, httponly=httponly, samesite=samesite, expired=expired)


# --- the checks --------------------------------------------------------------------------------


def analyse_response_headers(url: str, headers: Headers) -> list[Finding]:
    """Every finding the final HTTPS page's response ``headers`` support, for ``url``."""
    return [found for check in _CHECKS for found in check(url, headers)]


def _quote(name: str, values: Sequence[str]) -> str:
    return "; ".join(f'"{name}: {value}"' for value in values)


def _absent(url: str, name: str) -> str:
    return f"no {name} header in the response from {url}"


@dataclass(frozen=True)
class HeaderRule:
    """A header the page must send, and what a good value of it looks like.

    :param accepts: whether the header's values, in the order sent, do their job.
    :param wanted: a good value, in words for the detail.
    :param lookalike: a header that may be present instead but does not count, and why.
    """

    finding_id: str
    header: str
    accepts: Callable[[list[str]], bool]
    wanted: str
    lookalike: tuple[str, str] | None = None


def _nosniff(values: list[str]) -> bool:
    # Fetch spec: the values are combined and split on ','; only the first item counts.
    first = ",".join(values).split(",")[0]
    return first.strip().lower() == "nosniff"


def _has_directive(values: list[str]) -> bool:
    return any(_directives(value) for value in values)


def _known_referrer_policy(values: list[str]) -> bool:
    tokens = (token.strip().lower() for value in values for token in value.split(","))
    return any(token in REFERRER_POLICY_TOKENS for token in tokens)


REQUIRED_HEADERS: tuple[HeaderRule, ...] = (
    HeaderRule("web.csp.missing", "Content-Security-Policy", _has_directive,
               "a policy with at least one directive",
               ("Content-Security-Policy-Report-Only",
                "only reports violations and blocks nothing, so it does not count")),
    HeaderRule("web.headers.xcto_missing", "X-Content-Type-Options", _nosniff, '"nosniff"'),
    HeaderRule("web.headers.referrer_policy_missing", "Referrer-Policy",
               _known_referrer_policy, "a policy browsers know, such as "
               '"strict-origin-when-cross-origin"'),
)


def _check_required(url: str, headers: Headers) -> list[Finding]:
    return [found for rule in REQUIRED_HEADERS
            if (found := _required_finding(url, headers, rule)) is not None]


def _required_finding(url: str, headers: Headers, rule: HeaderRule) -> Finding | None:
    values = header_values(headers, rule.header)
    if values and rule.accepts(values):
        return None
    if values:
        evidence = _quote(rule.header, values)
        detail = f"The page sends {rule.header}, but not {rule.wanted}."
    else:
        evidence = _absent(url, rule.header)
        detail = f"The page at {url} sends no {rule.header} header."
    if rule.lookalike is not None and (seen := header_values(headers, rule.lookalike[0])):
        evidence += "; " + _quote(rule.lookalike[0], seen)
        detail += f" It sends {rule.lookalike[0]}, which {rule.lookalike[1]}."
    return finding(rule.finding_id, target=url, evidence=evidence, detail=detail)


def _check_hsts(url: str, headers: Headers) -> list[Finding]:
    name = "Strict-Transport-Security"
    values = header_values(headers, name)
    if not values:
        return [finding("web.hsts.missing", target=url, evidence=_absent(url, name),
                        detail=f"The page at {url} sends no {name} header.")]
    policy = parse_hsts(values[0])  # RFC 6797 8.1: only the first header is processed
    evidence = _quote(name, values)
    if policy.max_age is None:
        return [finding("web.hsts.missing", target=url, evidence=evidence,
                        detail=f"The page sends {name}, but {policy.problem}, so browsers "
                               "ignore it: it counts as no HSTS at all.")]
    if policy.max_age < HSTS_MIN_MAX_AGE:
        return [finding("web.hsts.short_max_age", target=url, evidence=evidence,
                        detail=f"HSTS max-age is {policy.max_age} seconds "
                               f"({policy.max_age // 86_400} whole days); at least "
                               f"{HSTS_MIN_MAX_AGE} (one year) is expected.")]
    return []


def _frame_ancestors(values: list[str]) -> list[str]:
    """The frame-ancestors source lists of the enforced CSP headers."""
    return [sources for value in values for name, sources in _directives(value)
            if name == "frame-ancestors"]


def _restricts(sources: str) -> bool:
    """Whether a frame-ancestors source list keeps some site out (empty means 'none')."""
    words = set(sources.split())
    return not words or not words <= OPEN_FRAME_SOURCES


def _check_framing(url: str, headers: Headers) -> list[Finding]:
    csp = header_values(headers, "Content-Security-Policy")
    ancestors = _frame_ancestors(csp)
    if any(_restricts(sources) for sources in ancestors):
        return []  # browsers then ignore X-Frame-Options (CSP 3, frame-ancestors)
    xfo = header_values(headers, "X-Frame-Options")
    if xfo and {v.strip().lower() for v in ",".join(xfo).split(",")} <= XFO_VALUES:
        return []
    seen = []
    if xfo:
        seen.append((_quote("X-Frame-Options", xfo),
                     f'X-Frame-Options "{", ".join(xfo)}", which browsers do not honour'))
    if ancestors:
        seen.append((_quote("Content-Security-Policy", csp),
                     f'frame-ancestors "{"; ".join(ancestors)}", which lets any site frame it'))
    if not seen:
        return [finding(
            "web.headers.xfo_missing", target=url,
            evidence=f"neither X-Frame-Options nor a Content-Security-Policy frame-ancestors "
                     f"directive in the response from {url}",
            detail=f"The page at {url} sends neither X-Frame-Options nor a CSP "
                   "frame-ancestors directive.")]
    return [finding("web.headers.xfo_missing", target=url,
                    evidence="; ".join(evidence for evidence, _ in seen),
                    detail=f"The page at {url} sends only "
                           + " and ".join(words for _, words in seen) + ".")]


def _check_cookies(url: str, headers: Headers) -> list[Finding]:
    cookies = [parse_set_cookie(value) for value in header_values(headers, "Set-Cookie")]
    weak = [(cookie, problems) for cookie in cookies
            if not cookie.expired and (problems := cookie.problems())]
    if not weak:
        return []
    listed = "; ".join(f"{cookie.name or '(unnamed)'} lacks {', '.join(problems)}"
                       for cookie, problems in weak)
    plural = "cookie is set without the flags that protect it" if len(weak) == 1 else (
        "cookies are set without the flags that protect them")
    return [finding("web.cookies.insecure", target=url,
                    evidence=_quote("Set-Cookie", [cookie.redacted() for cookie, _ in weak]),
                    detail=f"{len(weak)} {plural}: {listed}.")]


def _check_versions(url: str, headers: Headers) -> list[Finding]:
    disclosed = [(name, value) for name in VERSION_HEADERS
                 for value in header_values(headers, name) if VERSION_PATTERN.search(value)]
    if not disclosed:
        return []
    names = ", ".join(dict.fromkeys(name for name, _ in disclosed))
    return [finding("web.server.version_disclosed", target=url,
                    evidence="; ".join(_quote(name, [value]) for name, value in disclosed),
                    detail=f"The {names} header names software with its version.")]


_CHECKS: tuple[Callable[[str, Headers], list[Finding]], ...] = (
    _check_hsts, _check_required, _check_framing, _check_cookies, _check_versions,
)
