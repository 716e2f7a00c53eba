"""Schema detection over a stream of records."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from trunkline.core.schema import FieldSchema, SchemaBuilder, are_datetimes, detect_schema


def by_name(fields: list[FieldSchema]) -> dict[str, FieldSchema]:
    return {f.name: f for f in fields}


def test_types_examples_and_order() -> None:
    fields = detect_schema(
        [
            {
                "id": "c1",
                "duration": 30,
                "cost": 0.12,
                "answered": True,
                "started_at": "2026-06-24T10:15:02.000Z",
                "agent": {"id": "a1"},
                "tags": ["vip"],
                "note": None,
            }
        ]
    )
    assert [(f.name, f.type, f.example) for f in fields] == [
        ("id", "string", "c1"),
        ("duration", "integer", 30),
        ("cost", "number", 0.12),
        ("answered", "boolean", True),
        ("started_at", "datetime", "2026-06-24T10:15:02.000Z"),
        ("agent", "object", {"id": "a1"}),
        ("tags", "array", ["vip"]),
        ("note", "null", None),
    ]


def test_iso_8601_shapes_count_as_datetime() -> None:
    values = ["2026-01-01", "2017-01-24T11:27:48.119-05:00", "2026-01-01 10:00", "2026-01-01T10:00:00+0530"]
    assert {f.type for f in detect_schema({"t": v} for v in values)} == {"datetime"}
    assert detect_schema([{"t": datetime(2026, 1, 1, tzinfo=UTC)}])[0].type == "datetime"
    for not_a_date in ["2026-13-01", "20260101", "2026-01-01T", "next tuesday"]:
        assert detect_schema([{"t": not_a_date}])[0].type == "string"


def test_widening_rule() -> None:
    fields = by_name(
        detect_schema(
            [
                {"n": 1, "d": "2026-01-01", "mix": 1, "b": True},
                {"n": 2.5, "d": "soon", "mix": "one", "b": 0},
                {"n": None, "d": None, "mix": None, "b": None},
            ]
        )
    )
    assert fields["n"].type == "number"
    assert fields["d"].type == "string"
    assert fields["mix"].type == "string"
    assert fields["b"].type == "string"


def test_nullable_and_count() -> None:
    fields = by_name(detect_schema([{"a": 1, "b": 1}, {"a": 2, "b": None}, {"a": 3, "c": "late"}]))
    assert (fields["a"].nullable, fields["a"].count) == (False, 3)
    assert (fields["b"].nullable, fields["b"].count) == (True, 2)
    assert (fields["c"].nullable, fields["c"].count, fields["c"].example) == (True, 1, "late")


def test_example_is_the_first_non_null_value_cut_to_80_chars() -> None:
    fields = detect_schema([{"s": None}, {"s": "x" * 500}, {"s": "short"}])
    assert fields[0].example == "x" * 79 + "…"
    assert len(fields[0].example) == 80


def test_builder_streams_and_reports_so_far() -> None:
    builder = SchemaBuilder()
    for i in range(10_000):
        builder.add({"i": i, "even": i % 2 == 0})
    assert [(f.name, f.type, f.count) for f in builder.fields()] == [
        ("i", "integer", 10_000),
        ("even", "boolean", 10_000),
    ]
    assert builder.fields()[0].example == 0
    assert detect_schema([]) == []


_DIGIT = "[0-9]"
_ISO_8601_TEXT = (rf"\A{_DIGIT}{{4}}-[01]{_DIGIT}-[0-3]{_DIGIT}(?:[T ][0-2]{_DIGIT}:[0-5]{_DIGIT}"
                  rf"(?::{_DIGIT}{{2}}(?:[.,]{_DIGIT}{{1,9}})?)?(?:Z|[+-]{_DIGIT}{{2}}(?::?{_DIGIT}{{2}})?)?)?\Z")
_NEAR_ISO_8601 = st.one_of(
    st.from_regex(_ISO_8601_TEXT),
    st.from_regex(r"\A\d{4}-\d\d-\d\d\Z"),  # any Unicode digits
    st.sampled_from(["2026-02-30", "2026-01-01T24:00", "2026-01-01\n", "٢٠٢٦-01-01", "２０２６-01-01",
                     "2026-01-01\ud800"]),
    st.text(alphabet="0123456789-T:Z+., \n٣\ud800", max_size=25),
)


@settings(max_examples=400, deadline=None)
@given(strings=st.lists(_NEAR_ISO_8601, min_size=1, max_size=4))
def test_a_column_of_strings_is_datetime_exactly_when_each_string_is(strings: list[str]) -> None:
    one_by_one = all(detect_schema([{"t": text}])[0].type == "datetime" for text in strings)
    assert are_datetimes(strings) == one_by_one
