"""Running a compiled project: selection, the plan (plan, gates), the thread-pool walk (runner),
building one node (node_build), run locks (lock), Ctrl-C / SIGTERM (interrupts), the column types of
what a run reads (catalog_types), source freshness (freshness)."""
