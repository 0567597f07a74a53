-- Rights beyond access and erasure (#12).
--
-- payload_enc: what a request asks beyond the person's identifiers (the new
-- values of a correction, the scope of an objection), encrypted under the
-- request's own key like identifiers_enc, so it is shredded with it.
-- linked_request_id: the request an appeal or a lift of a restriction is about.
ALTER TABLE requests ADD COLUMN payload_enc BYTEA;
ALTER TABLE requests ADD COLUMN linked_request_id TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_linked ON requests (linked_request_id);

-- A person's processing limits: a restriction (GDPR Art. 18) or an objection /
-- opt-out (Art. 21, CCPA 1798.120/121). One row per kind, blind index of one of
-- the person's identifiers (or of an Intercom contact id) and request; no plain
-- value. Lifting keeps the row (lifted_at, lifted_by: the lifting request).
CREATE TABLE processing_limits (
    kind        TEXT NOT NULL,
    ref         BYTEA NOT NULL,
    ref_kind    TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL,
    subject_ref TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    lifted_at   BIGINT,
    lifted_by   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, ref, request_id)
);
CREATE INDEX processing_limits_ref ON processing_limits (ref);
CREATE INDEX processing_limits_subject ON processing_limits (subject_ref);
