-- The console and the API (#13): who filed a request and who approved its
-- erasure (four eyes), its assignee, its notes, the blind index of every
-- identifier it was filed with (search), the API's idempotency keys, and the
-- indexes the request list, the search and the yearly metrics need.
ALTER TABLE requests ADD COLUMN filed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN assignee TEXT NOT NULL DEFAULT '';

-- One row per identifier of a request: its keyed HMAC (vault.SubjectRef), so
-- that typing an e-mail address finds the request with no plain value stored.
CREATE TABLE request_subjects (
    ref        TEXT NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    PRIMARY KEY (ref, request_id)
);
INSERT INTO request_subjects (ref, request_id) SELECT subject_ref, id FROM requests WHERE subject_ref <> '';

-- Notes on a request: the text encrypted under the request's key (it may name
-- the person), so an erasure that destroys the key makes them unreadable; the
-- audit record of a note carries its id only.
CREATE TABLE request_notes (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author     TEXT NOT NULL,
    body_enc   BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, created_at);

-- The first answer to a creating API call, by the caller's Idempotency-Key.
CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    response    BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- The list is paged by (received_at, id) and filtered by state, due date,
-- assignee, type and jurisdiction; the metrics read a year of received_at.
DROP INDEX requests_received_at;
CREATE INDEX requests_received_id ON requests (received_at, id);
CREATE INDEX requests_state_received ON requests (state, received_at, id);
CREATE INDEX requests_assignee_received ON requests (assignee, received_at, id) WHERE assignee <> '';
-- The open requests in list order (overdue, the dashboard): a column the
-- database derives from the state, so that one index gives them in order (a
-- state IN (...) list over the state index needs a sort of every match).
ALTER TABLE requests ADD COLUMN is_open INTEGER GENERATED ALWAYS AS
    (CASE WHEN state IN ('received', 'awaiting_approval', 'verified', 'in_progress') THEN 1 ELSE 0 END) STORED;
CREATE INDEX requests_open_received ON requests (is_open, received_at, id);
CREATE INDEX requests_due ON requests (COALESCE(extended_due_at, due_at));
CREATE INDEX requests_subject_ref ON requests (subject_ref);
CREATE INDEX requests_approval ON requests (approval) WHERE approval = 'required';
