"""The Hive adapter's listing of relations: one listing per database, kept up to date by the DDL sent."""

from __future__ import annotations

from elt.adapters.hive_listing import RelationListing


def _loader(listings: dict[str, dict[str, str]], calls: list[str]):
    def load(schema: str) -> dict[str, str] | None:
        calls.append(schema)
        return dict(listings.get(schema, {}))

    return load


def test_a_database_is_listed_once_and_followed_by_the_ddl_sent() -> None:
    calls: list[str] = []
    load = _loader({"s": {"a": "table", "v": "view"}}, calls)
    listing = RelationListing()
    assert listing.kind("s", "a", load) == "table"
    assert listing.kind("S", "V", load) == "view"
    assert listing.kind("s", "b", load) is None
    statements = [
        "CREATE TABLE s.b__elt_tmp\nAS\nSELECT 1",
        "ALTER TABLE s.a RENAME TO s.a__elt_backup",
        "ALTER TABLE s.b__elt_tmp RENAME TO s.a",
        "DROP TABLE IF EXISTS s.a__elt_backup",
        "CREATE OR REPLACE VIEW s.w AS\nSELECT 1",
        "DROP VIEW IF EXISTS s.v",
        "INSERT INTO TABLE s.a VALUES (1)",
    ]
    for sql in statements:
        listing.note_statement(sql, succeeded=True)
    assert [listing.kind("s", n, load) for n in ("a", "a__elt_backup", "b__elt_tmp", "w", "v")] == [
        "table", None, None, "view", None]
    assert calls == ["s"]


def test_statements_of_unknown_effect_make_it_list_again() -> None:
    calls: list[str] = []
    load = _loader({"s": {"a": "table"}, "t": {}}, calls)
    listing = RelationListing()
    listing.kind("s", "a", load)
    listing.kind("t", "a", load)
    listing.note_statement("CREATE TABLE s.x AS SELECT 1", succeeded=False)  # may have left something
    listing.kind("s", "a", load)
    listing.kind("t", "a", load)
    assert calls == ["s", "t", "s"]
    listing.note_statement("CREATE TABLE unqualified AS SELECT 1", succeeded=True)  # which database?
    listing.kind("t", "a", load)
    listing.note_statement("DROP DATABASE IF EXISTS t CASCADE", succeeded=True)
    listing.kind("t", "a", load)
    listing.note_statement("SELECT 1", succeeded=False)  # changes no name
    listing.note_statement("ALTER TABLE s.a SET LOCATION '/x'", succeeded=True)
    listing.kind("t", "a", load)
    assert calls == ["s", "t", "s", "t", "t"]


def test_ddl_noted_while_a_listing_is_read_is_applied_to_it() -> None:
    listing = RelationListing()

    def load(schema: str) -> dict[str, str]:
        # Another thread's CTAS ends (and is noted) while this listing is on its way back, without it.
        listing.note_statement("CREATE TABLE s.new AS SELECT 1", succeeded=True)
        return {"old": "table"}

    assert listing.kind("s", "new", load) == "table"
    assert listing.kind("s", "old", lambda schema: {}) == "table"  # kept: not listed again


def test_a_server_without_show_views_is_asked_per_relation() -> None:
    assert RelationListing().kind("s", "a", lambda schema: None) is False
