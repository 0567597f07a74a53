-- Notices owed to the recipients of the data (GDPR Art. 19, CCPA §7022(b)): one
-- row per request, recipient (its registry name) and change. No personal data:
-- the request id, the recipient's configured name, states and error classes.
CREATE TABLE recipient_notices (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    event           TEXT NOT NULL,
    method          TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    UNIQUE (request_id, recipient, event)
);
CREATE INDEX recipient_notices_due ON recipient_notices (state, next_attempt_at);
