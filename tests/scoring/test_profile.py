"""The scoring profile: the default loads, mistakes are named with file:line:column, and the
hash follows the content, not the layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskapp.scoring.profile import DEFAULT_PROFILE, ProfileError, load_profile


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    return [str(error) for error in raised.value.errors]


def test_the_default_profile_loads() -> None:
    profile = load_profile()
    assert (profile.id, profile.version) == ("default", "1.0.0")
    assert len(profile.content_hash) == 64


def test_comments_and_layout_do_not_change_the_hash(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    reworded = write(tmp_path, "# a new comment\n\n" + text.replace("  inherent: 30",
                                                                      "  inherent:   30"))
    assert load_profile(reworded).content_hash == load_profile().content_hash


def test_a_changed_weight_changes_the_hash(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    changed = write(tmp_path, text.replace("  inherent: 30", "  inherent: 35"))
    assert load_profile(changed).content_hash != load_profile().content_hash


def test_an_unknown_key_is_named_with_its_line_and_column(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").replace(
        "  critical_finding: true", "  critical_findings: true")
    path = write(tmp_path, text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "critical_findings" in row)

    assert errors_of(path) == [
        f"{path}:{line}:3: unknown key 'critical_findings' (did you mean 'critical_finding'?); "
        "allowed here: critical_answer, critical_finding, phi_without_baa"]


def test_tiers_that_do_not_rise_are_refused(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").replace("  high: 60", "  high: 90")
    path = write(tmp_path, text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row == "tiers:")

    assert errors_of(path) == [
        f"{path}:{line + 1}:3: tiers must rise: moderate <= high <= critical"]


def test_a_missing_severity_is_named(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").replace(", info: 0}", "}")
    (error,) = errors_of(write(tmp_path, text))
    assert "severity levels must name exactly" in error
    assert "missing info" in error


def test_a_bad_version_and_bad_yaml_are_named(tmp_path: Path) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").replace("version: 1.0.0", "version: one")
    path = write(tmp_path, text)
    assert errors_of(path) == [
        f"{path}:5:10: version 'one' should be MAJOR.MINOR.PATCH, like 1.0.0"]
    broken = write(tmp_path, "id: default\n  version: [\n")
    assert errors_of(broken)[0].startswith(f"{broken}:2:")
