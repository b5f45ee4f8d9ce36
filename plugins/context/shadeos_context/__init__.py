"""kin plugin: the mid-term context: fast shared working memory with TTLs."""
