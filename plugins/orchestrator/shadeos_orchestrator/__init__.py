"""kin plugin: kin <team>: supervision, phases, conflicts, delays, tasks and a live dashboard."""
