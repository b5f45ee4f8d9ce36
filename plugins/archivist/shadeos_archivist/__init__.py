"""kin plugin: durable memory in strata, Whoosh-indexed, with typed links and kin memory."""
