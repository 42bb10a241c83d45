"""The 5-field cron syntax (minute hour day-of-month month day-of-week) and its next fire time.

Supported, as in Vixie cron (crontab(5)) and Airflow: `*`, numbers, lists `1,15`, ranges `1-5`, steps
`*/15`, `1-30/5` and `5/15` (= `5-<max>/15`), month and weekday names (`jan`, `mon-fri`), weekday 7 as
Sunday, and the aliases @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.

Day matching follows crontab(5): when both day fields are restricted (neither starts with `*`), a day
matches if *either* matches (`0 0 1 * mon` = the 1st and every Monday); otherwise both must.

Times are wall-clock times in the schedule's time zone. Across a DST change, a wall time skipped by the
clock fires at the first instant after the gap, and the repeated hour is not run twice.

We keep our own parser rather than depend on `croniter`: the syntax is small and fixed, this module is
short and fully tested, and `elt schedule` stays installable with nothing beyond elt's own dependencies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from elt.errors import ProjectError

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
#: (name, low, high, names mapped to numbers)
_FIELDS = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: i for i, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: i for i, name in enumerate(_WEEKDAYS)}),
]
_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February: its leap-year maximum
#: the Gregorian calendar repeats every 400 years: a schedule that has not fired by then never will.
_SEARCH_DAYS = 146_097
_HINT = ('five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (02:00 daily) or '
         '"*/15 8-18 * * mon-fri"; or @hourly, @daily, @weekly, @monthly, @yearly')


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression: the values each field allows.

    >>> cron = parse_cron("*/20 9-10 * * mon-fri")
    >>> sorted(cron.minutes), sorted(cron.hours), sorted(cron.weekdays)
    ([0, 20, 40], [9, 10], [1, 2, 3, 4, 5])
    """

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    #: 0 = Sunday ... 6 = Saturday (a 7 in the expression is stored as 0).
    weekdays: frozenset[int]
    #: the day-of-month / day-of-week field does not start with `*` (see the module docstring).
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, day: dt.date) -> bool:
        """Whether the schedule may fire on `day` (month and both day fields)."""
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def matches(self, moment: dt.datetime) -> bool:
        """Whether the schedule fires at `moment`'s minute (wall-clock fields, seconds ignored)."""
        return moment.minute in self.minutes and moment.hour in self.hours and self.day_matches(moment.date())

    def next_wall_time(self, after: dt.datetime) -> dt.datetime:
        """The first matching minute strictly after the naive wall-clock time `after`.

        >>> parse_cron("30 2 * * *").next_wall_time(dt.datetime(2024, 1, 31, 2, 30))
        datetime.datetime(2024, 2, 1, 2, 30)
        >>> parse_cron("0 0 29 2 *").next_wall_time(dt.datetime(2024, 3, 1))
        datetime.datetime(2028, 2, 29, 0, 0)
        """
        moment = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = moment.date()
        for _ in range(_SEARCH_DAYS):
            if self.day_matches(day):
                start = moment.time() if day == moment.date() else dt.time(0, 0)
                found = self._first_time_from(start)
                if found is not None:
                    return dt.datetime.combine(day, found)
            day += dt.timedelta(days=1)
        raise ProjectError(f"cron expression {self.expression!r} never fires", hint=_HINT)

    def next_after(self, after: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
        """The next fire time strictly after the aware datetime `after`, evaluated in `zone`
        (default UTC). Returns an aware datetime in `zone`.

        >>> paris = ZoneInfo("Europe/Paris")
        >>> parse_cron("0 2 * * *").next_after(dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC), paris).isoformat()
        '2024-06-02T02:00:00+02:00'
        """
        zone = zone or dt.UTC
        wall = after.astimezone(zone).replace(tzinfo=None)
        while True:
            wall = self.next_wall_time(wall)
            # A wall time in a DST gap does not exist; fold=0 maps it past the gap (as cron does).
            moment = wall.replace(tzinfo=zone)
            if moment > after:
                return moment

    def _first_time_from(self, start: dt.time) -> dt.time | None:
        for hour in sorted(h for h in self.hours if h >= start.hour):
            low = start.minute if hour == start.hour else 0
            minute = next((m for m in sorted(self.minutes) if m >= low), None)
            if minute is not None:
                return dt.time(hour, minute)
        return None


def parse_cron(expression: str) -> Cron:
    """Parse a 5-field cron expression or an @alias.

    Raises:
        ProjectError: the expression is malformed, out of range, or can never fire (`0 0 30 2 *`).

    >>> parse_cron("@daily").expression
    '0 0 * * *'
    >>> sorted(parse_cron("0 0 * * 5-7").weekdays)
    [0, 5, 6]
    """
    text = " ".join(str(expression).split())
    text = _ALIASES.get(text.lower(), text)
    parts = text.split(" ")
    if len(parts) != 5:
        raise ProjectError(f"cron expression {expression!r} has {len(parts)} field(s), not 5", hint=_HINT)
    values = [_parse_field(part, spec, expression) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in values[4])
    cron = Cron(text, values[0], values[1], values[2], values[3], weekdays,
                days_restricted=not parts[2].startswith("*"), weekdays_restricted=not parts[4].startswith("*"))
    if cron.days_restricted and not cron.weekdays_restricted and not any(
        day <= _DAYS_IN_MONTH[month - 1] for month in cron.months for day in cron.days
    ):
        raise ProjectError(f"cron expression {expression!r} never fires: no month has those days", hint=_HINT)
    return cron


def _parse_field(text: str, spec: tuple[str, int, int, dict[str, int]], expression: str) -> frozenset[int]:
    name, low, high, names = spec
    values: set[int] = set()
    for item in text.split(","):
        values |= _parse_item(item, name, low, high, names, expression)
    return frozenset(values)


def _parse_item(item: str, name: str, low: int, high: int, names: dict[str, int], expression: str) -> set[int]:
    def fail(why: str) -> ProjectError:
        return ProjectError(f"cron expression {expression!r}: {name} field {item!r}: {why}", hint=_HINT)

    def number(token: str) -> int:
        value = names.get(token.lower()) if not token.isdigit() else int(token)
        if value is None:
            raise fail(f"{token!r} is not a number" + (" or a name" if names else ""))
        if not low <= value <= high:
            raise fail(f"{value} is out of range {low}-{high}")
        return value

    base, _, step_text = item.partition("/")
    step = 1
    if step_text:
        if not step_text.isdigit() or int(step_text) == 0:
            raise fail("the step must be a positive number")
        step = int(step_text)
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = number(first), number(last)
        if start > end:
            raise fail(f"the range {start}-{end} runs backwards")
    else:
        start = number(base)
        end = high if step_text else start  # `5/15` means `5-<max>/15`
    if name == "day of week" and base == "*":
        end = 6  # `*` means 0-6; 7 is only an alias of Sunday
    return set(range(start, end + 1, step))


def load_zone(name: str | None) -> dt.tzinfo:
    """A time zone by IANA name (`Europe/Paris`); None or `UTC` is UTC.

    Raises:
        ProjectError: unknown zone name.
    """
    if not name or name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ProjectError(f"unknown time zone {name!r}", hint="use an IANA name such as 'Europe/Paris' or 'UTC'") \
            from None
