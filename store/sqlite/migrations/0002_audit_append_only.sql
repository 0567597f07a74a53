-- The audit trail is append-only in the database too, not only through the store's
-- API: an UPDATE or DELETE of an audit record or checkpoint, by this program or by
-- anyone with a SQL prompt, is refused. Someone who drops these triggers first can
-- still change rows; audit.Verify (the hash chain and the signed checkpoints) is what
-- detects that. The triggers stop the quiet, casual change.
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: DELETE refused');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused');
END;
