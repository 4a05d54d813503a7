"""Authentication: Argon2id passwords, TOTP with replay protection, sessions, API keys."""
