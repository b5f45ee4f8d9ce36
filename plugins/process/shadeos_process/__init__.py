"""kin plugin: execution modes, process tracking, tree kill, kin exec|ps|kill|logs, the command daemon type."""
