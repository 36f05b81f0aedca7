"""An alert's group of a grouped SLO: labels written as text and read back unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from slokit.alerting.groups import group_labels, labels_text
from slokit.sources.bound import group_sli_key

names = st.from_regex(r"[a-z_][a-z0-9_.]{0,10}", fullmatch=True)
labels = st.dictionaries(names, st.text(max_size=12), min_size=1, max_size=3)


@given(labels, st.text(max_size=8))
def test_labels_round_trip_after_any_objective_name(found: dict[str, str], objective: str) -> None:
    assert group_labels(labels_text(found)) == found
    assert group_labels(objective + labels_text(found)) == found


def test_written_as_the_store_keys_them() -> None:
    found = {"route": '/a"b}', "method": "GET"}
    assert labels_text(found) == '{route="/a\\"b}",method="GET"}'
    assert group_sli_key("slo/0", found) == "slo/0" + labels_text(found)


def test_not_labels() -> None:
    for text in ("", "p95", "{}", "{route}", '{route="x"', '{route="x",}', "{route=1}", '{="x"}'):
        assert group_labels(text) == {}, text
    assert group_labels('p{95{route="/x"}') == {"route": "/x"}
