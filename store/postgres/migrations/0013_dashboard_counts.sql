-- The number of requests in each state, kept by triggers in the statement
-- that inserts, deletes or moves a request (so in its transaction, whoever
-- writes: the store, a migration, a SQL prompt), for the console's dashboard
-- and the server's gauges: a GROUP BY over the requests reads every row
-- (34-38 ms at 100,000 requests). Filled from the rows there. A state with no
-- request left keeps its row at 0.
--
-- Locks: a state's row is locked until the transaction that changes its count
-- ends. A move locks the two rows in the order of their state names, and an
-- insert or delete statement its states in that order too, so two moves never
-- wait on each other crosswise; transactions that move several requests in
-- different orders can still deadlock, and InTx runs the loser again.
CREATE TABLE request_state_counts (
    state TEXT PRIMARY KEY,
    n     BIGINT NOT NULL
);
INSERT INTO request_state_counts (state, n) SELECT state, COUNT(*) FROM requests GROUP BY state;

CREATE FUNCTION request_state_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_state_counts (state, n)
        SELECT state, COUNT(*) FROM new_rows GROUP BY state ORDER BY state
        ON CONFLICT (state) DO UPDATE SET n = request_state_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER request_state_counts_insert AFTER INSERT ON requests
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_state_counts_add();

CREATE FUNCTION request_state_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_state_counts (state, n)
        SELECT state, -COUNT(*) FROM old_rows GROUP BY state ORDER BY state
        ON CONFLICT (state) DO UPDATE SET n = request_state_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER request_state_counts_delete AFTER DELETE ON requests
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION request_state_counts_remove();

CREATE FUNCTION request_state_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_state_counts (state, n)
        VALUES (OLD.state, -1), (NEW.state, 1) ORDER BY 1
        ON CONFLICT (state) DO UPDATE SET n = request_state_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER request_state_counts_update AFTER UPDATE OF state ON requests
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION request_state_counts_move();

CREATE FUNCTION request_state_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE request_state_counts SET n = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER request_state_counts_truncate AFTER TRUNCATE ON requests
    FOR EACH STATEMENT EXECUTE FUNCTION request_state_counts_truncate();

-- The pending steps by name: the dashboard's paused requests (a pending
-- "_pause" step) in one join instead of one query per in-progress request.
-- Partial: finished steps, nearly all of them, stay out of it.
CREATE INDEX request_steps_pending ON request_steps (name, request_id) WHERE state = 'pending';
