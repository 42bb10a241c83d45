"""`elt diff`: two relations compared (schema, row counts, rows by key), on one engine or across two.

Rooms: `sides.py` (a relation on an engine, its columns in Hive's type terms, the schema diff),
`join.py` (both relations in one database: one FULL OUTER JOIN on the engine), `hashes.py` (two
engines: a hash per key computed alike on each, compared bucket by bucket, so only differing buckets'
keys move), `result.py` (what a diff found, as text or JSON), `compare.py` (which way, and the checks
before: relations exist, key columns exist and are unique). The canonical text of values that makes
hashes equal across engines is `elt.dialects.row_text`.
"""
