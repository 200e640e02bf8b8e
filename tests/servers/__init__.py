"""Real servers for tests (PostgreSQL), started once per run and stopped by PID."""
