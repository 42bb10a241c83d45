"""From a loaded project to a `Manifest`: Jinja rendering (templating), refs resolved and SQL parsed
(compiler), the DAG (graph), rendered lines mapped back to files (sqlmap), data tests and unit tests
as nodes (datatests, unittests), and the compile cache (cache). The speed shortcuts of a cold compile
live in `fast/`, each beside the plain path it falls back to."""
