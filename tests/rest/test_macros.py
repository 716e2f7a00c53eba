"""Date/time and lookup macros, as a user writes them in URLs, headers and bodies."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trunkline.core.errors import MacroError
from trunkline.rest.macros import MacroContext, format_moment, macro_names, render, render_value, shift

NOW = datetime(2026, 1, 31, 13, 5, 9, tzinfo=UTC)


def ctx(**kwargs: object) -> MacroContext:
    return MacroContext(now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("minute", "2026-01-31T13:04:09Z"),
        ("hour", "2026-01-31T12:05:09Z"),
        ("day", "2026-01-30T13:05:09Z"),
        ("week", "2026-01-24T13:05:09Z"),
        ("month", "2025-12-31T13:05:09Z"),
    ],
)
def test_now_minus_one_in_each_unit(unit: str, expected: str) -> None:
    assert render("{now-1}", ctx(time_unit=unit)) == expected


def test_month_arithmetic_clamps_the_day_to_the_month_end() -> None:
    assert render("{now+1}", ctx(time_unit="month")) == "2026-02-28T13:05:09Z"
    leap = datetime(2024, 1, 31, tzinfo=UTC)
    assert shift(leap, 1, "month") == datetime(2024, 2, 29, tzinfo=UTC)
    assert shift(datetime(2026, 3, 31, 8, 30, tzinfo=UTC), -1, "month") == datetime(2026, 2, 28, 8, 30, tzinfo=UTC)
    assert shift(datetime(2025, 12, 15, tzinfo=UTC), 1, "month") == datetime(2026, 1, 15, tzinfo=UTC)
    assert shift(datetime(2026, 1, 15, tzinfo=UTC), -13, "month") == datetime(2024, 12, 15, tzinfo=UTC)


def test_now_forms_in_a_url() -> None:
    url = "https://x/api/v2/calls?start={now-1}&end={now}&until={now+2}&from=(now-4)&to=(now)&next=(now+1)"
    assert render(url, ctx()) == (
        "https://x/api/v2/calls?start=2026-01-30T13:05:09Z&end=2026-01-31T13:05:09Z"
        "&until=2026-02-02T13:05:09Z&from=2026-01-27T13:05:09Z&to=2026-01-31T13:05:09Z"
        "&next=2026-02-01T13:05:09Z"
    )


def test_per_macro_format_overrides_the_context_format() -> None:
    assert render("{now-1|epoch}", ctx()) == "1769778309"
    assert render("{now|epoch_ms}", ctx()) == "1769864709000"
    assert render("{now|yyyy-MM-dd}", ctx()) == "2026-01-31"
    assert render("{now|iso}", ctx(date_format="epoch")) == "2026-01-31T13:05:09Z"
    assert render("(now-1|yyyy-MM-dd)", ctx()) == "2026-01-30"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "2026-01-31T13:05:09Z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2026-01-31T13:05:09.000Z"),
        ("dd/MM/yyyy HH:mm", "31/01/2026 13:05"),
        ("EEE, dd MMM yyyy HH:mm:ss Z", "Sat, 31 Jan 2026 13:05:09 +0000"),
        ("h 'o''clock' a", "1 o'clock PM"),
        ("yyyyMMdd", "20260131"),
    ],
)
def test_ldml_patterns_with_quoted_literals(pattern: str, expected: str) -> None:
    assert render("{now}", ctx(date_format=pattern)) == expected


def test_moments_are_written_in_utc() -> None:
    berlin_evening = datetime(2026, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    assert format_moment(berlin_evening, "yyyy-MM-dd HH:mm") == "2026-01-31 22:30"
    assert format_moment(berlin_evening, "iso") == "2026-01-31T22:30:00Z"
    assert format_moment(datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC), "epoch") == "1"
    assert format_moment(datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC), "epoch_ms") == "1500"


def test_json_bodies_pass_through_untouched() -> None:
    body = json.dumps({"filter": {"from": 1, "to": [2, {"x": None}]}, "empty": {}})
    assert render(body, ctx()) == body
    assert render("{ }", ctx()) == "{ }"
    assert render('{"start": "{now|yyyy-MM-dd}"}', ctx()) == '{"start": "2026-01-31"}'


def test_double_brace_renders_a_literal_brace() -> None:
    assert render("{{now}", ctx()) == "{now}"
    assert render("{{lookup.id}} is {lookup.id}", ctx(values={"lookup.id": "abc"})) == "{lookup.id}} is abc"


def test_lookup_and_field_values() -> None:
    values = {"lookup.id": "ee36", "lookup.count": 3, "lookup.enabled": True, "lookup.note": None}
    text = "/lists/{lookup.id}/leads?n={lookup.count}&enabled={lookup.enabled}&note={lookup.note}"
    assert render(text, ctx(values=values)) == "/lists/ee36/leads?n=3&enabled=true&note="
    nested = {"customer": {"id": 7, "tags": ["a", "b"]}}
    assert render("{customer.id} {customer.tags}", ctx(values=nested)) == '7 ["a","b"]'


def test_render_value_recurses_and_names_the_nested_place() -> None:
    body = {"range": {"from": "{now-1|yyyy-MM-dd}", "to": "{now|yyyy-MM-dd}"}, "ids": ["{lookup.id}", 5], "n": 1}
    rendered = render_value(body, ctx(values={"lookup.id": "x"}), where="source.body")
    assert rendered == {"range": {"from": "2026-01-30", "to": "2026-01-31"}, "ids": ["x", 5], "n": 1}
    with pytest.raises(MacroError) as caught:
        render_value({"ids": ["ok", "{lookup.idd}"]}, ctx(values={"lookup.id": "x"}), where="source.body")
    assert caught.value.path == "source.body.ids[1]"


def test_unknown_macro_names_the_macro_and_the_fix() -> None:
    with pytest.raises(MacroError) as caught:
        render("/calls?start={nwo-1}", ctx(values={"lookup.id": "x"}), where="source.url")
    message = str(caught.value)
    assert message.startswith("source.url: unknown macro {nwo-1}")
    assert "Fix: use {now}, {now-N}, {now+N}, (now-N), or one of: {lookup.id}" in message


def test_unknown_macro_suggests_a_close_name() -> None:
    with pytest.raises(MacroError, match=r"did you mean \{lookup\.list_id\}\?"):
        render("{lookup.listid}", ctx(values={"lookup.list_id": "x"}))


def test_bad_pattern_is_named_with_the_fix() -> None:
    with pytest.raises(MacroError) as caught:
        render("{now}", ctx(date_format="yyyy-MM-ddTHH:mm"), where="source.url")
    message = str(caught.value)
    assert "source.url: bad date format 'yyyy-MM-ddTHH:mm'" in message
    assert "'T' is not a date field letter" in message
    assert "Fix: use an LDML pattern such as yyyy-MM-dd'T'HH:mm:ss'Z'" in message
    with pytest.raises(MacroError, match="a quote is not closed"):
        render("{now|yyyy'T}", ctx())
    with pytest.raises(MacroError, match="Invalid length for field"):
        render("{now|dddd}", ctx())
    with pytest.raises(MacroError, match="the pattern is empty"):
        render("{now|}", ctx())


def test_offset_out_of_range_is_a_macro_error() -> None:
    with pytest.raises(MacroError, match="out of range"):
        render("{now-99999999}", ctx())
    with pytest.raises(MacroError, match="out of range"):
        render("(now+99999)", ctx(time_unit="month"))


def test_macro_names_lists_what_a_text_uses() -> None:
    text = '{now - 1}/(now+2|epoch)/{lookup.id}/{{skip}/{now-1}/{"a": 1}'
    assert macro_names(text) == ["now-1", "now+2|epoch", "lookup.id"]
    assert macro_names('{"plain": "json"}') == []


# Text that cannot contain a macro: no "{" followed by a letter or "{", and no "(now".
plain_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60).filter(
    lambda t: (
        "(now" not in t and all(not (a == "{" and (b.isalpha() or b == "{")) for a, b in zip(t, t[1:], strict=False))
    )
)


@given(plain_text)
def test_text_without_macros_renders_unchanged(text: str) -> None:
    assert render(text, ctx()) == text


@given(st.text(alphabet="{}()now+-|0123456789yMdHms'TZ.ab ", max_size=40))
def test_render_raises_nothing_but_macro_errors(text: str) -> None:
    with contextlib.suppress(MacroError):
        render(text, ctx(values={"a": 1, "a.b": 2}))
