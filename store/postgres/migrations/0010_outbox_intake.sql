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
