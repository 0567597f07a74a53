package scan

import (
	"context"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
)

// newCommitter returns the group commit the scan's records go through: the
// transactions of concurrent workers (a scan's fetchers, the continuous mode's
// redactions) commit together, one sync per group on SQLite, each caller
// returning once its own work committed (see store/groupcommit). Unlike the
// webhook receiver, a scan has no sender to retry for it, so the queue is
// larger than any scan's concurrency and a unit waits long before it is
// refused; a refusal is an error of that conversation or part, retried by the
// next run.
func newCommitter(st store.Store) *groupcommit.Committer {
	return groupcommit.New(st, groupcommit.Options{QueueSize: 4096, MaxWait: 5 * time.Minute})
}

// commitIn runs fn in a transaction shared with other callers of c.
func commitIn(ctx context.Context, c *groupcommit.Committer, fn func(store.Tx) error) error {
	return c.Do(ctx, func(_ context.Context, tx store.Tx) error { return fn(tx) })
}
