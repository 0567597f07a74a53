package jobs

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// UniqueWhileQueued is the insert options of a drain job (an outbox's
// sender): at most maxAttempts attempts, and unique by its arguments while
// one waits or runs, so a burst of kicks queues one drain. A row written
// during a running drain leaves with the next one.
func UniqueWhileQueued(maxAttempts int) river.InsertOpts {
	return river.InsertOpts{MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	}}}
}
