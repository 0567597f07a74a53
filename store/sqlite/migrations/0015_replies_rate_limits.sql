-- Replies to the person in an Intercom conversation or ticket (tagintake):
-- the acknowledgement and the later milestones of a request filed from
-- Intercom, written in the transaction of the change that causes them and
-- posted by the workers. The body is in content_enc, encrypted under a key of
-- the reply's own (key_id), destroyed once Intercom took the reply; the other
-- columns hold ids, kinds, states and error classes. dedup_key (request id and
-- kind) makes each milestone one reply; attempts counts the claims, so a
-- reply claimed before and never recorded is looked for in Intercom before it
-- is posted again.
CREATE TABLE intercom_replies (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    dedup_key       TEXT NOT NULL UNIQUE,
    key_id          TEXT NOT NULL,
    content_enc     BLOB,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    part_id         TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX intercom_replies_due ON intercom_replies (state, next_attempt_at);
CREATE INDEX intercom_replies_request ON intercom_replies (request_id, created_at);

-- Fixed-window counters of the public form's rate limits (web/intake), shared
-- by every process on the database: one row per (bucket, keyed HMAC of the
-- client address or e-mail, window start). The raw address is never stored.
-- Windows that ended are deleted (DeleteRateWindows).
CREATE TABLE rate_windows (
    bucket       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, key_hash, window_start)
);
CREATE INDEX rate_windows_end ON rate_windows (window_end);
