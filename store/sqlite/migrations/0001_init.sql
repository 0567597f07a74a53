-- The initial schema. Times are INTEGER Unix microseconds (UTC), NULL when unset.
-- Every table has a creation time so retention can age its rows.

CREATE TABLE keysets (
    name       TEXT PRIMARY KEY,
    encrypted  BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE person_keys (
    id          TEXT PRIMARY KEY,
    wrapped     BLOB NOT NULL,
    kek_version INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE cached_contacts (
    intercom_id       TEXT PRIMARY KEY,
    person_key_id     TEXT NOT NULL DEFAULT '',
    role              TEXT NOT NULL DEFAULT '',
    external_id_enc   BLOB,
    external_id_idx   BLOB,
    email_enc         BLOB,
    email_idx         BLOB,
    name_enc          BLOB,
    phone_enc         BLOB,
    phone_idx         BLOB,
    attributes_enc    BLOB,
    last_seen_at      INTEGER,
    remote_updated_at INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX cached_contacts_email_idx ON cached_contacts (email_idx);
CREATE INDEX cached_contacts_phone_idx ON cached_contacts (phone_idx);
CREATE INDEX cached_contacts_external_id_idx ON cached_contacts (external_id_idx);
CREATE INDEX cached_contacts_person_key ON cached_contacts (person_key_id);
CREATE INDEX cached_contacts_created_at ON cached_contacts (created_at);

CREATE TABLE sync_state (
    name         TEXT PRIMARY KEY,
    cursor_value TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER
);

CREATE TABLE cached_conversations (
    id                TEXT PRIMARY KEY,
    person_key_id     TEXT NOT NULL DEFAULT '',
    subject_enc       BLOB,
    created_at        INTEGER NOT NULL,
    remote_updated_at INTEGER
);
CREATE INDEX cached_conversations_person_key ON cached_conversations (person_key_id);
CREATE INDEX cached_conversations_created_at ON cached_conversations (created_at);

CREATE TABLE conversation_contacts (
    conversation_id TEXT NOT NULL REFERENCES cached_conversations (id) ON DELETE CASCADE,
    contact_id      TEXT NOT NULL,
    PRIMARY KEY (conversation_id, contact_id)
);
CREATE INDEX conversation_contacts_contact ON conversation_contacts (contact_id);

CREATE TABLE cached_parts (
    conversation_id TEXT NOT NULL REFERENCES cached_conversations (id) ON DELETE CASCADE,
    part_id         TEXT NOT NULL,
    author_type     TEXT NOT NULL DEFAULT '',
    body_enc        BLOB,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, part_id)
);

CREATE TABLE webhook_events (
    notification_id TEXT PRIMARY KEY,
    topic           TEXT NOT NULL DEFAULT '',
    contact_id      TEXT NOT NULL DEFAULT '',
    payload_enc     BLOB,
    person_key_id   TEXT NOT NULL DEFAULT '',
    received_at     INTEGER NOT NULL,
    processed_at    INTEGER
);
CREATE INDEX webhook_events_contact ON webhook_events (contact_id);
CREATE INDEX webhook_events_person_key ON webhook_events (person_key_id);
CREATE INDEX webhook_events_received_at ON webhook_events (received_at);
CREATE INDEX webhook_events_unprocessed ON webhook_events (received_at) WHERE processed_at IS NULL;

CREATE TABLE blobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    request_id    TEXT NOT NULL DEFAULT '',
    person_key_id TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL,
    sha256        BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER
);
CREATE INDEX blobs_request ON blobs (request_id);
CREATE INDEX blobs_person_key ON blobs (person_key_id);
CREATE INDEX blobs_kind_created_at ON blobs (kind, created_at);

CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (blob_id, n)
);

CREATE TABLE requests (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    jurisdiction     TEXT NOT NULL DEFAULT '',
    channel          TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,
    identifiers_enc  BLOB,
    subject_ref      TEXT NOT NULL DEFAULT '',
    received_at      INTEGER NOT NULL,
    ack_due_at       INTEGER,
    due_at           INTEGER,
    extended_due_at  INTEGER,
    extension_reason TEXT NOT NULL DEFAULT '',
    acknowledged_at  INTEGER,
    completed_at     INTEGER,
    denial_reason    TEXT NOT NULL DEFAULT '',
    outcome          TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_received_at ON requests (received_at);

CREATE TABLE request_steps (
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    step_order  INTEGER NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    started_at  INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (request_id, name)
);

CREATE TABLE suppressions (
    ref        BLOB PRIMARY KEY,
    kind       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    subject_ref TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    released_at INTEGER
);
CREATE INDEX legal_holds_active ON legal_holds (subject_ref, request_id) WHERE released_at IS NULL;

CREATE TABLE retention_runs (
    id          TEXT PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    dry_run     INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT '',
    counts      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_runs_started_at ON retention_runs (started_at);

CREATE TABLE export_jobs (
    job_identifier TEXT PRIMARY KEY,
    since_at       INTEGER,
    until_at       INTEGER,
    state          TEXT NOT NULL DEFAULT '',
    download_url   TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    outcome        TEXT NOT NULL DEFAULT ''
);

-- The audit trail. Nothing in the store deletes or updates audit_records.
CREATE TABLE audit_records (
    seq         INTEGER PRIMARY KEY,
    recorded_at INTEGER,
    action      TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    subject_ref TEXT NOT NULL DEFAULT '',
    body        BLOB NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX audit_records_request ON audit_records (request_id);

CREATE TABLE audit_checkpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    seq         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    recorded_at INTEGER,
    key_id      TEXT NOT NULL DEFAULT '',
    signature   BLOB NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq, id);

-- One row: the chain head. Appends lock it (PostgreSQL: SELECT ... FOR UPDATE)
-- so that concurrent writers keep one gap-free chain.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, NULL);
