"""kin plugin: the project map: token sizes, thresholds and phases, kin map and its check."""
