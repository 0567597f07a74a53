-- Audit prunes and a head that only moves forward.
--
-- Records are removed only at the end of their retention, by `audit prune`, which
-- appends a signed audit.pruned record and, in the same transaction, a row here
-- naming the range. The append-only guard on audit_records now lets a DELETE
-- through only for records such a row covers; audit_prunes itself is append-only.
-- audit verify accepts a missing beginning only under a signed prune record (the
-- row here is the database's guard, the record in the chain is the proof).
CREATE TABLE audit_prunes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    record_seq  INTEGER NOT NULL,
    from_seq    INTEGER NOT NULL,
    to_seq      INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    CHECK (from_seq >= 1 AND to_seq >= from_seq AND record_seq > to_seq)
);
CREATE TRIGGER audit_prunes_no_update BEFORE UPDATE ON audit_prunes
BEGIN
    SELECT RAISE(ABORT, 'audit_prunes is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_prunes_no_delete BEFORE DELETE ON audit_prunes
BEGIN
    SELECT RAISE(ABORT, 'audit_prunes is append-only: DELETE refused');
END;

DROP TRIGGER audit_records_no_delete;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
WHEN OLD.seq > (SELECT COALESCE(MAX(to_seq), 0) FROM audit_prunes)
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: DELETE refused (records are removed only by audit prune)');
END;

-- The chain head never moves back and is never removed: cutting records off at
-- the end shows as a head above the last record (audit verify reports it).
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN
    SELECT RAISE(ABORT, 'audit_head is append-only: moving the head back refused');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head is append-only: DELETE refused');
END;
