-- Audit prunes and a head that only moves forward.
--
-- Records are removed only at the end of their retention, by `audit prune`, which
-- appends a signed audit.pruned record and, in the same transaction, a row here
-- naming the range. The append-only guard on audit_records now lets a DELETE
-- through only for records such a row covers; audit_prunes itself is append-only.
-- audit verify accepts a missing beginning only under a signed prune record (the
-- row here is the database's guard, the record in the chain is the proof).
CREATE TABLE audit_prunes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_seq  BIGINT NOT NULL,
    from_seq    BIGINT NOT NULL,
    to_seq      BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    recorded_at BIGINT NOT NULL,
    CHECK (from_seq >= 1 AND to_seq >= from_seq AND record_seq > to_seq)
);
CREATE TRIGGER audit_prunes_append_only BEFORE UPDATE OR DELETE ON audit_prunes
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_prunes_no_truncate BEFORE TRUNCATE ON audit_prunes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE FUNCTION audit_records_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq <= (SELECT COALESCE(MAX(to_seq), 0) FROM audit_prunes) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_records is append-only: DELETE refused (records are removed only by audit prune)'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER audit_records_append_only ON audit_records;
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_delete_guard();

-- The chain head never moves back and is never removed: cutting records off at
-- the end shows as a head above the last record (audit verify reports it).
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'audit_head is append-only: % moving the head back refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
