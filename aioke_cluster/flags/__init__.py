"""Feature flags: definitions stored in SQLite, evaluated with sticky percentage rollouts."""
