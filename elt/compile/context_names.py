"""The small names of dbt's Jinja context that packages and projects use: `modules`, `fromjson`,
`tojson`, `fromyaml`, `toyaml`, `zip`, `set`, `log`, `print`, `flags`, `invocation_id`,
`run_started_at`, `exceptions`, `local_md5`.

A render that reads something of the invocation (a flag, `invocation_id`, `run_started_at`, the clock
through `modules.datetime`) gives another text at another invocation, so the read is recorded on the
render (`record(key, value)`, templating's `RenderState.inputs`): a flag as `flag:NAME` with its value
(the compile cache reuses the render while the flag is the same), the others as `volatile:name` (never
reused, and `elt compile` does not skip the next compile). `log(..., info=True)`, `print` and
`exceptions.warn` are volatile too, so their lines appear at every compile, not only the first.

The command line sets the invocation (`start_invocation`: the command, its flags, where lines go);
without it (elt used as a library) the flags are their defaults and the lines go to the `elt.jinja`
logger.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import itertools
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from elt.errors import TemplateError

_log = logging.getLogger("elt.jinja")

#: Records a read on the render in progress: record(key, value) (no-op outside a render).
Record = Callable[[str, Any], None]
#: Where log(info=True), print and exceptions.warn lines go: sink(kind, message), kind being
#: "info", "print" or "warning".
Sink = Callable[[str, str], None]

#: dbt's flags with elt's values when no command line set them (`flags.NAME`; others are None).
DEFAULT_FLAGS: dict[str, Any] = {
    "FULL_REFRESH": False, "WHICH": "compile", "EMPTY": False, "STORE_FAILURES": False, "WARN_ERROR": False,
    "DEBUG": False, "FAIL_FAST": False, "USE_COLORS": True, "PRINT": True, "QUIET": False,
    "INTROSPECT": True, "STATE_MODIFIED_COMPARE_MORE_UNRENDERED_VALUES": False,
}


class _Invocation:
    """What the command line said (one per process: a command runs once per process)."""

    def __init__(self) -> None:
        self.flags: dict[str, Any] = dict(DEFAULT_FLAGS)
        self.invocation_id = str(uuid.uuid4())
        self.started_at = datetime.datetime.now(datetime.UTC)
        self.sink: Sink | None = None


_INVOCATION = _Invocation()


def start_invocation(which: str, flags: dict[str, Any], sink: Sink | None) -> None:
    """A command starts: its name (`flags.WHICH`), its flags (FULL_REFRESH, ...), a new
    `invocation_id` and `run_started_at`, and where Jinja's log lines go."""
    global _INVOCATION
    _INVOCATION = _Invocation()
    _INVOCATION.flags.update({key.upper(): value for key, value in flags.items()}, WHICH=which)
    _INVOCATION.sink = sink


def volatile(reads: Iterable[dict[str, Any]]) -> bool:
    """Whether any of the renders' reads (`RenderState.vars_read`) makes them not reusable."""
    return any(key.startswith("volatile:") for read in reads for key in read)


def flag_input(name: str) -> Any:
    """The value of `flags.NAME` now (the compile cache compares it with what a render read)."""
    return _INVOCATION.flags.get(name)


class Flags:
    """`{{ flags.FULL_REFRESH }}`: each read recorded as `flag:NAME` on the render."""

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = _INVOCATION.flags.get(name)
        self._record(f"flag:{name}", value)
        return value


# -- values that belong to one invocation: using them marks the render as not reusable ---------------

_RECORDS: dict[str, Record] = {}


def _touch(value: Any) -> None:
    key = value.__dict__.get("_elt_key") if hasattr(value, "__dict__") else None
    if key is not None and key in _RECORDS:
        _RECORDS[key](f"volatile:{key}", None)


def _watching(name: str, base: type) -> Callable[..., Any]:
    method = getattr(base, name)

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        _touch(self)
        return method(self, *args, **kwargs)

    watched.__name__ = name
    return watched


#: What Jinja does with a value: print it, join it, compare it, call its methods.
_USES = ("__str__", "__format__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
         "__radd__", "__sub__", "__rsub__", "__len__", "__iter__", "__getitem__", "__contains__", "__mod__",
         "__repr__")


class _WatchedStr(str):
    """A str that records its use (`invocation_id`)."""

    __hash__ = str.__hash__

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            _touch(self)
        return super().__getattribute__(name)


class _WatchedDatetime(datetime.datetime):
    """A datetime that records its use (`run_started_at`); values computed from it are plain."""

    __hash__ = datetime.datetime.__hash__

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            _touch(self)
        return super().__getattribute__(name)


for _cls, _base in ((_WatchedStr, str), (_WatchedDatetime, datetime.datetime)):
    for _name in _USES:
        if hasattr(_base, _name):
            setattr(_cls, _name, _watching(_name, _base))


def _watched(value: Any, key: str) -> Any:
    if isinstance(value, str):
        watched: Any = _WatchedStr(value)
    else:
        watched = _WatchedDatetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                                   value.microsecond, tzinfo=value.tzinfo)
    watched.__dict__["_elt_key"] = key
    return watched


