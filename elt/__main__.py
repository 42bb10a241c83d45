"""`python -m elt`."""

from elt.cli import main

main()
