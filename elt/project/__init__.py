"""Reading a project from disk: `[tool.elt]` and profiles.yml (config), models, macros, seeds and yml
(loader), YAML files (yamlfile), seed CSV files (seed_files). Nothing here renders or parses SQL."""