class _Clock:
    """`datetime.datetime` / `datetime.date` for `modules.datetime`: reading the clock (now(),
    today(), utcnow()) records the render as not reusable."""

    def __init__(self, cls: type, record: Record) -> None:
        self._cls = cls
        self._record = record

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cls(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("now", "today", "utcnow"):
            self._record("volatile:clock", None)
        return getattr(self._cls, name)

    def __instancecheck__(self, instance: Any) -> bool:  # pragma: no cover - `is` tests in Jinja
        return isinstance(instance, self._cls)


def _modules(record: Record) -> SimpleNamespace:
    """`modules`: datetime, re, itertools, and pytz when it is installed (dbt's `modules`)."""
    found = {
        "datetime": SimpleNamespace(
            date=_Clock(datetime.date, record), datetime=_Clock(datetime.datetime, record),
            time=datetime.time, timedelta=datetime.timedelta, tzinfo=datetime.tzinfo, timezone=datetime.timezone,
        ),
        "re": re,
        "itertools": itertools,
    }
    try:
        pytz = importlib.import_module("pytz")  # optional: dbt installs it, elt does not need it
    except ImportError:
        found["pytz"] = _Missing("pytz", "pip install pytz (dbt_date's time-zone macros use it), or use "
                                 "modules.datetime.timezone")
    else:
        found["pytz"] = pytz
    return SimpleNamespace(**found)


class _Missing:
    """A module that is not installed: any use is an error saying how to install it."""

    def __init__(self, name: str, hint: str) -> None:
        self._name = name
        self._hint = hint

    def __getattr__(self, attr: str) -> Any:
        raise TemplateError(f"modules.{self._name} is not installed", hint=self._hint)


# -- functions ----------------------------------------------------------------------------------------


def _fromjson(string: str, default: Any = None) -> Any:
    try:
        return json.loads(string)
    except (TypeError, ValueError):
        return default


def _tojson(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return json.dumps(value, sort_keys=sort_keys)
    except (TypeError, ValueError):
        return default


def _fromyaml(value: str, default: Any = None) -> Any:
    import yaml

    try:
        return yaml.safe_load(value)
    except (AttributeError, ValueError, yaml.YAMLError):
        return default


def _toyaml(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    import yaml

    try:
        return yaml.safe_dump(value, sort_keys=sort_keys)
    except (ValueError, yaml.YAMLError):
        return default


def _set(value: Iterable[Any], default: Any = None) -> Any:
    try:
        return set(value)
    except TypeError:
        return default


def _set_strict(value: Iterable[Any]) -> set[Any]:
    try:
        return set(value)
    except TypeError as exc:
        raise TemplateError(f"set_strict(): {exc}") from None


def _zip(*args: Iterable[Any], default: Any = None) -> Any:
    try:
        return zip(*args, strict=False)
    except TypeError:
        return default


def _zip_strict(*args: Iterable[Any]) -> Any:
    try:
        return zip(*args, strict=False)
    except TypeError as exc:
        raise TemplateError(f"zip_strict(): {exc}") from None


def _local_md5(value: str) -> str:
    return hashlib.md5(str(value).encode("utf-8"), usedforsecurity=False).hexdigest()  # dbt's local_md5


def _emit(record: Record, kind: str, message: Any) -> str:
    record(f"volatile:{kind}", None)
    text = str(message)
    if _INVOCATION.sink is not None:
        _INVOCATION.sink(kind, text)
    elif kind == "warning":
        _log.warning("%s", text)
    else:
        _log.info("%s", text)
    return ""


class Exceptions:
    """`exceptions.raise_compiler_error(msg)` and `exceptions.warn(msg)`, as in dbt."""

    def __init__(self, record: Record) -> None:
        self._record = record

    @staticmethod
    def raise_compiler_error(message: Any, node: Any = None) -> None:
        raise TemplateError(str(message))

    def warn(self, message: Any, node: Any = None) -> str:
        return _emit(self._record, "warning", message)

    @staticmethod
    def raise_not_implemented(message: Any) -> None:
        raise TemplateError(f"not implemented: {message}")


def names(record: Record) -> dict[str, Any]:
    """The context names, recording what a render reads through `record` (see the module docstring)."""
    _RECORDS["invocation_id"] = _RECORDS["run_started_at"] = record

    def log(msg: Any, info: bool = False) -> str:
        if info:
            return _emit(record, "info", msg)
        _log.debug("%s", msg)
        return ""

    def print_(msg: Any) -> str:
        return _emit(record, "print", msg)

    # No `dbt_version`: elt's own version would send a package's version checks down the wrong branch.
    return {
        "modules": _modules(record), "fromjson": _fromjson, "tojson": _tojson, "fromyaml": _fromyaml,
        "toyaml": _toyaml, "set": _set, "set_strict": _set_strict, "zip": _zip, "zip_strict": _zip_strict,
        "local_md5": _local_md5, "log": log, "print": print_, "flags": Flags(record),
        "exceptions": Exceptions(record),
        "invocation_id": _watched(_INVOCATION.invocation_id, "invocation_id"),
        "run_started_at": _watched(_INVOCATION.started_at, "run_started_at"),
    }
