package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The states a run's row goes through. A run is inserted as StateRunning and
// ends as StateDone, StateFailed or StateCancelled; a run found still
// StateRunning by a later run after its heartbeat stopped (the process was
// killed, the machine lost power) is marked StateInterrupted by that later run,
// which then finishes the work: DeleteExpired only ever deletes rows that are
// still past their age, so the second run deletes exactly what the first one
// left.
const (
	StateRunning     = "running"
	StateDone        = "done"
	StateFailed      = "failed"
	StateCancelled   = "cancelled"
	StateInterrupted = "interrupted"
)

// DefaultStaleAfter is how long a run may go without a heartbeat before a later
// run takes it for dead and marks it interrupted. A live run beats every
// DefaultStaleAfter/4.
const DefaultStaleAfter = 2 * time.Minute

// heartbeatKey is the reserved key of RetentionRun.Counts that holds the time
// (Unix microseconds) a running run last reported itself alive. Runs returned
// by this package never show it.
const heartbeatKey = "_heartbeat_us"

// recentScan is how many of the newest runs a run looks at for ones left
// running; each run marks every stale one it finds, so a dead run is always
// among the newest few.
const recentScan = 100

// Errors of a run, for errors.Is.
var (
	// ErrRunInProgress: another run is alive (it beat less than StaleAfter
	// ago). The error is a *RunInProgressError.
	ErrRunInProgress = errors.New("retention: another retention run is in progress")
	// ErrNoPolicy: Run was given a zero Policy instead of one from Default,
	// Load, Parse or FromConfig.
	ErrNoPolicy = errors.New("retention: no policy: build one with retention.Default, Load, Parse or FromConfig")
	// ErrNotConfigured: a Runner field the call needs is nil.
	ErrNotConfigured = errors.New("retention: runner not configured")
)

// RunInProgressError says which run is alive and when it last beat.
type RunInProgressError struct {
	RunID    string
	LastSeen time.Time
}

