"""Loading questionnaire files: a sound folder loads; each mistake is named with its place."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import load_directory, load_file
from tests.questionnaires.conftest import DEFINITIONS

README = Path(__file__).parents[2] / "questionnaires" / "README.md"


def _folder(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    """A copy of the test definitions, with one text replaced in the example questionnaire."""
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder)
    if replace is not None:
        example = folder / "example-vendor.yaml"
        text = example.read_text()
        assert replace[0] in text, f"the example no longer holds {replace[0]!r}"
        example.write_text(text.replace(replace[0], replace[1], 1))
    return folder


def _errors(tmp_path: Path, old: str, new: str) -> list[str]:
    folder = _folder(tmp_path, (old, new))
    library = load_directory(folder)
    assert "example-vendor" not in library.questionnaires
    return [str(error).replace(f"{folder}/", "") for error in library.errors]


def test_the_readme_example_is_the_one_the_tests_load() -> None:
    documented = re.search(r"## A complete example\n\n```yaml\n(.*?)```", README.read_text(),
                           re.S)
    assert documented is not None
    assert documented.group(1) == (DEFINITIONS / "example-vendor.yaml").read_text()


def test_a_sound_folder_loads_with_its_banks_included(example: Questionnaire) -> None:
    assert [section.id for section in example.sections] == [
        "baa", "profile", "access", "locations"]
    assert example.by_id["baa_offered"].citation == ["45 CFR 164.308(b)", "45 CFR 164.504(e)"]
    assert example.by_id["mfa"].citation == ["45 CFR 164.312(d)"]


def test_yes_and_no_stay_choice_ids(example: Questionnaire) -> None:
    assert example.by_id["mfa"].choice_ids() == ["yes", "no"]


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("        required: true\n        weight: 3", "        requird: true\n        weight: 3",
         "example-vendor.yaml:36:9: unknown key 'requird' (did you mean 'required'?)"),
        ("type: yes_no\n        text: Do all", "type: yesno\n        text: Do all",
         "example-vendor.yaml:30:15: 'yesno' is not a question type (did you mean 'yes_no'?)"),
        ('show_if: mfa == "yes"', 'show_if: mfa == "ys"',
         "example-vendor.yaml:52:18: show_if: 'mfa' has no choice 'ys' (did you mean 'yes'?)"),
        ('show_if: mfa == "yes"', 'show_if: mfaa == "yes"',
         "example-vendor.yaml:52:18: show_if: no question 'mfaa' (did you mean 'mfa'?)"),
        ('show_if: mfa == "yes"', 'show_if: session_timeout > 3',
         "example-vendor.yaml:52:18: show_if: 'session_timeout' is asked later; a condition can "
         "only use answers given before it"),
        ('show_if: mfa == "yes"', 'show_if: mfa_methods == "sms"',
         "example-vendor.yaml:52:18: show_if: 'mfa_methods' is this question itself: a "
         "condition cannot depend on its own answer (circular)"),
        ('show_if: mfa == "yes"', 'show_if: mfa ==',
         "example-vendor.yaml:52:18: condition 'mfa ==': expected a value, a question id or "
         "'(', found the end (at character 7)"),
        ('show_if: mfa == "yes"', "show_if: mfa",
         "example-vendor.yaml:52:18: show_if: 'mfa' is a question, not a condition; compare "
         'it, e.g. mfa == "yes"'),
        ("required_if: count(subprocessors) > 0", "required_if: count(subprocessors)",
         "example-vendor.yaml:108:22: required_if: 'count(subprocessors)' is a number, not a "
         "condition; compare it, e.g. count(subprocessors) > 0"),
        ("    intake: true", "    ~: true",
         "example-vendor.yaml:15:5: '~' cannot be a key: quote it if it is meant as text"),
        ('show_if: mfa == "yes"', "show_if: 1 == 2",
         "example-vendor.yaml:52:18: show_if: '1 == 2' can never hold, so it never applies"),
        ("      - id: mfa_methods", "      - id: mfa",
         "example-vendor.yaml:49:13: question id 'mfa' is already used (line 29 of"),
        ("version: 1.0.0", "version: 1.0",
         "example-vendor.yaml:4:10: version 1.0 should be MAJOR.MINOR.PATCH, like 1.0.0"),
        ("          - {id: sms, label: Text message, points: 4}",
         "          - {id: sms, label: Text message}",
         "example-vendor.yaml:49:9: choices sms have no points, but totp, webauthn do: give "
         "every choice points"),
        ("severity: high", "severity: hgh",
         "example-vendor.yaml:43:25: severity: should be 'info', 'low', 'medium', 'high' or "
         "'critical' (found 'hgh')"),
        ("- include: baa-and-contract", "- include: baa-and-contracts",
         "example-vendor.yaml:10:14: no bank 'baa-and-contracts' in banks/ (did you mean "
         "'baa-and-contract'?)"),
        ('comment: {required_when: ["no"]}', 'comment: {required_when: ["nope"]}',
         "example-vendor.yaml:47:35: comment: 'mfa' has no choice 'nope' (did you mean 'no'?)"),
        ('          - {id: "yes", points: 0}\n          - id: "no"',
         "          - {id: yes, points: 0}\n          - id: nah",
         'example-vendor.yaml:29:9: a yes_no question has exactly the choices "yes" and "no" '
         '(found yes, nah); quote them: id: "no"'),
        ("required_if: count(subprocessors) > 0",
         'required_if: count(subprocessors, contry != "US") > 0',
         "example-vendor.yaml:108:22: required_if: the rows of 'subprocessors' have no 'contry' "
         "(did you mean 'country'?)"),
        ("countries: [US]", "countries: [USA]",
         "example-vendor.yaml:83:11: not ISO 3166 alpha-2 codes: USA (e.g. US, DE)"),
        ("title: Example vendor questionnaire\n", "",
         "example-vendor.yaml:2:1: 'title' is missing"),
        ("  - id: access\n", "  - id: profile\n",
         "example-vendor.yaml:25:9: section id 'profile' is already used"),
        ("        bands:", "        bands: &b",
         "example-vendor.yaml:66:16: anchors and aliases (& and *) are not accepted"),
        ("max_rows: 50", "max_rows: 50\n        max_rows: 60",
         "example-vendor.yaml:93:9: 'max_rows' is given twice (first on line 92)"),
    ],
)
def test_each_mistake_is_named_with_file_line_and_column(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    (only,) = _errors(tmp_path, old, new)
    assert only.startswith(error)


def test_every_mistake_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    folder = _folder(tmp_path, ("severity: high", "severity: hgh"))
    example = folder / "example-vendor.yaml"
    example.write_text(example.read_text().replace("unit: minutes", "units: minutes"))
    errors = [str(e) for e in load_directory(folder).errors]
    assert len(errors) == 2
    assert any("unknown key 'units' (did you mean 'unit'?)" in e for e in errors)


def test_a_broken_file_does_not_stop_the_others_loading(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    library = load_directory(folder)
    assert list(library.questionnaires) == ["example-vendor"]
    (error,) = library.errors
    assert str(error).startswith(f"{folder / 'broken.yaml'}:3:1: ")


def test_two_files_cannot_share_an_id(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    shutil.copy(folder / "example-vendor.yaml", folder / "zz-copy.yaml")
    library = load_directory(folder)
    (error,) = library.errors
    assert "id 'example-vendor' is already used by" in str(error)
    assert str(error).startswith(str(folder / "zz-copy.yaml"))


def test_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "latin.yaml").write_bytes("title: Clínica\n".encode("latin-1"))
    (error,) = load_directory(folder).errors
    assert "not UTF-8 text" in str(error)


def test_a_top_level_list_is_not_a_questionnaire(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "list.yaml").write_text("- id: x\n")
    (error,) = load_directory(folder).errors
    assert str(error).endswith("expected keys and values (id: ..., title: ...) at the top of "
                               "the file")


def test_load_file_checks_one_file_with_its_folders_banks() -> None:
    questionnaire, errors = load_file(DEFINITIONS / "example-vendor.yaml")
    assert errors == []
    assert questionnaire is not None
    assert questionnaire.sections[0].id == "baa"


def test_the_content_hash_changes_with_any_wording(tmp_path: Path, example: Questionnaire
                                                   ) -> None:
    folder = _folder(tmp_path, ("Tell us how your service", "Say how your service"))
    changed = load_directory(folder).questionnaires["example-vendor"]
    assert changed.content_hash != example.content_hash
    again = load_directory(_folder(tmp_path / "again")).questionnaires["example-vendor"]
    assert again.content_hash == example.content_hash


def test_a_snapshot_reads_back_as_the_same_definition(example: Questionnaire) -> None:
    copy = Questionnaire.model_validate(example.snapshot())
    assert copy == example
    assert copy.content_hash == example.content_hash


def test_a_bank_checked_alone_has_its_conditions_checked(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    bank = folder / "banks" / "baa-and-contract.yaml"
    bank.write_text(bank.read_text().replace("        required: true\n",
                                             "        required: true\n        show_if: baa == 1\n"))
    questionnaire, errors = load_file(bank)
    assert questionnaire is None
    assert [str(e).replace(f"{folder}/", "") for e in errors] == [
        "banks/baa-and-contract.yaml:12:18: show_if: no question 'baa'"]
