"""The shortcut that builds scoring's frozen records fast must build what the class would."""

from __future__ import annotations

import dataclasses

import pytest

from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.frozen import built
from riskapp.questionnaires.scoring import Contribution, RaisedFinding, Score, SectionScore

BUILT_FAST = (Answer, Contribution, RaisedFinding, Score, SectionScore)


@pytest.mark.parametrize("cls", BUILT_FAST, ids=lambda cls: cls.__name__)
def test_each_class_built_fast_is_a_plain_frozen_dataclass(cls: type) -> None:
    # built() skips __init__: a __post_init__ or __slots__ added later would be skipped too.
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert not hasattr(cls, "__post_init__")
    assert "__slots__" not in vars(cls)


def test_a_record_built_fast_equals_and_behaves_like_one_built_as_usual() -> None:
    fields = {"value": "yes", "comment": "All staff", "evidence": ()}
    fast = built(Answer, **{f.name: fields.get(f.name, f.default)
                            for f in dataclasses.fields(Answer)})
    usual = Answer(**{f.name: fields.get(f.name, f.default) for f in dataclasses.fields(Answer)})

    assert fast == usual
    assert hash(fast) == hash(usual)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = "no"  # type: ignore[misc]
