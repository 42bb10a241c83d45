"""The cron parser and next-fire computation behind `elt schedule` (pure, no project)."""

from __future__ import annotations

import datetime as dt
import doctest
from zoneinfo import ZoneInfo

import pytest

import elt.orchestration.cron
from elt.errors import ProjectError
from elt.orchestration.cron import load_zone, parse_cron


def nexts(expression: str, start: dt.datetime, count: int = 3) -> list[str]:
    cron = parse_cron(expression)
    found, moment = [], start
    for _ in range(count):
        moment = cron.next_wall_time(moment)
        found.append(moment.strftime("%Y-%m-%d %H:%M %a"))
    return found


def test_doctests():
    assert doctest.testmod(elt.orchestration.cron).failed == 0


@pytest.mark.parametrize(("expression", "field", "values"), [
    ("* * * * *", "minutes", set(range(60))),
    ("*/15 * * * *", "minutes", {0, 15, 30, 45}),
    ("5/20 * * * *", "minutes", {5, 25, 45}),
    ("1-10/3 * * * *", "minutes", {1, 4, 7, 10}),
    ("0,30,59 * * * *", "minutes", {0, 30, 59}),
    ("0 8-18/2 * * *", "hours", {8, 10, 12, 14, 16, 18}),
    ("0 0 1,15 * *", "days", {1, 15}),
    ("0 0 * jan-mar,DEC *", "months", {1, 2, 3, 12}),
    ("0 0 * * mon-fri", "weekdays", {1, 2, 3, 4, 5}),
    ("0 0 * * 7", "weekdays", {0}),
    ("0 0 * * 5-7", "weekdays", {0, 5, 6}),
    ("0 0 * * */2", "weekdays", {0, 2, 4, 6}),
])
def test_fields(expression, field, values):
    assert set(getattr(parse_cron(expression), field)) == values


@pytest.mark.parametrize(("alias", "expression"), [
    ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@DAILY", "0 0 * * *"),
])
def test_aliases(alias, expression):
    assert parse_cron(alias).expression == expression


def test_extra_spaces_are_ignored():
    assert parse_cron("  0   2 *  * * ").expression == "0 2 * * *"


@pytest.mark.parametrize(("expression", "message"), [
    ("0 2 * *", "has 4 field(s), not 5"),
    ("0 2 * * * *", "has 6 field(s), not 5"),
    ("60 * * * *", "minute field '60': 60 is out of range 0-59"),
    ("* 24 * * *", "hour field '24': 24 is out of range 0-23"),
    ("* * 0 * *", "day of month field '0': 0 is out of range 1-31"),
    ("* * * 13 *", "month field '13'"),
    ("* * * * 8", "day of week field '8'"),
    ("*/0 * * * *", "the step must be a positive number"),
    ("*/x * * * *", "the step must be a positive number"),
    ("10-5 * * * *", "the range 10-5 runs backwards"),
    ("* * * foo *", "'foo' is not a number or a name"),
    ("a * * * *", "'a' is not a number"),
    ("1,,2 * * * *", "'' is not a number"),
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4,6,9,11 *", "never fires"),
])
def test_errors_name_the_field(expression, message):
    with pytest.raises(ProjectError, match="cron expression") as info:
        parse_cron(expression)
    assert message in str(info.value)
    assert "five fields" in info.value.hint


def test_next_daily():
    assert nexts("0 2 * * *", dt.datetime(2024, 1, 1, 1, 59)) == [
        "2024-01-01 02:00 Mon", "2024-01-02 02:00 Tue", "2024-01-03 02:00 Wed"]


def test_next_is_strictly_after_and_ignores_seconds():
    assert nexts("30 2 * * *", dt.datetime(2024, 1, 1, 2, 30, 59), 1) == ["2024-01-02 02:30 Tue"]
    assert nexts("* * * * *", dt.datetime(2024, 1, 1, 23, 59, 30), 1) == ["2024-01-02 00:00 Tue"]


