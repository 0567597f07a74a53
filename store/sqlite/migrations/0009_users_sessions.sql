-- The console's and the API's accounts (package users). No personal data in
-- clear: the email is encrypted under the user's own key (person key
-- "user:<id>") with a blind index to find it; passwords are argon2id hashes;
-- the TOTP secret is encrypted; recovery codes, session and token secrets are
-- kept as SHA-256 hashes only.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email_idx      BLOB NOT NULL UNIQUE,
    email_enc      BLOB NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL DEFAULT '',
    totp_enc       BLOB,
    totp_confirmed INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    oidc_subject   TEXT NOT NULL DEFAULT '',
    disabled_at    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE TABLE user_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash BLOB NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);
-- Sessions of the console: found by the hash of the cookie's secret.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    stage        TEXT NOT NULL,
    via          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
-- API tokens: found by the hash of the bearer secret.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- Failed sign-ins per throttle key (a keyed hash of the email typed, or of the
-- client address): never the email or the address itself.
CREATE TABLE signin_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL
);
