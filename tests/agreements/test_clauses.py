"""The BAA clause check: a signed agreement's PDF is read, and each provision HIPAA requires is
found with the sentence that says it, or reported missing; a scanned, encrypted or broken file
is named plainly instead."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from riskapp.agreements.clauses import (
    CLAUSE_KEYS,
    CLAUSES,
    SENTENCE_LIMIT,
    ClauseMatch,
    check_clauses,
    clause,
    extract_text,
    split_sentences,
)
from tests.agreements.documents import (
    COMPLETE_BAA,
    baa_pdf,
    drawn_pdf,
    encrypted,
    pageless_pdf,
    scanned_pdf,
)

# A complete agreement: (heading, numbered paragraphs). Long paragraphs wrap, so most
# sentences span several lines of the PDF's text.
EXPECTED_PHRASE = {
    "permitted_uses": "shall not use or further disclose PHI other than as permitted",
    "safeguards": "appropriate administrative, physical, and technical safeguards",
    "breach_reporting": "any Security Incident and any Breach of Unsecured PHI",
    "subcontractors": "agree in writing to the same restrictions",
    "access_amendment": "Designated Record Set",
    "privacy_rule_obligations": "carries out one or more of Covered Entity's obligations",
    "books_records": "internal practices, books, and records",
    "return_destruction": "return to Covered Entity or destroy all PHI",
    "termination": "may terminate this Agreement",
    "audit_access": "may audit and inspect",
}


def found(text: str) -> dict[str, str | None]:
    return {match.clause.key: match.sentence for match in check_clauses(text)}


@pytest.fixture(scope="module")
def complete_baa() -> dict[str, str | None]:
    extraction = extract_text(baa_pdf(COMPLETE_BAA))
    assert extraction.has_text
    return found(extraction.text)


# --- the checklist --------------------------------------------------------------------------

def test_the_checklist_lists_the_required_clauses_in_order() -> None:
    assert [item.key for item in CLAUSES] == [
        "permitted_uses", "safeguards", "breach_reporting", "subcontractors",
        "access_amendment", "privacy_rule_obligations", "books_records", "return_destruction",
        "termination", "audit_access"]
    assert frozenset(item.key for item in CLAUSES) == CLAUSE_KEYS


@pytest.mark.parametrize(("key", "cited"), [
    ("permitted_uses", "164.504(e)(2)(i)"),
    ("safeguards", "164.314(a)(2)(i)(A)"),
    ("breach_reporting", "164.410"),
    ("subcontractors", "164.504(e)(2)(ii)(D)"),
    ("access_amendment", "164.504(e)(2)(ii)(E)-(G)"),
    ("privacy_rule_obligations", "164.504(e)(2)(ii)(H)"),
    ("books_records", "164.504(e)(2)(ii)(I)"),
    ("return_destruction", "164.504(e)(2)(ii)(J)"),
    ("termination", "164.504(e)(2)(iii)"),
])
def test_each_required_clause_cites_the_rule(key: str, cited: str) -> None:
    assert cited in clause(key).citation
    assert clause(key).citation.startswith("45 CFR ")


def test_the_audit_right_is_marked_as_contract_practice_not_a_rule() -> None:
    audit = clause("audit_access")
    assert audit.citation == "contract practice"
    assert "Not required by the rule" in audit.requirement


def test_every_clause_says_in_one_sentence_what_the_agreement_must_say() -> None:
    for item in CLAUSES:
        assert item.title
        assert item.requirement.endswith(".")
        assert ". " not in item.requirement


def test_an_unknown_clause_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        clause("indemnification")


# --- reading the PDF ------------------------------------------------------------------------

def test_a_text_pdf_is_read_page_by_page() -> None:
    extraction = extract_text(baa_pdf(COMPLETE_BAA))
    assert extraction.problem is None
    assert extraction.has_text
    assert extraction.pages == len(PdfReader(io.BytesIO(baa_pdf(COMPLETE_BAA))).pages) > 1
    assert "BUSINESS ASSOCIATE AGREEMENT" in extraction.text


@pytest.mark.parametrize("pdf", [scanned_pdf(), drawn_pdf()], ids=["page-images", "drawings"])
def test_a_pdf_without_a_text_layer_says_it_looks_scanned(pdf: bytes) -> None:
    extraction = extract_text(pdf)
    assert not extraction.has_text
    assert extraction.problem == ("This PDF has no text layer (it looks scanned): the clauses "
                                  "must be checked by reading it.")
    assert extraction.pages >= 1


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (b"%PDF-1.7\n", "it is damaged or incomplete"),
    (b"PK\x03\x04 a Word document, not a PDF", "it does not start like a PDF"),
    (baa_pdf(COMPLETE_BAA)[:600], "it is damaged or incomplete"),
    (pageless_pdf(), "it has no pages"),
], ids=["empty", "header-only", "not-a-pdf", "truncated", "no-pages"])
def test_a_file_that_is_not_a_readable_pdf_is_named_without_raising(
        content: bytes, reason: str) -> None:
    extraction = extract_text(content)
    assert not extraction.has_text
    assert (extraction.text, extraction.pages) == ("", 0)
    assert extraction.problem is not None
    assert extraction.problem.startswith(f"This file could not be read as a PDF: {reason}")
    assert extraction.problem.endswith(".")


def test_a_pdf_locked_with_a_password_says_so() -> None:
    extraction = extract_text(encrypted(baa_pdf(COMPLETE_BAA), user_password="letmein"))
    assert not extraction.has_text
    assert extraction.problem is not None
    assert "encrypted with a password" in extraction.problem


def test_a_pdf_encrypted_only_against_editing_is_read() -> None:
    extraction = extract_text(encrypted(baa_pdf(COMPLETE_BAA), user_password=""))
    assert extraction.has_text
    assert "Business Associate" in extraction.text


PDF_FOR_DAMAGE = baa_pdf(COMPLETE_BAA[:3])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_extracting_a_damaged_pdf_never_raises(data: st.DataObject) -> None:
    pdf = bytearray(PDF_FOR_DAMAGE)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(pdf) - 1))
        pdf[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(10, len(pdf)))
    extraction = extract_text(bytes(pdf[:cut]))
    assert extraction.has_text == (extraction.problem is None)



# --- finding the clauses --------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(EXPECTED_PHRASE))
def test_a_complete_baa_has_every_clause_with_its_sentence(
        complete_baa: dict[str, str | None], key: str) -> None:
    sentence = complete_baa[key]
    assert sentence is not None
    assert EXPECTED_PHRASE[key] in sentence


def test_every_clause_is_checked(complete_baa: dict[str, str | None]) -> None:
    assert set(complete_baa) == CLAUSE_KEYS == set(EXPECTED_PHRASE)


def test_a_baa_without_audit_and_return_clauses_misses_exactly_those() -> None:
    sections = [(heading, [text for text in paragraphs if not text.startswith("10.3")])
                for heading, paragraphs in COMPLETE_BAA if heading != "9. Audit"]
    matches = found(extract_text(baa_pdf(sections)).text)
    assert {key for key, sentence in matches.items() if sentence is None} == {
        "audit_access", "return_destruction"}


def test_matches_come_one_per_clause_in_checklist_order() -> None:
    matches = check_clauses("Nothing here.")
    assert [match.clause for match in matches] == list(CLAUSES)
    assert all(match == ClauseMatch(match.clause, None) for match in matches)


@pytest.mark.parametrize(("key", "sentence"), [
    ("permitted_uses", "Business Associate shall not use or disclose PHI other than as "
                       "permitted by this Agreement."),
    ("permitted_uses", "Business Associate may use and disclose Protected Health Information "
                       "solely to provide the Services to Covered Entity."),
    ("safeguards", "Vendor shall use appropriate safeguards to prevent any use or disclosure "
                   "of PHI not provided for by this Agreement."),
    ("safeguards", "Business Associate will implement reasonable and appropriate safeguards "
                   "and comply with the Security Rule."),
    ("safeguards", "Business Associate shall implement administrative, physical, and technical "
                   "safeguards that reasonably protect the confidentiality of ePHI."),
    ("breach_reporting", "Business Associate shall report to Covered Entity any Security "
                         "Incident of which it becomes aware."),
    ("breach_reporting", "Business Associate shall notify Covered Entity of any Breach of "
                         "Unsecured PHI within five (5) days of discovery."),
    ("breach_reporting", "Business Associate shall give Covered Entity written notice of any "
                         "Breach without unreasonable delay."),
    ("subcontractors", "Business Associate shall ensure that any subcontractors that receive "
                       "PHI agree to the same restrictions and conditions."),
    ("subcontractors", "Business Associate shall enter into a written agreement with each "
                       "subcontractor that imposes these obligations."),
    ("subcontractors", "Business Associate shall obtain satisfactory assurances from any "
                       "subcontractor that it will appropriately safeguard the PHI."),
    ("access_amendment", "Business Associate shall make available PHI in a Designated Record "
                         "Set to Covered Entity."),
    ("access_amendment", "Business Associate shall provide the information needed for an "
                         "accounting of disclosures."),
    ("books_records", "Business Associate shall make its internal practices, books, and "
                      "records available to the Secretary."),
    ("return_destruction", "At termination, Business Associate shall return or destroy all "
                           "PHI."),
    ("return_destruction", "Where return is not feasible, Business Associate shall extend the "
                           "protections of this Agreement, as destruction is infeasible."),
    ("termination", "Covered Entity may terminate this Agreement if Business Associate has "
                    "violated a material term."),
    ("termination", "Upon a material breach by Business Associate, Covered Entity shall have "
                    "the right to terminate the Services Agreement."),
    ("termination", "Business Associate authorizes termination of this Agreement by Covered "
                    "Entity if Covered Entity determines Business Associate has violated a "
                    "material term."),
    ("audit_access", "Covered Entity may audit Business Associate's compliance with this "
                     "Agreement."),
    ("audit_access", "Business Associate shall permit Covered Entity to inspect its "
                     "facilities and systems on reasonable notice."),
    ("audit_access", "Business Associate shall cooperate with audits conducted by Covered "
                     "Entity once a year."),
])
def test_common_wordings_are_recognised(key: str, sentence: str) -> None:
    assert found(sentence)[key] == sentence


# The business associate provisions of HHS's sample BAA, laid out as a PDF's text: one line at
# a time, lower-case defined terms, "(a)" to "(i)" items ending in semicolons.
HHS_SAMPLE = """Obligations and Activities of Business Associate
Business Associate agrees to:
(a) Not use or disclose protected health information other than as permitted or required by the
Agreement or as required by law;
(b) Use appropriate safeguards, and comply with Subpart C of 45 CFR Part 164 with respect to
electronic protected health information, to prevent use or disclosure of protected health
information other than as provided for by the Agreement;
(c) Report to covered entity any use or disclosure of protected health information not provided for
by the Agreement of which it becomes aware, including breaches of unsecured protected health
information as required at 45 CFR 164.410, and any security incident of which it becomes aware;
(d) In accordance with 45 CFR 164.502(e)(1)(ii) and 164.308(b)(2), if applicable, ensure that any
subcontractors that create, receive, maintain, or transmit protected health information on behalf
of the business associate agree to the same restrictions, conditions, and requirements that apply
to the business associate with respect to such information;
(e) Make available protected health information in a designated record set to the covered entity
as necessary to satisfy covered entity's obligations under 45 CFR 164.524;
(f) Make any amendment(s) to protected health information in a designated record set as directed
or agreed to by the covered entity pursuant to 45 CFR 164.526, or take other measures as necessary
to satisfy covered entity's obligations under 45 CFR 164.526;
(g) Maintain and make available the information required to provide an accounting of disclosures
to the covered entity as necessary to satisfy covered entity's obligations under 45 CFR 164.528;
(h) To the extent the business associate is to carry out one or more of covered entity's
obligation(s) under Subpart E of 45 CFR Part 164, comply with the requirements of Subpart E that
apply to the covered entity in the performance of such obligation(s); and
(i) Make its internal practices, books, and records available to the Secretary for purposes of
determining compliance with the HIPAA Rules.
Term and Termination
(b) Termination for Cause. Business associate authorizes termination of this Agreement by covered
entity, if covered entity determines business associate has violated a material term of the
Agreement and business associate has not cured the breach or ended the violation within the time
specified by covered entity.
(c) Obligations of Business Associate Upon Termination. Upon termination of this Agreement for any
reason, business associate shall return to covered entity or, if agreed to by covered entity,
destroy all protected health information received from covered entity that the business associate
still maintains in any form.
(d) Survival. The obligations of business associate under this Section shall survive the
termination of this Agreement.
"""


HHS_SAMPLE_ITEMS = {
    "permitted_uses": "(a) Not use or disclose",
    "safeguards": "(b) Use appropriate safeguards",
    "breach_reporting": "(c) Report to covered entity",
    "subcontractors": "(d) In accordance with",
    "access_amendment": "(f) Make any amendment(s)",
    "privacy_rule_obligations": "(h) To the extent",
    "books_records": "(i) Make its internal practices",
    "return_destruction": "Upon termination of this Agreement for any reason",
    "termination": "Business associate authorizes termination",
}


def test_the_hhs_sample_provisions_are_each_found_in_their_own_item() -> None:
    matches = found(HHS_SAMPLE)
    assert matches.pop("audit_access") is None  # the sample has no audit right
    assert matches.keys() == HHS_SAMPLE_ITEMS.keys()
    for key, start in HHS_SAMPLE_ITEMS.items():
        assert (matches[key] or "").startswith(start), key


def test_an_enumerated_list_in_one_sentence_gives_each_clause_its_own_item() -> None:
    text = ("Business Associate agrees to: (a) not use or disclose PHI other than as permitted "
            "by this Agreement; (b) use appropriate safeguards to prevent use or disclosure of "
            "PHI not provided for by this Agreement; and (c) report to Covered Entity any "
            "Security Incident of which it becomes aware.")
    matches = found(text)
    assert matches["permitted_uses"] == ("Business Associate agrees to: (a) not use or disclose "
                                         "PHI other than as permitted by this Agreement;")
    assert matches["safeguards"] == ("(b) use appropriate safeguards to prevent use or "
                                     "disclosure of PHI not provided for by this Agreement;")
    assert matches["breach_reporting"] == ("and (c) report to Covered Entity any Security "
                                           "Incident of which it becomes aware.")


@pytest.mark.parametrize(("key", "text"), [
    ("termination", "This Agreement shall survive termination of the Services Agreement."),
    ("termination", "Upon termination of this Agreement for any reason, the parties shall "
                    "cooperate in good faith."),
    ("termination", "Either party may terminate the Services Agreement for convenience on "
                    "ninety (90) days' notice."),
    ("return_destruction", "Notices shall be sent by certified mail, return receipt requested."),
    ("return_destruction", "Business Associate shall return all equipment within ten days."),
    ("subcontractors", "5. Subcontractors\nBusiness Associate shall keep a list of its "
                       "vendors."),
    ("return_destruction", "4. Return or Destruction of PHI"),
    ("safeguards", "3. Use of Appropriate Safeguards. Business Associate shall keep PHI "
                   "confidential."),
    ("breach_reporting", '"Unsecured PHI" has the meaning given in 45 C.F.R. 164.402.'),
    ("breach_reporting", "Covered Entity may terminate this Agreement upon notice if Business "
                         "Associate breaches a material term."),
    ("breach_reporting", "Either party may end the Services Agreement on written notice if the "
                         "other breaches any of its obligations."),
    ("audit_access", "Business Associate shall make PHI available so that Covered Entity may "
                     "let an Individual inspect and copy it."),
    ("safeguards", "Business Associate shall ensure that its subcontractors agree to comply "
                   "with Subpart C of 45 C.F.R. Part 164."),
])
def test_a_passing_mention_is_not_a_clause(key: str, text: str) -> None:
    assert found(text)[key] is None


@given(st.one_of(
    st.text(max_size=3000),
    st.lists(st.sampled_from([
        " ", "\n", "-\n", ".", ";", "; (b) ", "4.2 ", "(a) ", "e.g. ", "C.F.R. ", "Sec. ",
        "Business Associate ", "Covered Entity ", "shall ", "may ", "not use or disclose ",
        "other than ", "report ", "Security Incident ", "terminate ", "violated ",
        "return or destroy ", "subcontractors ", "agree ", "same restrictions ",
        "Designated Record Set ", "audit ", "x" * 500,
    ]), max_size=200).map("".join),
))
def test_checking_any_text_gives_one_match_per_clause(text: str) -> None:
    matches = check_clauses(text)
    assert [match.clause for match in matches] == list(CLAUSES)
    for match in matches:
        assert match.sentence is None or 0 < len(match.sentence) <= SENTENCE_LIMIT


# --- sentences ------------------------------------------------------------------------------

@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_word_hyphenated_at_a_line_end_is_rejoined(line_end: str) -> None:
    text = f"Business Associate shall not use or further disclo-{line_end}sure PHI."
    assert split_sentences(text) == ["Business Associate shall not use or further disclosure PHI."]


def test_a_hyphen_before_a_capital_on_the_next_line_is_kept() -> None:
    assert split_sentences("the HITECH-\nAct applies.") == ["the HITECH-Act applies."]


def test_lines_that_wrap_a_sentence_are_joined() -> None:
    text = "Business Associate shall report to\nCovered Entity any Security\nIncident."
    assert split_sentences(text) == [
        "Business Associate shall report to Covered Entity any Security Incident."]


def test_abbreviations_and_citations_do_not_end_a_sentence() -> None:
    text = ("As required by 45 C.F.R. 164.410 and Sec. 13402 of Pub. L. No. 111-5, e.g. for "
            "breaches, Vendor shall report. Covered Entity may audit.")
    assert split_sentences(text) == [
        "As required by 45 C.F.R. 164.410 and Sec. 13402 of Pub. L. No. 111-5, e.g. for "
        "breaches, Vendor shall report.",
        "Covered Entity may audit."]


def test_a_clause_number_does_not_end_a_sentence() -> None:
    assert split_sentences("4.2 Business Associate shall report.\n5. Covered Entity may "
                           "audit.") == ["4.2 Business Associate shall report.",
                                         "5. Covered Entity may audit."]


def test_a_heading_line_is_a_sentence_of_its_own() -> None:
    text = ("1. Definitions\nTerms used but not otherwise defined in this Agreement have the "
            "meanings given\nin the HIPAA Rules.\n2. Subcontractors\nBusiness Associate shall "
            "ensure that any subcontractors agree to the same restrictions.")
    assert split_sentences(text) == [
        "1. Definitions",
        "Terms used but not otherwise defined in this Agreement have the meanings given in the "
        "HIPAA Rules.",
        "2. Subcontractors",
        "Business Associate shall ensure that any subcontractors agree to the same restrictions."]


def test_page_numbers_between_pages_do_not_break_a_sentence() -> None:
    text = "Business Associate shall return or\nPage 3 of 7\ndestroy all PHI."
    assert split_sentences(text) == ["Business Associate shall return or destroy all PHI."]


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    sentence = ("Business Associate shall not use or disclose PHI other than as permitted by "
                "this Agreement " + "and in every respect consistent with applicable law " * 12
                + "at all times.")
    shown = found(sentence)["permitted_uses"]
    assert shown is not None
    assert len(shown) <= SENTENCE_LIMIT
    assert shown.endswith("…")
    assert sentence.startswith(shown[:-1])
    assert sentence[len(shown) - 1] == " "


def test_a_long_sentence_keeps_the_part_that_matched_in_view() -> None:
    sentence = ("Notwithstanding anything to the contrary in the Services Agreement " * 8
                + "Covered Entity may terminate this Agreement if Business Associate has "
                  "violated a material term, and the parties shall cooperate.")
    shown = found(sentence)["termination"]
    assert shown is not None
    assert len(shown) <= SENTENCE_LIMIT
    assert shown.startswith("…")
    assert "may terminate this Agreement if Business Associate has violated" in shown
