"""kin plugin: the janitor of luciorbes, kin luciorbe list|clean, and the git pre-commit check."""
