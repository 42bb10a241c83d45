"""Sections of dbt's yml property files that elt accepts and does not run, with why.

A dbt project's yml may hold its semantic layer, exposures, groups, macro and analysis docs: elt loads
the file, ignores those sections and says so once per section (its first file and line, and how many
files have it). Any other unknown top-level key stays an error: it is usually a typo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: section -> what elt does not do with it.
IGNORED_SECTIONS: dict[str, str] = {
    "semantic_models": "elt has no semantic layer",
    "metrics": "elt has no semantic layer",
    "saved_queries": "elt has no semantic layer",
    "exposures": "elt does not track exposures",
    "groups": "elt has no groups or model access rules",
    "macros": "macro properties (descriptions, arguments) are not used",
    "data_tests": "singular tests' yml properties are not read (set their config with config() in the file)",
    "functions": "elt does not create user-defined functions",
}


@dataclass
class IgnoredSections:
    """The ignored sections met while loading a project: first place and count of files, by section."""

    first: dict[str, tuple[str, int]] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)

    def meet(self, section: str, rel_path: str, yml_text: str) -> None:
        """Record that the yml file `rel_path` has `section`."""
        self.files[section] = self.files.get(section, 0) + 1
        if section not in self.first:
            self.first[section] = (rel_path, _line_of_key(yml_text, section))

    def notes(self) -> list[str]:
        """One line per section, in the order they were met."""
        lines = []
        for section, (path, line) in self.first.items():
            count = self.files[section]
            more = f" (and in {count - 1} other file(s))" if count > 1 else ""
            lines.append(f"{path}:{line}: `{section}:` is accepted and ignored: {IGNORED_SECTIONS[section]}{more}")
        return lines


def _line_of_key(text: str, key: str) -> int:
    """Line of a top-level `key:` in a yml file (1 if not found)."""
    prefix = key + ":"
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1
