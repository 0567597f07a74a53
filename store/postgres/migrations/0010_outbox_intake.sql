-- The outbox: e-mail to people and operators, written in the transaction of
-- the change that causes it and sent by the workers (package mail). The
-- recipient, subject and bodies are in content_enc, encrypted under a key of
-- the message's own (key_id) that is destroyed once the server accepted the
-- message; the other columns hold ids, kinds, states and error classes.
CREATE TABLE outbox_messages (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    dedup_key       TEXT NOT NULL UNIQUE,
    key_id          TEXT NOT NULL,
    content_enc     BYTEA,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_messages_due ON outbox_messages (state, next_attempt_at);
CREATE INDEX outbox_messages_request ON outbox_messages (request_id, created_at);

-- Requests filed on the public form (web/intake) that wait for the person to
-- follow the link (or type the code) mailed to them; a request is filed only
-- then. The identifiers are encrypted under a key of the intake's own
-- (destroyed when it is settled); the link token and the code are stored
-- only as SHA-256 digests; email_ref is the blind index of the address, for
-- the per-address limits.
CREATE TABLE intakes (
    id              TEXT PRIMARY KEY,
    request_type    TEXT NOT NULL,
    jurisdiction    TEXT NOT NULL,
    identifiers_enc BYTEA NOT NULL,
    email_ref       TEXT NOT NULL,
    token_hash      BYTEA NOT NULL UNIQUE,
    code_hash       BYTEA NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    request_id      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    settled_at      BIGINT
);
CREATE INDEX intakes_state ON intakes (state, expires_at);
CREATE INDEX intakes_email ON intakes (email_ref, created_at);

-- Links to an access package sent in the completion message
-- (/privacy/download/{token}): the token and the current code as digests, the
-- verified address (where codes go) encrypted under the link's own key,
-- usable max_uses times until the package expires. version guards every
-- update.
CREATE TABLE download_links (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL,
    blob_id         TEXT NOT NULL,
    token_hash      BYTEA NOT NULL UNIQUE,
    email_enc       BYTEA NOT NULL,
    max_uses        BIGINT NOT NULL,
    uses            BIGINT NOT NULL DEFAULT 0,
    code_hash       BYTEA,
    code_expires_at BIGINT,
    code_attempts   BIGINT NOT NULL DEFAULT 0,
    codes_sent      BIGINT NOT NULL DEFAULT 0,
    version         BIGINT NOT NULL DEFAULT 0,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX download_links_request ON download_links (request_id);
