"""The JSON text every writer uses: the standard library's output, whatever orjson does underneath."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trunkline.core.json_text import json_encoder


def iso(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


encode = json_encoder(iso)
stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=iso).encode

_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text()
            | st.datetimes(timezones=st.sampled_from([None, UTC])) | st.dates() | st.times())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_the_text_reads_back_as_what_the_standard_library_writes(value):
    text = encode(value)
    assert json.loads(text) == json.loads(stdlib(value))
    if not has_float(value):
        assert text == stdlib(value)  # spelled the same but for float exponents (orjson: 1e-9, json: 1e-09)


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(map(has_float, value.values()))
    return isinstance(value, list) and any(map(has_float, value))


def test_values_orjson_refuses_are_still_written():
    assert encode({1: 2**70}) == '{"1":1180591620717411303424}'
    assert encode("\ud800") == stdlib("\ud800")


def test_nan_on_its_own_stays_nan_and_inside_json_becomes_null():
    assert encode(math.nan) == "NaN"
    assert encode({"x": [math.nan, math.inf]}) == '{"x":[null,null]}'
