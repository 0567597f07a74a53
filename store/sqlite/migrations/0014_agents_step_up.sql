-- Authorised agents (CCPA Regs §7063) and the person's own step to the
-- higher verification level (§7062(c)), both from the public form
-- (web/intake).
--
-- agent_permissions: the signed permission an authorised agent uploaded with
-- a request filed for someone. document_enc (the file) and agent_enc (the
-- agent's name and address) are ciphertext under the intake's key until the
-- person confirms the request, then under the request's own key
-- ("request:<id>", destroyed with it). media_type is the sniffed type (PDF,
-- PNG or JPEG), size the file's length. state is pending until an operator
-- accepts or refuses it (decided_by is the operator's actor id).
CREATE TABLE agent_permissions (
    id           TEXT PRIMARY KEY,
    intake_id    TEXT NOT NULL UNIQUE,
    request_id   TEXT NOT NULL DEFAULT '',
    media_type   TEXT NOT NULL,
    size         BIGINT NOT NULL,
    document_enc BLOB NOT NULL,
    agent_enc    BLOB NOT NULL,
    state        TEXT NOT NULL,
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX agent_permissions_request ON agent_permissions (request_id);

-- step_ups: the offer, after the e-mail link, to reach the reasonably high
-- degree of certainty by a second data point matched against Intercom (and,
-- under CCPA, a declaration signed under penalty of perjury). The token is a
-- SHA-256 digest; attempts counts wrong answers; method says which data
-- point matched; declared_at is when the declaration was signed (the typed
-- name is not kept). While an offer is open the request's run waits.
CREATE TABLE step_ups (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    method      TEXT NOT NULL DEFAULT '',
    declared_at BIGINT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    settled_at  BIGINT
);
CREATE INDEX step_ups_request ON step_ups (request_id, state);