// Error implements error.
func (e *RunInProgressError) Error() string {
	return fmt.Sprintf("retention: run %s is in progress (last heartbeat %s); wait for it to finish (`retention show` lists it)",
		e.RunID, e.LastSeen.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrRunInProgress.
func (e *RunInProgressError) Unwrap() error { return ErrRunInProgress }

// Runner enforces a retention Policy on a store and manages legal holds. Fill
// the fields and use it from several goroutines if needed; it keeps no state
// between calls other than its configuration.
type Runner struct {
	// Store is where the data and the run records are (required).
	Store store.Store
	// Chain writes the audit records (required).
	Chain *audit.Chain
	// Vault derives the key a legal hold on a contact is matched by (needed by
	// AddHold with a contact id only).
	Vault *vault.Vault
	// Actor names who runs in audit records: "worker", "cli:<os user>", ...
	Actor string
	// Logger receives progress lines (discarded when nil). They carry run ids,
	// categories and counts only.
	Logger *slog.Logger
	// Clock is the wall clock of heartbeats and run records (time.Now when nil).
	Clock func() time.Time
	// StaleAfter is how long a run may go without a heartbeat before the next
	// run marks it interrupted (DefaultStaleAfter when zero).
	StaleAfter time.Duration

	// afterBatch, in tests, is called after each delete batch; a non-nil
	// error stops the run at once, as if the process had died there.
	afterBatch func(cat store.Category, batch int) error
	// afterBeat, in tests, is called after each heartbeat (written or not).
	afterBeat func()
}

// RunOptions configure one Run.
type RunOptions struct {
	// DryRun counts what would be deleted and deletes nothing; the run is
	// recorded all the same.
	DryRun bool
	// BatchSize is the most rows one delete transaction removes (the
	// policy's BatchSize when zero; 1 to MaxBatchSize).
	BatchSize int
	// Now is the instant the cutoffs are computed from (the Runner's clock
	// when zero). A scheduled run passes its scheduled time, so a retried
	// job computes the same cutoffs.
	Now time.Time
	// Pause is how long the run waits between two delete batches so that
	// writers waiting for the database get their turn. Zero chooses by
	// backend: on SQLite, where one transaction writes at a time and a
	// waiting writer polls with growing sleeps (1 ms up to 100 ms), a pause
	// as long as the sleep of a writer that has waited one batch (see
	// sqlitePause); on PostgreSQL, which lets other writers through while a
	// batch deletes, none. Negative: no pause.
	Pause time.Duration
	// Progress, if set, is called after each batch (and each count of a dry
	// run) with the category and the rows deleted in it so far.
	Progress func(c Category, deleted int64)
}

// CategoryResult is what a run did to one category.
type CategoryResult struct {
	// Category is the policy category.
	Category Category `json:"category"`
	// Age is the policy's maximum age for the category.
	Age string `json:"age"`
	// Cutoff is the instant rows older than which were deleted; zero when
	// the category is off or never removed automatically.
	Cutoff time.Time `json:"cutoff,omitzero"`
	// Deleted is how many rows were deleted (on a dry run: would be).
	Deleted int64 `json:"deleted"`
	// Batches is how many delete transactions ran (0 on a dry run).
	Batches int `json:"batches"`
	// Note explains a category that was not processed ("off", "never
	// removed automatically").
	Note string `json:"note,omitempty"`
}

// RunResult is the outcome of one Run.
type RunResult struct {
	// RunID is the run's id in the store and the audit trail ("ret_...").
	RunID string `json:"run_id"`
	// DryRun is set when the run only counted.
	DryRun bool `json:"dry_run"`
	// State is StateDone, StateFailed or StateCancelled (StateRunning only
	// in the result of a run stopped by a test hook).
	State      string    `json:"state"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Categories are the per-category results, in Categories() order,
	// audit included (never processed).
	Categories []CategoryResult `json:"categories"`
	// Total is the sum of Deleted over the categories.
	Total int64 `json:"total"`
	// Interrupted lists the runs this run found left running by a dead
	// process and marked interrupted.
	Interrupted []string `json:"interrupted,omitempty"`
	// ActiveHolds is how many legal holds were active at the start.
	ActiveHolds int `json:"active_holds"`
}

// storeCategory maps a policy category to the store's. Audit has no entry:
// nothing automatic deletes audit records (the store has no such category and
// the chain offers no delete), whatever the policy's audit age says.
var storeCategory = map[Category]store.Category{
	ContactCache:      store.CategoryContactCache,
	ConversationCache: store.CategoryConversationCache,
	WebhookEvents:     store.CategoryWebhookEvents,
	ExportFiles:       store.CategoryExportFiles,
	AccessPackages:    store.CategoryAccessPackages,
}

// auditNote is why the audit category is never processed.
const auditNote = "never removed automatically (legal minimum 24 months)"

func (r *Runner) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

func (r *Runner) staleAfter() time.Duration {
	if r.StaleAfter > 0 {
		return r.StaleAfter
	}
	return DefaultStaleAfter
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// actor names who acts in audit records: the authz.Principal ctx carries (a
// console or API user), else Actor, else "retention".
func (r *Runner) actor(ctx context.Context) string {
	return authz.ActorFrom(ctx, cmp.Or(r.Actor, "retention"))
}

func (r *Runner) check() error {
	if r == nil || r.Store == nil || r.Chain == nil {
		return fmt.Errorf("%w: Store and Chain are required", ErrNotConfigured)
	}
	return nil
}

func validPolicy(p Policy) error {
	if p.ages == nil || p.Age(Audit).IsOff() {
		return ErrNoPolicy
	}
	return nil
}

func batchSize(p Policy, o RunOptions) (int, error) {
	n := o.BatchSize
	if n == 0 {
		n = p.BatchSize
	}
	if n == 0 {
		n = DefaultBatchSize
	}
	if n < 1 || n > MaxBatchSize {
		return 0, fmt.Errorf("retention: %w: %d; want a whole number from 1 to %d", ErrInvalidBatchSize, n, MaxBatchSize)
	}
	return n, nil
}

// Run enforces the policy once.
//
// It records the run's start (a retention_runs row in state running and a
// retention.run audit record, in one transaction, after marking runs left
// running by a dead process as interrupted), then, for each category but
// audit, deletes the rows older than the policy's cutoff in batches of
// BatchSize rows, each batch its own short transaction (concurrent writers
// wait at most one batch), until a batch deletes fewer than BatchSize. Rows
// under an active legal hold are skipped by the store. While it works, a
// heartbeat updates the run's row with the counts so far. At the end the row
// gets its final state and counts and a second retention.run audit record
// says how it ended, with a signed checkpoint, in one transaction.
//
// A dry run counts instead of deleting. A run cancelled through ctx records
// itself as cancelled (with what it had deleted) before returning. A run
// killed outright stays "running" until the next run marks it interrupted
// and deletes what it left.
//
// It fails with a *RunInProgressError when another run is alive.
func (r *Runner) Run(ctx context.Context, p Policy, o RunOptions) (RunResult, error) {
	if err := r.check(); err != nil {
		return RunResult{}, err
	}
	if err := validPolicy(p); err != nil {
		return RunResult{}, err
	}
	limit, err := batchSize(p, o)
	if err != nil {
		return RunResult{}, err
	}
	now := o.Now
	if now.IsZero() {
		now = r.now()
	}
	res, err := r.start(ctx, p, o.DryRun, limit, now)
	if err != nil {
		return RunResult{}, err
	}
	log := r.logger().With("run_id", res.RunID)
	log.Info("retention run started", "dry_run", o.DryRun, "batch_size", limit)

	hb := newHeartbeat(r, res)
	runErr := r.work(ctx, &res, limit, o.Pause, o.Progress, hb)
	hb.stop()
	if errors.Is(runErr, errKilled) {
		return res, runErr // a test standing in for a killed process: record nothing
	}

	res.FinishedAt = r.now().UTC().Truncate(time.Microsecond)
	switch {
	case runErr == nil:
		res.State = StateDone
	case ctx.Err() != nil:
		res.State = StateCancelled
	default:
		res.State = StateFailed
	}
	// The end is recorded even when ctx was cancelled (a graceful stop).
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.finish(endCtx, res, runErr); err != nil {
		if runErr != nil {
			return res, fmt.Errorf("%w (and recording the end failed: %v)", runErr, err)
		}
		return res, fmt.Errorf("retention: run %s: record the end: %w", res.RunID, err)
	}
	log.Info("retention run finished", "state", res.State, "total", res.Total)
	if runErr != nil {
		return res, runErr
	}
	return res, nil
}

// start marks dead runs interrupted and records this run's start, in one
// transaction that holds the audit chain head first, so that two runs
// starting at once on PostgreSQL see each other.
func (r *Runner) start(ctx context.Context, p Policy, dry bool, limit int, now time.Time) (RunResult, error) {
	res := RunResult{DryRun: dry, Categories: plan(p, now)}
	err := r.Store.InTx(ctx, func(tx store.Tx) error {
		res.Interrupted = res.Interrupted[:0]
		if _, _, err := tx.Head(ctx); err != nil {
			return err
		}
		t := r.now().UTC()
		runs, err := tx.RecentRetentionRuns(ctx, recentScan)
		if err != nil {
			return err
		}
		for _, old := range runs {
			if old.State != StateRunning {
				continue
			}
			seen := lastSeen(old)
			if t.Sub(seen) < r.staleAfter() {
				return &RunInProgressError{RunID: old.ID, LastSeen: seen}
			}
			counts := publicCounts(old.Counts)
			old.State, old.FinishedAt, old.Counts = StateInterrupted, seen, counts
			if err := tx.UpdateRetentionRun(ctx, old); err != nil {
				return err
			}
			if _, err := r.Chain.Append(ctx, tx, audit.Record{
				Actor: r.actor(ctx), Action: audit.ActionRetentionRun, ObjectIDs: []string{old.ID},
				Counts: counts, Outcome: audit.OutcomePartial,
				Reason: fmt.Sprintf("interrupted: found running with no heartbeat for %s; the next run finishes its work", t.Sub(seen).Round(time.Second)),
			}); err != nil {
				return err
			}
			res.Interrupted = append(res.Interrupted, old.ID)
		}
		holds, err := tx.ActiveLegalHolds(ctx)
		if err != nil {
			return err
		}
		res.ActiveHolds = len(holds)
		run, err := tx.InsertRetentionRun(ctx, store.RetentionRun{
			StartedAt: t, DryRun: dry, State: StateRunning,
			Counts: map[string]int64{heartbeatKey: t.UnixMicro()},
		})
		if err != nil {
			return err
		}
		res.RunID, res.StartedAt, res.State = run.ID, run.StartedAt, StateRunning
		reason := "started"
		if dry {
			reason = "started (dry run: counts only, deletes nothing)"
		}
		_, err = r.Chain.Append(ctx, tx, audit.Record{
			Actor: r.actor(ctx), Action: audit.ActionRetentionRun, ObjectIDs: []string{run.ID},
			Counts:  map[string]int64{"batch_size": int64(limit), "active_legal_holds": int64(len(holds))},
			Outcome: audit.OutcomeSuccess, Reason: reason,
		})
		return err
	})
	if err != nil {
		var inProgress *RunInProgressError
		if errors.As(err, &inProgress) {
			return RunResult{}, err
		}
		return RunResult{}, fmt.Errorf("retention: record the start of the run: %w", err)
	}
	return res, nil
}

// errKilled stops a run without recording its end (tests only).
var errKilled = errors.New("retention: run stopped by a test hook")

// work deletes (or counts) category by category.
func (r *Runner) work(ctx context.Context, res *RunResult, limit int, pauseOpt time.Duration, progress func(Category, int64), hb *heartbeat) error {
	for i := range res.Categories {
		cr := &res.Categories[i]
		if cr.Category == RequestRecords || cr.Category == SuppressionList {
			if !cr.Cutoff.IsZero() {
				if err := r.pruneRecords(ctx, res, cr, limit, progress, hb); err != nil {
					return err
				}
			}
			continue
		}
		cat, ok := storeCategory[cr.Category]
		if !ok || cr.Cutoff.IsZero() {
			continue // audit, or off
		}
		if res.DryRun {
			n, err := r.Store.CountExpired(ctx, cat, cr.Cutoff)
			if err != nil {
				return fmt.Errorf("retention: run %s: count %s: %w", res.RunID, cat, err)
			}
			cr.Deleted = n
			res.Total += n
			hb.set(cr.Category, n)
			if progress != nil {
				progress(cr.Category, n)
			}
			continue
		}
		for {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("retention: run %s stopped in %s: %w", res.RunID, cat, err)
			}
			began := time.Now()
			n, err := r.Store.DeleteExpired(ctx, cat, cr.Cutoff, limit)
			if err != nil {
				return fmt.Errorf("retention: run %s: delete %s: %w", res.RunID, cat, err)
			}
			took := time.Since(began)
			cr.Batches++
			cr.Deleted += n
			res.Total += n
			hb.set(cr.Category, cr.Deleted)
			if progress != nil {
				progress(cr.Category, cr.Deleted)
			}
			if r.afterBatch != nil {
				if err := r.afterBatch(cat, cr.Batches); err != nil {
					return errKilled
				}
			}
			if n < int64(limit) {
				break
			}
			if d := pause(r.Store.Backend(), took, pauseOpt); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
		}
	}
	return nil
}

// busyDelays and busyTotals are the retry schedule of SQLite's busy handler
// (sqliteDefaultBusyCallback, kept by modernc.org/sqlite): the n-th retry
// sleeps busyDelays[n] ms after busyTotals[n] ms of waiting; from the last
// entry on, every retry sleeps 100 ms.
var (
	busyDelays = [...]time.Duration{1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100}
	busyTotals = [...]time.Duration{0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228}
)

// sqlitePause is the pause after a batch that took took on SQLite: the sleep
// a writer that began waiting when the batch began is in when it ends (plus
// 1 ms), so that writer, and every writer that began waiting later, wakes
// inside the pause and takes the lock before the next batch does.
func sqlitePause(took time.Duration) time.Duration {
	d := busyDelays[len(busyDelays)-1]
	for i := len(busyTotals) - 1; i >= 0; i-- {
		if took >= busyTotals[i]*time.Millisecond {
			d = busyDelays[i]
			break
		}
	}
	return d*time.Millisecond + time.Millisecond
}

// pause is the wait between two batches (see RunOptions.Pause).
func pause(backend string, took, opt time.Duration) time.Duration {
	switch {
	case opt < 0:
		return 0
	case opt > 0:
		return opt
	case backend == "sqlite":
		return sqlitePause(took)
	}
	return 0
}

// finish records the end of the run: its row and an audit record with the
// counts and the outcome, and a signed checkpoint, in one transaction.
func (r *Runner) finish(ctx context.Context, res RunResult, runErr error) error {
	counts := map[string]int64{}
	for _, c := range res.Categories {
		if c.Category == Audit || c.Cutoff.IsZero() {
			continue
		}
		counts[string(c.Category)] = c.Deleted
	}
	outcome, reason := audit.OutcomeSuccess, "finished"
	switch {
	case res.State == StateCancelled:
		outcome, reason = audit.OutcomePartial, "cancelled before the end; the next run finishes the work"
	case runErr != nil:
		outcome, reason = audit.OutcomePartial, "failed: "+errorClass(runErr)+"; the next run finishes the work"
	case res.DryRun:
		reason = "dry run finished: counts are what a run would delete; nothing was deleted"
	case res.Total == 0:
		outcome, reason = audit.OutcomeNoop, "finished: nothing was past its age"
	}
	if runErr != nil && res.Total == 0 {
		outcome = audit.OutcomeFailure
	}
	return r.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.UpdateRetentionRun(ctx, store.RetentionRun{
			ID: res.RunID, FinishedAt: res.FinishedAt, State: res.State, Counts: counts,
		}); err != nil {
			return err
		}
		if _, err := r.Chain.Append(ctx, tx, audit.Record{
			Actor: r.actor(ctx), Action: audit.ActionRetentionRun, ObjectIDs: []string{res.RunID},
			Counts: counts, Outcome: outcome, Reason: reason,
		}); err != nil {
			return err
		}
		_, _, err := r.Chain.Checkpoint(ctx, tx)
		return err
	})
}

// errorClass names an error's kind for the audit trail without its text
// (store errors carry no data, but the trail takes no chances).
func errorClass(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, store.ErrDiskFull):
		return "disk full"
	case errors.Is(err, store.ErrConnect):
		return "database unreachable"
	case errors.Is(err, store.ErrInvalid):
		return "invalid argument"
	case errors.Is(err, store.ErrCorrupt):
		return "corrupt data"
	}
	return "store error"
}

// lastSeen is when a running run last beat (its start if it never did).
func lastSeen(run store.RetentionRun) time.Time {
	if us, ok := run.Counts[heartbeatKey]; ok && us > 0 {
		return time.UnixMicro(us).UTC()
	}
	return run.StartedAt
}

// publicCounts drops the reserved heartbeat key.
func publicCounts(in map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(in))
	for k, v := range in {
		if k != heartbeatKey {
			out[k] = v
		}
	}
	return out
}

// heartbeat keeps a running run's row fresh, with the counts so far, from
// its own goroutine, so that a batch waiting on a lock does not make the run
// look dead.
type heartbeat struct {
	r      *Runner
	run    store.RetentionRun
	mu     sync.Mutex
	counts map[string]int64
	done   chan struct{}
	wg     sync.WaitGroup
}

func newHeartbeat(r *Runner, res RunResult) *heartbeat {
	h := &heartbeat{r: r, counts: map[string]int64{}, done: make(chan struct{}),
		run: store.RetentionRun{ID: res.RunID, StartedAt: res.StartedAt, DryRun: res.DryRun, State: StateRunning}}
	every := max(r.staleAfter()/4, time.Millisecond)
	h.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				h.beat()
			}
		}
	})
	return h
}

func (h *heartbeat) set(c Category, n int64) {
	h.mu.Lock()
	h.counts[string(c)] = n
	h.mu.Unlock()
}

func (h *heartbeat) beat() {
	h.mu.Lock()
	counts := make(map[string]int64, len(h.counts)+1)
	for k, v := range h.counts {
		counts[k] = v
	}
	h.mu.Unlock()
	counts[heartbeatKey] = h.r.now().UnixMicro()
	run := h.run
	run.Counts = counts
	ctx, cancel := context.WithTimeout(context.Background(), max(h.r.staleAfter()/4, time.Second))
	defer cancel()
	// Beat only while the row still says running: a run that stalled past
	// StaleAfter (a paused VM) and was marked interrupted by another run must
	// not flip the row back; it finishes its work and records its own end.
	err := h.r.Store.InTx(ctx, func(tx store.Tx) error {
		runs, err := tx.RecentRetentionRuns(ctx, recentScan)
		if err != nil {
			return err
		}
		for _, x := range runs {
			if x.ID == run.ID && x.State == StateRunning {
				return tx.UpdateRetentionRun(ctx, run)
			}
		}
		return nil
	})
	if err != nil {
		h.r.logger().Warn("retention run heartbeat failed", "run_id", run.ID, "error", err)
	}
	if h.r.afterBeat != nil {
		h.r.afterBeat()
	}
}

func (h *heartbeat) stop() {
	close(h.done)
	h.wg.Wait()
}

// Runs lists up to limit recent runs, newest first, without internal keys.
func (r *Runner) Runs(ctx context.Context, limit int) ([]store.RetentionRun, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	runs, err := r.Store.RecentRetentionRuns(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("retention: list runs: %w", err)
	}
	for i := range runs {
		runs[i].Counts = publicCounts(runs[i].Counts)
	}
	return runs, nil
}

// Preview is what a run at now would delete: per category, the rows past
// their age and not under a legal hold. It records nothing.
func (r *Runner) Preview(ctx context.Context, p Policy, now time.Time) ([]CategoryResult, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	if err := validPolicy(p); err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = r.now()
	}
	out := plan(p, now)
	for i := range out {
		cr := &out[i]
		cat, ok := storeCategory[cr.Category]
		if !ok || cr.Cutoff.IsZero() {
			continue // audit, or off
		}
		n, err := r.Store.CountExpired(ctx, cat, cr.Cutoff)
		if err != nil {
			return nil, fmt.Errorf("retention: count %s: %w", cat, err)
		}
		cr.Deleted = n
	}
	return out, nil
}

// plan is what a run at now does to each category, in Categories() order:
// the cutoff of a category that is processed, or the note saying why it is
// not (audit never is; an "off" category is not).
func plan(p Policy, now time.Time) []CategoryResult {
	out := make([]CategoryResult, 0, len(Categories()))
	for _, c := range Categories() {
		cr := CategoryResult{Category: c, Age: p.Age(c).String()}
		_, processed := storeCategory[c]
		processed = processed || c == RequestRecords || c == SuppressionList
		switch {
		case !processed:
			cr.Note = auditNote
		case p.Age(c).IsOff():
			cr.Note = "off: not removed automatically"
		default:
			cr.Cutoff = p.Cutoff(c, now).UTC()
		}
		out = append(out, cr)
	}
	return out
}

// FormatCount formats a count for people ("1,234,567").
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
