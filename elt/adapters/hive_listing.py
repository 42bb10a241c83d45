"""What relations each Hive database holds, listed once per run and kept up to date by elt's own DDL.

Asking the server per relation (`SHOW TABLES IN s LIKE 'x'`, then `SHOW VIEWS`) costs a metastore
round trip each, and a Spark Thrift Server runs its metastore calls one at a time for all sessions: a
table rebuild asked six of them. Instead the adapter lists a database once (`SHOW TABLES IN s`, which
includes views, and `SHOW VIEWS IN s`) and then updates that listing from each statement it sends that
creates, drops or renames a relation (`note_statement`). A statement whose effect on names it cannot
tell (an unqualified name, a failed DDL statement) makes it forget what it knew, so the next question
lists again.

Thread-safe. A listing read while another thread's DDL runs may predate that DDL: the changes noted
while a listing is in flight are applied on top of it before it is kept.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

Kind = str  # "table" | "view"

_NAME = r"`?(\w+)`?\.`?(\w+)`?"
_CREATE_TABLE = re.compile(rf"^\s*CREATE\s+(?:EXTERNAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I)
_CREATE_VIEW = re.compile(rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I)
_DROP = re.compile(rf"^\s*DROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.I)
_RENAME = re.compile(rf"^\s*ALTER\s+(TABLE|VIEW)\s+{_NAME}\s+RENAME\s+TO\s+{_NAME}\s*$", re.I)
_DROP_DATABASE = re.compile(r"^\s*DROP\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?`?(\w+)`?", re.I)
# Statements that never create, drop or rename a relation.
_NAMES_UNCHANGED = re.compile(
    r"^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|SET|RESET|USE|INSERT|MERGE|UPDATE|DELETE|TRUNCATE|ANALYZE|"
    r"MSCK|REFRESH|CACHE|UNCACHE|CREATE\s+(DATABASE|SCHEMA)|ALTER\s+(TABLE|VIEW)\s+\S+\s+(?!RENAME\b))\b",
    re.I,
)
_FORGET_ALL = "*"


class RelationListing:
    """database -> relation name -> 'table' | 'view' (names in lower case, as the metastore keeps them)."""

    def __init__(self) -> None:
        self._listings: dict[str, dict[str, Kind]] = {}
        # database -> the change logs of listings being read from the server for it right now.
        self._in_flight: dict[str, list[list[tuple[str, Kind | None]]]] = {}
        self._lock = threading.Lock()

    def kind(self, schema: str, name: str, load: Callable[[str], dict[str, Kind] | None]) -> Kind | None | bool:
        """The kind of `schema.name` ('table', 'view' or None), listing the database with `load` on first
        use. False when `load` returns None (the server cannot list views: ask per relation)."""
        key = schema.lower()
        with self._lock:
            listing = self._listings.get(key)
            if listing is not None:
                return listing.get(name.lower())
            changes: list[tuple[str, Kind | None]] = []
            self._in_flight.setdefault(key, []).append(changes)
        try:
            loaded = load(schema)
        finally:
            with self._lock:
                # by identity: list.remove compares by value, and another thread's log may equal this one
                flights = self._in_flight.get(key, [])
                self._in_flight[key] = [log for log in flights if log is not changes]
        if loaded is None:
            return False
        listing = {n.lower(): k for n, k in loaded.items()}
        for changed, kind in changes:
            if changed == _FORGET_ALL:
                return listing.get(name.lower())  # correct now, but not kept: something unknown changed
            _apply(listing, changed, kind)
        with self._lock:
            self._listings.setdefault(key, listing)
            return self._listings[key].get(name.lower())

    def note_statement(self, sql: str, *, succeeded: bool) -> None:
        """Update the listings for a statement the adapter sent (after it ran)."""
        if _NAMES_UNCHANGED.match(sql):
            return
        found = _RENAME.match(sql)
        if found and succeeded:
            kind: Kind = found.group(1).lower()
            self._note(found.group(2), found.group(3), None)
            self._note(found.group(4), found.group(5), kind)
            return
        for pattern, kind_made in ((_CREATE_TABLE, "table"), (_CREATE_VIEW, "view"), (_DROP, None)):
            found = pattern.match(sql)
            if found:
                if succeeded:
                    self._note(found.group(1), found.group(2), kind_made)
                else:  # a failed DDL statement may have left something behind: list that database again
                    self.forget(found.group(1))
                return
        found = _DROP_DATABASE.match(sql)
        self.forget(found.group(1) if found else None)

    def forget(self, schema: str | None = None) -> None:
        """Forget one database's listing (None: all of them)."""
        with self._lock:
            keys = [schema.lower()] if schema is not None else list({*self._listings, *self._in_flight})
            for key in keys:
                self._listings.pop(key, None)
                for changes in self._in_flight.get(key, []):
                    changes.append((_FORGET_ALL, None))

    def _note(self, schema: str, name: str, kind: Kind | None) -> None:
        key = schema.lower()
        with self._lock:
            listing = self._listings.get(key)
            if listing is not None:
                _apply(listing, name.lower(), kind)
            for changes in self._in_flight.get(key, []):
                changes.append((name.lower(), kind))


def _apply(listing: dict[str, Kind], name: str, kind: Kind | None) -> None:
    if kind is None:
        listing.pop(name, None)
    else:
        listing[name] = kind
