-- The initial schema. Times are BIGINT Unix microseconds (UTC), NULL when unset.
-- Every table has a creation time so retention can age its rows.

CREATE TABLE keysets (
    name       TEXT PRIMARY KEY,
    encrypted  BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE person_keys (
    id          TEXT PRIMARY KEY,
    wrapped     BYTEA NOT NULL,
    kek_version BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE cached_contacts (
    intercom_id       TEXT PRIMARY KEY,
    person_key_id     TEXT NOT NULL DEFAULT '',
    role              TEXT NOT NULL DEFAULT '',
    external_id_enc   BYTEA,
    external_id_idx   BYTEA,
    email_enc         BYTEA,
    email_idx         BYTEA,
    name_enc          BYTEA,
    phone_enc         BYTEA,
    phone_idx         BYTEA,
    attributes_enc    BYTEA,
    last_seen_at      BIGINT,
    remote_updated_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX cached_contacts_email_idx ON cached_contacts (email_idx);
CREATE INDEX cached_contacts_phone_idx ON cached_contacts (phone_idx);
CREATE INDEX cached_contacts_external_id_idx ON cached_contacts (external_id_idx);
CREATE INDEX cached_contacts_person_key ON cached_contacts (person_key_id);
CREATE INDEX cached_contacts_created_at ON cached_contacts (created_at);

CREATE TABLE sync_state (
    name         TEXT PRIMARY KEY,
    cursor_value TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT
);

CREATE TABLE cached_conversations (
    id                TEXT PRIMARY KEY,
    person_key_id     TEXT NOT NULL DEFAULT '',
    subject_enc       BYTEA,
    created_at        BIGINT NOT NULL,
    remote_updated_at BIGINT
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
    body_enc        BYTEA,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, part_id)
);

CREATE TABLE webhook_events (
    notification_id TEXT PRIMARY KEY,
    topic           TEXT NOT NULL DEFAULT '',
    contact_id      TEXT NOT NULL DEFAULT '',
    payload_enc     BYTEA,
    person_key_id   TEXT NOT NULL DEFAULT '',
    received_at     BIGINT NOT NULL,
    processed_at    BIGINT
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
    size          BIGINT NOT NULL,
    sha256        BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT
);
CREATE INDEX blobs_request ON blobs (request_id);
CREATE INDEX blobs_person_key ON blobs (person_key_id);
CREATE INDEX blobs_kind_created_at ON blobs (kind, created_at);

CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    n       BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (blob_id, n)
);

CREATE TABLE requests (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    jurisdiction     TEXT NOT NULL DEFAULT '',
    channel          TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,
    identifiers_enc  BYTEA,
    subject_ref      TEXT NOT NULL DEFAULT '',
    received_at      BIGINT NOT NULL,
    ack_due_at       BIGINT,
    due_at           BIGINT,
    extended_due_at  BIGINT,
    extension_reason TEXT NOT NULL DEFAULT '',
    acknowledged_at  BIGINT,
    completed_at     BIGINT,
    denial_reason    TEXT NOT NULL DEFAULT '',
    outcome          TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_received_at ON requests (received_at);

CREATE TABLE request_steps (
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    step_order  BIGINT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    started_at  BIGINT,
    finished_at BIGINT,
    PRIMARY KEY (request_id, name)
);

CREATE TABLE suppressions (
    ref        BYTEA PRIMARY KEY,
    kind       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    subject_ref TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    released_at BIGINT
);
CREATE INDEX legal_holds_active ON legal_holds (subject_ref, request_id) WHERE released_at IS NULL;

CREATE TABLE retention_runs (
    id          TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    dry_run     BIGINT NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT '',
    counts      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_runs_started_at ON retention_runs (started_at);

CREATE TABLE export_jobs (
    job_identifier TEXT PRIMARY KEY,
    since_at       BIGINT,
    until_at       BIGINT,
    state          TEXT NOT NULL DEFAULT '',
    download_url   TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    outcome        TEXT NOT NULL DEFAULT ''
);

-- The audit trail. Nothing in the store deletes or updates audit_records.
CREATE TABLE audit_records (
    seq         BIGINT PRIMARY KEY,
    recorded_at BIGINT,
    action      TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    subject_ref TEXT NOT NULL DEFAULT '',
    body        BYTEA NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
CREATE INDEX audit_records_request ON audit_records (request_id);

CREATE TABLE audit_checkpoints (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    recorded_at BIGINT,
    key_id      TEXT NOT NULL DEFAULT '',
    signature   BYTEA NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq, id);

-- One row: the chain head. Appends lock it (PostgreSQL: SELECT ... FOR UPDATE)
-- so that concurrent writers keep one gap-free chain.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, NULL);
