-- The console's and the API's accounts (package users). No personal data in
-- clear: the email is encrypted under the user's own key (person key
-- "user:<id>") with a blind index to find it; passwords are argon2id hashes;
-- the TOTP secret is encrypted; recovery codes, session and token secrets are
-- kept as SHA-256 hashes only.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email_idx      BYTEA NOT NULL UNIQUE,
    email_enc      BYTEA NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL DEFAULT '',
    totp_enc       BYTEA,
    totp_confirmed BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    oidc_subject   TEXT NOT NULL DEFAULT '',
    disabled_at    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE TABLE user_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash BYTEA NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
-- Sessions of the console: found by the hash of the cookie's secret.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  BYTEA NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    stage        TEXT NOT NULL,
    via          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
-- API tokens: found by the hash of the bearer secret.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  BYTEA NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- Failed sign-ins per throttle key (a keyed hash of the email typed, or of the
-- client address): never the email or the address itself.
CREATE TABLE signin_throttle (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
