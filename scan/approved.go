package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// ErrNotApproved: a redaction proposed through the console was about to be
// sent without a second person's approval (still proposed, rejected, or
// "approved" by its own proposer). Nothing was sent or recorded.
var ErrNotApproved = errors.New("scan: the redaction has no second person's approval")

// approvedByAnother says whether x may be sent under the four-eyes rule: a
// redaction nobody proposed (the command line, the continuous mode) needs no
// approval; a proposed one needs an approval by an actor other than its
// proposer.
func approvedByAnother(x store.Redaction) bool {
	switch x.Approval {
	case store.ApprovalNone:
		return true
	case store.ApprovalApproved:
		return x.DecidedBy != "" && x.ProposedBy != "" && x.DecidedBy != x.ProposedBy
	}
	return false
}

// checkApproval is the last check before a redaction is recorded as intended:
// it runs on the row read inside that transaction, so no path (a run, the
// continuous mode, the approved-redactions job) sends a proposal that is
// pending, rejected or approved by its proposer.
func checkApproval(x store.Redaction) error {
	if approvedByAnother(x) {
		return nil
	}
	switch x.Approval {
	case store.ApprovalProposed:
		return fmt.Errorf("%w: it awaits a decision in the console", ErrNotApproved)
	case store.ApprovalRejected:
		return fmt.Errorf("%w: it was rejected", ErrNotApproved)
	}
	return fmt.Errorf("%w: its approver is its proposer", ErrNotApproved)
}

// SendApproved sends every redaction approved through the console that is
// not final yet, each exactly once (Redact: intent and outcome recorded with
// their audit records, a second redaction Intercom answers 400 counted as
// done). Pending and rejected proposals, and approvals by the proposer, are
// never sent. It holds the redact lease like Run: a *RunInProgressError when
// another run sends.
func (r *Redactor) SendApproved(ctx context.Context) (RedactResult, error) {
	return r.Run(ctx, RedactOptions{ApprovedOnly: true, Yes: true})
}

// ApprovedJobKind is the River job kind that sends approved redactions.
const ApprovedJobKind = "scan_redact_approved"

// ApprovedArgs are the arguments of a scan_redact_approved job: the minute it
// was scheduled for, so that the schedules of several workers insert it once.
type ApprovedArgs struct {
	ScheduledAt time.Time `json:"scheduled_at"`
}

// Kind implements river.JobArgs.
func (ApprovedArgs) Kind() string { return ApprovedJobKind }

// InsertOpts makes the job unique by its minute.
func (ApprovedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 3}
}

type approvedWorker struct {
	river.WorkerDefaults[ApprovedArgs]
	r *Redactor
}

// Work sends the approved redactions. Another run holding the redact lease
// sends them itself (it reads approvals too): the job succeeds. Any other
// error fails the attempt; what was sent stays recorded and the retry (or the
// next minute's job) goes on from there.
func (w *approvedWorker) Work(ctx context.Context, _ *river.Job[ApprovedArgs]) error {
	res, err := w.r.SendApproved(ctx)
	if errors.Is(err, ErrRunInProgress) {
		w.r.log().Info("scan: approved redactions left to the run in progress", "error", err)
		return nil
	}
	if n := sumCounts(res.Counts); n > 0 || res.Busy > 0 {
		w.r.log().Info("scan: approved redactions sent", "parts", n, "busy", res.Busy, "remaining", res.Remaining)
	}
	return err
}

// ApprovedEvery is how often the workers look for approved redactions.
const ApprovedEvery = time.Minute

// RegisterApproved adds the scan_redact_approved worker to workers and
// returns its periodic job (every ApprovedEvery, and at start). `worker` and
// `serve` call it with a Redactor whose Lease.Holder is the worker's id.
func RegisterApproved(workers *river.Workers, r *Redactor) ([]*river.PeriodicJob, error) {
	if r == nil || r.Store == nil || r.Intercom == nil || r.Chain == nil {
		return nil, fmt.Errorf("%w: the approved-redactions job needs a store, an Intercom client and an audit chain", ErrInvalidOptions)
	}
	if err := river.AddWorkerSafely(workers, &approvedWorker{r: r}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ApprovedEvery), func() (river.JobArgs, *river.InsertOpts) {
		return ApprovedArgs{ScheduledAt: time.Now().UTC().Truncate(time.Minute)}, nil
	}, &river.PeriodicJobOpts{ID: ApprovedJobKind, RunOnStart: true})}, nil
}
