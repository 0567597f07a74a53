-- Holds and erasure exceptions on single Intercom objects (GDPR Art. 17(3),
-- CCPA §1798.105(d)): a conversation, ticket or contact an erasure must keep,
-- with the basis code it is kept under. An operator's hold has no rule; an
-- exception applied by an erasure names its configured rule and the request,
-- and is kept until keep_until. Ids, codes and reasons only: never a value.
CREATE TABLE object_holds (
    id          TEXT PRIMARY KEY,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    basis       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    keep_until  INTEGER,
    created_at  INTEGER NOT NULL,
    released_at INTEGER
);
CREATE INDEX object_holds_object ON object_holds (object_type, object_id) WHERE released_at IS NULL;
CREATE INDEX object_holds_request ON object_holds (request_id);

-- The basis code of a hold on a person or a request, which the person is told
-- when it stops their erasure ('' for holds placed before it was asked).
ALTER TABLE legal_holds ADD COLUMN basis TEXT NOT NULL DEFAULT '';
