"""Check a signed Business Associate Agreement against the clauses HIPAA requires of it.

Pure functions, no Flask and no database: `extract_text` reads a PDF's text layer,
`check_clauses` finds, for every clause of `CLAUSES`, the sentence of the agreement that says
it. The result pre-fills a checklist that the officer confirms or corrects: the patterns are
signs of a clause, not a legal reading of it.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from dataclasses import dataclass

from pypdf import PdfReader

SENTENCE_LIMIT = 400  # characters of a matched sentence shown to the officer, "…" included
# A page with fewer letters than this has no usable text layer: a scan may still carry a
# stamped page number or a Bates label.
_MIN_LETTERS_PER_PAGE = 25


@dataclass(frozen=True)
class Clause:
    """A provision the checklist asks about.

    :param key: stable id stored in the database.
    :param requirement: one sentence in plain words: what the agreement must say.
    """

    key: str
    title: str
    citation: str
    requirement: str


CLAUSES: tuple[Clause, ...] = (
    Clause("permitted_uses", "Permitted and required uses and disclosures",
           "45 CFR 164.504(e)(2)(i), (e)(2)(ii)(A)",
           "The agreement must state the uses and disclosures of PHI the business associate may "
           "make, and forbid any other use or disclosure than it permits or the law requires."),
    Clause("safeguards", "Appropriate safeguards",
           "45 CFR 164.504(e)(2)(ii)(B), 164.314(a)(2)(i)(A)",
           "The business associate must use appropriate safeguards against any use or disclosure "
           "the agreement does not provide for, and comply with the Security Rule (Subpart C) for "
           "electronic PHI."),
    Clause("breach_reporting", "Reporting of improper uses, security incidents and breaches",
           "45 CFR 164.504(e)(2)(ii)(C), 164.314(a)(2)(i)(C), 164.410",
           "The business associate must report any use or disclosure the agreement does not "
           "provide for, any security incident, and any breach of unsecured PHI (at most 60 days "
           "after discovery)."),
    Clause("subcontractors", "Subcontractors bound by the same terms",
           "45 CFR 164.504(e)(2)(ii)(D), 164.314(a)(2)(i)(B), 164.502(e)(1)(ii)",
           "The business associate must ensure that every subcontractor handling the PHI agrees "
           "to the same restrictions, conditions and requirements."),
    Clause("access_amendment", "Access, amendment and accounting of disclosures",
           "45 CFR 164.504(e)(2)(ii)(E)-(G)",
           "The business associate must make PHI available so that individuals can see and amend "
           "it, and provide what is needed for an accounting of disclosures."),
    Clause("privacy_rule_obligations", "Privacy Rule duties done for the covered entity",
           "45 CFR 164.504(e)(2)(ii)(H)",
           "Where the business associate carries out a duty of the covered entity under the "
           "Privacy Rule (Subpart E), it must comply with the rules that bind the covered entity."),
    Clause("books_records", "Books and records available to HHS",
           "45 CFR 164.504(e)(2)(ii)(I)",
           "The business associate must make its internal practices, books and records about the "
           "PHI available to the Secretary of HHS."),
    Clause("return_destruction", "Return or destruction of PHI at termination",
           "45 CFR 164.504(e)(2)(ii)(J)",
           "At termination the business associate must return or destroy all PHI, or, where that "
           "is infeasible, extend the agreement's protections to what it keeps."),
    Clause("termination", "Termination if the business associate violates the agreement",
           "45 CFR 164.504(e)(2)(iii)",
           "The covered entity must be allowed to terminate the agreement if the business "
           "associate violates a material term."),
    Clause("audit_access", "Covered entity's right to audit",
           "contract practice",
           "Not required by the rule but expected in a sound contract: the covered entity may "
           "audit or inspect the business associate's compliance."),
)
CLAUSE_KEYS: frozenset[str] = frozenset(item.key for item in CLAUSES)
_BY_KEY = {item.key: item for item in CLAUSES}


def clause(key: str) -> Clause:
    """Return the clause with this key; raise KeyError for an unknown key."""
    return _BY_KEY[key]


@dataclass(frozen=True)
class Extraction:
    """The text layer of an uploaded PDF.

    :param text: all pages' text joined with a newline (whatever little was read, if anything).
    :param problem: ``None`` when text was read, else a sentence for the officer saying why not.
    """

    text: str
    pages: int
    problem: str | None

    @property
    def has_text(self) -> bool:
        return self.problem is None


def extract_text(content: bytes) -> Extraction:
    """Read the text layer of a PDF; report an unreadable, encrypted or scanned file plainly."""
    if not content.strip():
        return _unreadable("the file is empty")
    if b"%PDF-" not in content[:1024]:
        return _unreadable("it does not start like a PDF")
    with warnings.catch_warnings():
        # pypdf warns about every irregularity it repairs; a repaired file is a read file.
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted and not reader.decrypt(""):
                return Extraction("", 0, "This PDF is encrypted with a password: ask for a copy "
                                         "without one, or check the clauses by reading it.")
            texts = [page.extract_text() or "" for page in reader.pages]
            if not texts:
                return _unreadable("it has no pages")
        # pypdf raises many kinds of errors on damaged or hostile files, not only PdfReadError.
        except Exception as error:
            return _unreadable(_reason(error))
    text = "\n".join(texts)
    if all(sum(char.isalpha() for char in page) < _MIN_LETTERS_PER_PAGE for page in texts):
        return Extraction(text, len(texts), "This PDF has no text layer (it looks scanned): "
                                            "the clauses must be checked by reading it.")
    return Extraction(text, len(texts), None)


def _unreadable(reason: str) -> Extraction:
    return Extraction("", 0, f"This file could not be read as a PDF: {reason}.")


def _reason(error: Exception) -> str:
    detail = " ".join(str(error).split()).rstrip(".")[:200] or type(error).__name__
    return f"it is damaged or incomplete ({detail})"


# Sentences ---------------------------------------------------------------------------------

# "disclo-\nsure" is one word broken by the layout; "HITECH-\nAct" keeps its hyphen.
_LINE_END_HYPHEN = re.compile(r"(\w)[-\u2010]\n[ \t]*(?=[a-z])")
_LINE_END_COMPOUND = re.compile(r"(\w)[-\u2010]\n[ \t]*(?=[A-Z0-9])")
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?|-\s*\d{1,4}\s*-", re.I)
# A clause number at the start of a line: "4.", "4.2", "(a)", "(iv)", "b.", a bullet.
_ENUMERATION = re.compile(r"(?:\d{1,2}\.(?:\d{1,2}\.?)*|\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)"
                          r"|[a-zA-Z]\.|[•·–*])\s")
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"“'(]?[A-Z0-9])"
                       r"|;\s+(?=(?:and\s+|or\s+)?\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s)")
_ABBREVIATIONS = frozenset({
    "art.", "co.", "corp.", "dr.", "etc.", "fed.", "inc.", "l.", "ltd.", "mr.", "ms.", "no.",
    "nos.", "p.", "para.", "pp.", "pub.", "reg.", "sec.", "seq.", "st.", "stat.", "v.", "vs.",
})
_INITIALISM = re.compile(r"(?:[a-z]\.){2,}")  # e.g. i.e. c.f.r. u.s.c.


def split_sentences(text: str) -> list[str]:
    """Split a PDF's text into whitespace-collapsed sentences.

    Rejoins words hyphenated at a line end, joins lines that wrap a sentence, drops page
    numbers, starts a new block at a numbered clause or after a short line such as a heading,
    and does not split at abbreviations ("e.g.", "C.F.R.", "Sec.") or clause numbers ("4.2").
    """
    text = "\n".join(text.replace("\u00ad", "").splitlines())
    text = _LINE_END_HYPHEN.sub(r"\1", text)
    text = _LINE_END_COMPOUND.sub(r"\1-", text)
    return [sentence for block in _blocks(text) for sentence in _split_block(block)]


def _blocks(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if not _PAGE_NUMBER.fullmatch(line)]
    widths = sorted(len(line) for line in lines if line)
    # Wrapped lines run close to the full width; a line well short of it ends its block.
    short = 0.6 * widths[int(0.9 * (len(widths) - 1))] if widths else 0
    blocks: list[str] = []
    current: list[str] = []
    for line, following in itertools.pairwise([*lines, ""]):
        if not line or _ENUMERATION.match(line):
            blocks.append(" ".join(current))
            current = []
        if line:
            current.append(line)
        if len(line) < short and re.match(r"[\"“(]?[A-Z0-9]", following):
            blocks.append(" ".join(current))
            current = []
    blocks.append(" ".join(current))
    return [block for block in blocks if block]


def _split_block(block: str) -> list[str]:
    lead = _ENUMERATION.match(block)
    start, sentences = 0, []
    for boundary in _BOUNDARY.finditer(block, lead.end() if lead else 0):
        word = block[start:boundary.start() + 1].rsplit(None, 1)[-1].lstrip("(\"“").lower()
        if boundary.group().startswith(".") and (
                word in _ABBREVIATIONS or _INITIALISM.fullmatch(word)):
            continue
        sentences.append(block[start:boundary.end()].strip())
        start = boundary.end()
    sentences.append(block[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _is_heading(sentence: str) -> bool:
    """Tell a heading ("4. Return or Destruction of PHI") from a sentence that says something."""
    words = [word for word in sentence.split() if any(char.isalpha() for char in word)]
    return (sentence[-1] not in ".;:!?" and len(words) <= 12
            and all(word[0].isupper() for word in words if len(word) > 3))


def _excerpt(sentence: str, at: int) -> str:
    """Cut a long sentence at a word, keeping the place that matched (``at``) in view."""
    if len(sentence) <= SENTENCE_LIMIT:
        return sentence
    head = ""
    if at > SENTENCE_LIMIT // 2 and (cut := sentence.rfind(" ", 0, at - 60)) > 0:
        sentence, head = sentence[cut + 1:], "…"
        if len(head + sentence) <= SENTENCE_LIMIT:
            return head + sentence
    body = sentence[:SENTENCE_LIMIT - len(head) - 1]
    if (space := body.rfind(" ")) > 0:
        body = body[:space]
    return head + body.rstrip(" ,;:") + "…"


# Clauses -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Signs:
    """What a clause's sentence looks like.

    One `core` pattern must hit; `support` patterns rank the candidates; an `exclude` pattern
    rules a sentence out.
    """

    core: tuple[re.Pattern[str], ...]
    support: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()


def _rx(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


_PHI = r"(?:protected\s+health\s+information|e?phi)"
_MAY = r"(?:may|can|right\s+to|entitled\s+to|reserves\s+the\s+right\s+to)"
# "breaches a material term", "breach of this Agreement": the contract, not a breach of PHI.
_NOT_A_BREACH_OF_CONTRACT = (r"(?!(?:\s+(?:of|a|an|any|this|the|its|their|such))*\s+"
                             r"(?:material|agreement|contract|obligations?|terms?|duties|"
                             r"provisions?)\b)")
_SIGNS: dict[str, _Signs] = {
    "permitted_uses": _Signs(
        core=_rx(r"\bnot\s+(?:to\s+)?use\s+or\s+(?:further\s+)?disclose\b.{0,150}?"
                 r"\b(?:other\s+than|except)\b",
                 r"\b(?:may|shall|will)\s+(?:only\s+)?use\s+(?:and|or|and/or)\s+(?:further\s+)?"
                 r"disclose\b.{0,200}?\b(?:only|solely|as\s+(?:necessary|permitted|required|"
                 r"specified|set\s+forth))\b",
                 r"\bpermitted\s+(?:and|or)\s+required\s+uses\b"),
        support=_rx(r"\bpermitted\s+or\s+required\s+by\s+(?:this|the)\s+agreement\b",
                    r"\brequired\s+by\s+law\b", r"\bon\s+behalf\s+of\b")),
    "safeguards": _Signs(
        core=_rx(r"\b(?:use|implement|maintain|employ|establish|adopt)\s+(?!of\b)"
                 r"(?:[\w-]+,?\s+){0,7}?safeguards\b",
                 r"\bsafeguards\b.{0,150}?\bprevent\b.{0,60}?\b(?:use|disclosure)\b",
                 r"\bcomply\b.{0,100}?\b(?:subpart\s+c\b|security\s+rule\b)"),
        support=_rx(r"\badministrative,?\s+physical,?\s+and\s+technical\b",
                    r"\bconfidentiality,\s+integrity,?\s+and\s+availability\b",
                    r"\belectronic\s+" + _PHI),
        exclude=_rx(r"\b(?:subcontractors?|agents?)\b.{0,200}?\bagree")),
    "breach_reporting": _Signs(
        core=_rx(r"\b(?:report|notif(?:y|ies|ication)|notice)\w*\b.{0,200}?"
                 r"(?:\bsecurity\s+incidents?\b|\bbreach(?:es)?\b" + _NOT_A_BREACH_OF_CONTRACT
                 + r"|\buse\s+or\s+disclosure\b.{0,80}?\bnot\s+(?:provided|permitted|authorized))",
                 r"\b(?:security\s+incidents?|breach(?:es)?\s+of\s+unsecured)\b.{0,200}?"
                 r"\b(?:report|notif(?:y|ication)|notice)\w*"),
        support=_rx(r"\bunsecured\s+" + _PHI, r"\b164\.410\b", r"\bdiscover(?:y|ed|s)?\b",
                    r"\bwithin\s+(?:\w+\s+)?(?:\(\d+\)\s+)?(?:calendar\s+|business\s+)?"
                    r"(?:days|hours)\b")),
    "subcontractors": _Signs(
        core=_rx(r"\b(?:subcontractors?|agents?)\b.{0,250}?\b(?:same|identical|substantially\s+"
                 r"(?:the\s+same|similar))\s+(?:\w+\s+){0,2}?(?:restrictions|conditions|"
                 r"requirements|terms|obligations)\b",
                 r"\bensure\b.{0,80}?\b(?:subcontractors?|agents?)\b.{0,250}?\bagree",
                 r"\b(?:agreement|contract)\s+with\s+(?:each|any|all|such|its)\s+(?:of\s+its\s+)?"
                 r"subcontractors?\b",
                 r"\bsatisfactory\s+assurances?\b.{0,200}?\bsubcontractors?\b"),
        support=_rx(r"\b164\.502\(e\)\(1\)\(ii\)", r"\b164\.308\(b\)\(2\)", r"\bflow[- ]?down\b",
                    r"\bcreate,\s+receive,\s+maintain,?\s+or\s+transmit\b")),
    "access_amendment": _Signs(
        core=_rx(r"\b(?:make|makes|provide|provides|furnish)\b.{0,200}?\bdesignated\s+record\s+set\b",
                 r"\bdesignated\s+record\s+set\b.{0,200}?\b(?:available|amend\w*|access)\b",
                 r"\b(?:access|amend\w*|accounting)\b.{0,250}?\b164\.52[468]\b",
                 r"\b(?:provide|make|document|maintain)\w*\b.{0,150}?\baccounting\s+of\s+"
                 r"(?:such\s+)?disclosures\b",
                 r"\bincorporate\s+(?:any\s+)?amendments?\b"),
        support=_rx(r"\b164\.52[468]\b", r"\bindividuals?\b",
                    r"\binspect\s+(?:and|or)\s+(?:obtain\s+a\s+)?cop(?:y|ies)\b")),
    "privacy_rule_obligations": _Signs(
        core=_rx(r"\bcarr(?:y|ies)\s+out\b.{0,200}?\bobligations?\b.{0,200}?"
                 r"\b(?:subpart\s+e|privacy\s+rule)\b",
                 r"\bcomply\b.{0,150}?\b(?:subpart\s+e|privacy\s+rule)\b.{0,200}?"
                 r"\bappl(?:y|ies|icable)\s+to\s+(?:the\s+)?covered\s+entity\b"),
        support=_rx(r"\bperformance\s+of\s+such\s+obligations?\b")),
    "books_records": _Signs(
        core=_rx(r"\binternal\s+practices,?\s+books,?\s+and\s+records\b",
                 r"\bbooks\s+and\s+records\b.{0,250}?\b(?:secretary|hhs|health\s+and\s+human)",
                 r"\bavailable\s+to\s+the\s+secretary\b"),
        support=_rx(r"\bdetermin\w*\b.{0,100}?\bcompliance\b", r"\bsecretary\b")),
    "return_destruction": _Signs(
        core=_rx(r"\breturn\b.{0,80}?\bor\b.{0,40}?\bdestr(?:oy|uction)\b",
                 r"\bdestr(?:oy|uction)\b.{0,40}?\bor\s+return",
                 r"\bdestroy\s+(?:all|any|such)\s+" + _PHI,
                 r"\binfeasible\b.{0,250}?\bextend\b.{0,60}?\bprotections\b",
                 r"\bextend\b.{0,60}?\bprotections\b.{0,250}?\binfeasible\b"),
        support=_rx(r"\bterminat\w*\b", r"\bretain\s+no\s+copies\b", r"\bnot\s+feasible\b")),
    "termination": _Signs(
        core=_rx(r"\b" + _MAY + r"\s+(?:\w+\s+){0,3}?terminat(?:e|ed)\b.{0,300}?"
                 r"\b(?:violat\w*|breach\w*|material\s+term|for\s+cause)",
                 r"\b(?:violat\w*|breach\w*)\b.{0,300}?\b" + _MAY
                 + r"\s+(?:\w+\s+){0,3}?terminat(?:e|ed)\b",
                 r"\bauthoriz\w*\s+(?:the\s+)?terminat\w*\b.{0,300}?\b(?:violat|breach)\w*",
                 r"\bmaterial\s+(?:breach|violation)\b.{0,300}?\bterminat(?:e|ed)\b"),
        support=_rx(r"\bmaterial\s+term\b", r"\bcure\b", r"\breasonable\s+steps\b")),
    "audit_access": _Signs(
        core=_rx(r"\bcovered\s+entity\b.{0,100}?\b(?:may|(?:shall\s+have|has)\s+the\s+right\s+to"
                 r"|right\s+to|entitled\s+to|reserves\s+the\s+right\s+to)\s+(?:\w+\s+){0,4}?"
                 r"(?:audit|inspect|examine)\w*\b",
                 r"\b(?:permit|allow|enable)s?\s+covered\s+entity\b.{0,100}?"
                 r"\b(?:audit|inspect|examine)\w*\b",
                 r"\bcovered\s+entity(?:'s|’s)?\s+(?:audit|inspection)\s+rights?\b",
                 r"\b(?:audits?|inspections?)\s+(?:\w+\s+){0,3}?by\s+covered\s+entity\b"),
        support=_rx(r"\breasonable\s+(?:prior\s+)?(?:written\s+)?notice\b",
                    r"\b(?:facilities|systems|policies|procedures|premises)\b",
                    r"\bcompliance\b"),
        exclude=_rx(r"\bindividuals?\b")),
}


@dataclass(frozen=True)
class ClauseMatch:
    """A clause and the sentence of the agreement that says it (``None``: not found).

    :param sentence: whitespace-collapsed, cut at a word with "…" past `SENTENCE_LIMIT`.
    """

    clause: Clause
    sentence: str | None


def check_clauses(text: str) -> tuple[ClauseMatch, ...]:
    """Find each clause's sentence in an agreement's text: one match per `CLAUSES` entry."""
    sentences = [sentence for sentence in split_sentences(text) if not _is_heading(sentence)]
    return tuple(ClauseMatch(item, _best_sentence(_SIGNS[item.key], sentences))
                 for item in CLAUSES)


def _best_sentence(signs: _Signs, sentences: list[str]) -> str | None:
    """Pick the sentence with the most hits, the earliest on a tie."""
    best: tuple[int, str, int] | None = None
    for sentence in sentences:
        core = [hit for pattern in signs.core if (hit := pattern.search(sentence))]
        if not core or any(pattern.search(sentence) for pattern in signs.exclude):
            continue
        score = len(core) + sum(bool(pattern.search(sentence)) for pattern in signs.support)
        if best is None or score > best[0]:
            best = (score, sentence, min(hit.start() for hit in core))
    return None if best is None else _excerpt(best[1], best[2])