def test_next_steps_and_ranges():
    assert nexts("*/20 9-10 * * *", dt.datetime(2024, 1, 1, 10, 30), 3) == [
        "2024-01-01 10:40 Mon", "2024-01-02 09:00 Tue", "2024-01-02 09:20 Tue"]


def test_next_weekdays_only():
    assert nexts("0 9 * * mon-fri", dt.datetime(2024, 1, 5, 10, 0), 2) == [  # a Friday
        "2024-01-08 09:00 Mon", "2024-01-09 09:00 Tue"]


def test_both_day_fields_restricted_means_either():
    # crontab(5): "0 0 1 * mon" fires on the 1st and on every Monday.
    assert nexts("0 0 1 * mon", dt.datetime(2024, 1, 1, 0, 0), 3) == [
        "2024-01-08 00:00 Mon", "2024-01-15 00:00 Mon", "2024-01-22 00:00 Mon"]
    assert nexts("0 0 1 * mon", dt.datetime(2024, 1, 29, 1, 0), 2) == ["2024-02-01 00:00 Thu", "2024-02-05 00:00 Mon"]


def test_a_starred_day_field_means_both():
    # "*/5" (Sundays and Fridays) starts with "*": the day of month must match too (Friday the 13th).
    assert nexts("0 0 13 * */5", dt.datetime(2024, 1, 1), 1) == ["2024-09-13 00:00 Fri"]


def test_month_ends_and_leap_days():
    assert nexts("0 0 31 * *", dt.datetime(2024, 1, 31, 1), 2) == ["2024-03-31 00:00 Sun", "2024-05-31 00:00 Fri"]
    assert nexts("0 0 29 2 *", dt.datetime(2024, 3, 1), 2) == ["2028-02-29 00:00 Tue", "2032-02-29 00:00 Sun"]


def test_next_across_the_year():
    assert nexts("@yearly", dt.datetime(2024, 6, 1), 1) == ["2025-01-01 00:00 Wed"]


def test_matches():
    cron = parse_cron("15 8 * * mon")
    assert cron.matches(dt.datetime(2024, 1, 8, 8, 15, 42))
    assert not cron.matches(dt.datetime(2024, 1, 9, 8, 15))
    assert not cron.matches(dt.datetime(2024, 1, 8, 8, 16))


def test_next_after_in_a_time_zone():
    paris = ZoneInfo("Europe/Paris")
    after = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    moment = parse_cron("0 2 * * *").next_after(after, paris)
    assert moment.isoformat() == "2024-01-02T02:00:00+01:00"
    assert moment.astimezone(dt.UTC).hour == 1


def test_next_after_defaults_to_utc():
    after = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_cron("0 2 * * *").next_after(after).isoformat() == "2024-01-02T02:00:00+00:00"


def test_a_wall_time_skipped_by_dst_fires_after_the_gap():
    paris = ZoneInfo("Europe/Paris")  # 2024-03-31 02:00 -> 03:00
    moment = parse_cron("30 2 * * *").next_after(dt.datetime(2024, 3, 30, 12, tzinfo=dt.UTC), paris)
    assert moment.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.UTC)  # 03:30 local


def test_the_repeated_hour_is_not_run_twice():
    paris = ZoneInfo("Europe/Paris")  # 2024-10-27 03:00 -> 02:00
    cron = parse_cron("30 2 * * *")
    first = cron.next_after(dt.datetime(2024, 10, 26, 12, tzinfo=dt.UTC), paris)
    second = cron.next_after(first, paris)
    assert (first.day, second.day) == (27, 28)


def test_load_zone():
    assert load_zone(None) is dt.UTC and load_zone("utc") is dt.UTC
    assert str(load_zone("Europe/Paris")) == "Europe/Paris"
    with pytest.raises(ProjectError, match="unknown time zone 'Mars/Olympus'"):
        load_zone("Mars/Olympus")
