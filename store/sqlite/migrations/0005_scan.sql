-- The workspace scan (package scan): what was found in Intercom conversations, as
-- references only (ids, types, confidences, validators: never a value), which
-- conversations were scanned at which version, the runs and their checkpoints, and
-- every redaction of a conversation part in Intercom, recorded before and after the
-- request so a killed run resumes without redacting a part twice.
CREATE TABLE scan_runs (
    id           TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    heartbeat_at BIGINT NOT NULL,
    state        TEXT NOT NULL,
    window_from  BIGINT,
    window_to    BIGINT NOT NULL,
    types        TEXT NOT NULL DEFAULT '',
    total        BIGINT NOT NULL DEFAULT 0,
    scanned      BIGINT NOT NULL DEFAULT 0,
    unchanged    BIGINT NOT NULL DEFAULT 0,
    failed       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX scan_runs_started ON scan_runs (started_at);

CREATE TABLE scan_conversations (
    conversation_id  TEXT PRIMARY KEY,
    updated_at       BIGINT NOT NULL,
    scanned_at       BIGINT NOT NULL,
    run_id           TEXT NOT NULL DEFAULT '',
    inbox            TEXT NOT NULL DEFAULT '',
    parts_total      BIGINT NOT NULL DEFAULT 0,
    parts_scanned    BIGINT NOT NULL DEFAULT 0,
    attachment_only  BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,
    error_class      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_conversations_status ON scan_conversations (status);

CREATE TABLE scan_findings (
    conversation_id  TEXT NOT NULL,
    part_id          TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    part_kind        TEXT NOT NULL,
    author_role      TEXT NOT NULL,
    type             TEXT NOT NULL,
    confidence_milli INTEGER NOT NULL,
    validator        TEXT NOT NULL DEFAULT '',
    field            TEXT NOT NULL DEFAULT '',
    part_created_at  BIGINT,
    month            TEXT NOT NULL DEFAULT '',
    inbox            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (conversation_id, part_id, seq)
);
CREATE INDEX scan_findings_type ON scan_findings (type, conversation_id);

CREATE TABLE scan_redactions (
    conversation_id    TEXT NOT NULL,
    part_id            TEXT NOT NULL,
    part_kind          TEXT NOT NULL,
    author_role        TEXT NOT NULL DEFAULT '',
    types              TEXT NOT NULL DEFAULT '',
    origin             TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL,
    reason             TEXT NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    message_created_at BIGINT,
    queued_at          BIGINT NOT NULL,
    intended_at        BIGINT,
    finished_at        BIGINT,
    note_state         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (conversation_id, part_id)
);
CREATE INDEX scan_redactions_state ON scan_redactions (state, queued_at);

CREATE TABLE scan_notifications (
    notification_id TEXT PRIMARY KEY,
    topic           TEXT NOT NULL DEFAULT '',
    conversation_id TEXT NOT NULL DEFAULT '',
    received_at     BIGINT NOT NULL
);
CREATE INDEX scan_notifications_received ON scan_notifications (received_at);
