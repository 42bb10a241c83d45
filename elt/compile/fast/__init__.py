"""The shortcuts of a cold compile, each falling back to the plain way for anything it does not handle
(same results, same errors): renders taken from the compile cache (render_cache), worker processes
(processes), `elt compile` skipped when nothing changed (stamp), the garbage collector kept off the
compiled project (heap)."""
