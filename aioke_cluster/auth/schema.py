"""Tables of the auth module. Secrets at rest are hashes only, except the TOTP seed the
server needs to check codes."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    totp_secret TEXT,
    totp_last_t INTEGER NOT NULL DEFAULT -1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    revoked_reason TEXT,
    stepped_up_until REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at REAL NOT NULL,
    rotated_at REAL
);
-- Which pair replaced a rotated refresh token, so that a retry whose answer was lost can be
-- told from theft. A table of its own (not columns) so that older databases gain it on start.
CREATE TABLE IF NOT EXISTS rotations (
    rotated TEXT PRIMARY KEY REFERENCES tokens(hash),
    refresh TEXT NOT NULL REFERENCES tokens(hash),
    access TEXT NOT NULL REFERENCES tokens(hash)
);
CREATE INDEX IF NOT EXISTS rotations_by_access ON rotations(access);
CREATE TABLE IF NOT EXISTS enrollments (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at REAL NOT NULL,
    pending_secret TEXT
);
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    hash TEXT UNIQUE NOT NULL,
    prefix TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""
