"""The model's shared equality, hashing and repr behave as the dataclass-generated ones.

The oracle is the standard library: for each model class, a frozen dataclass with the same
field names, made by :func:`dataclasses.make_dataclass`, generates its own methods.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from slokit.errors import Location
from slokit.spec import model

CLASSES = [
    cls
    for cls in vars(model).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and issubclass(cls, model._Value)
]


def _oracle(cls: type) -> type:
    names = [(f.name, Any) for f in dataclasses.fields(cls)]
    made = dataclasses.make_dataclass(cls.__name__, names, frozen=True)
    made.__qualname__ = cls.__qualname__
    return made


def _values(cls: type, seed: int) -> dict[str, Any]:
    """Hashable, distinct-per-field values; ``seed`` changes all of them."""
    out: dict[str, Any] = {}
    for i, f in enumerate(dataclasses.fields(cls)):
        out[f.name] = (f"v{seed}-{i}", i, None, 0.5 * seed, Location("f.yaml", seed, i))
    return out


def test_every_model_class_uses_the_shared_methods() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert {"SLO", "SLI", "Objective", "Metadata", "PrometheusQuery", "Spec", "TimeWindow"} <= names
    every = [
        c
        for c in vars(model).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == model.__name__
    ]
    assert len(every) == len(CLASSES) == 21


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_repr_eq_hash_match_the_generated_ones(cls: type) -> None:
    oracle = _oracle(cls)
    a, b, c = (cls(**_values(cls, s)) for s in (1, 1, 2))
    oa, ob, oc = (oracle(**_values(cls, s)) for s in (1, 1, 2))
    assert repr(a) == repr(oa) and repr(c) == repr(oc)
    assert (a == b, a == c, a != c) == (oa == ob, oa == oc, oa != oc) == (True, False, True)
    assert hash(a) == hash(b) == hash(oa) == hash(ob)
    assert hash(c) == hash(oc)
    # Another class never compares equal, even with the same values.
    assert (a == oa) is False and (a != oa) is True
    assert a.__eq__(oa) is NotImplemented


def test_defaults_and_unhashable_values() -> None:
    q = model.PrometheusQuery(query="sum(x)")
    assert repr(q) == "PrometheusQuery(query='sum(x)', histogram=None, selector='', native=False)"
    spec = model.Spec()
    oracle = _oracle(model.Spec)(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})
    assert repr(spec) == repr(oracle)
    assert spec == model.Spec() and spec != model.Spec(files=("a.yaml",))
    with pytest.raises(TypeError):  # dict fields: unhashable, as the generated __hash__ is
        hash(spec)
    with pytest.raises(TypeError):
        hash(oracle)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.query = "y"  # type: ignore[misc]


def test_equal_specs_loaded_twice_and_in_sets(prometheus_slo_yaml: str) -> None:
    from slokit.spec.loader import load

    text = prometheus_slo_yaml
    one, two = load(text).slo("avail"), load(text).slo("avail")
    assert one is not two
    assert one.objectives == two.objectives and len({*one.objectives, *two.objectives}) == 1
    assert one.time_window == two.time_window and hash(one.time_window) == hash(two.time_window)
    assert repr(one.time_window).startswith("TimeWindow(duration=")
