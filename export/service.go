package export

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/exportfile"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Defaults for Params.
const (
	DefaultPollInterval = 30 * time.Second
	DefaultTimeout      = time.Hour
	// DefaultDownloadAttempts is how many times a download that fails part-way
	// (truncated, corrupt, a dropped connection) is tried before the job is
	// recorded as bad_download.
	DefaultDownloadAttempts = 3
	// DefaultKeepFor is the export retention used when the policy gives none.
	DefaultKeepFor = 7 * 24 * time.Hour
)

// States of a job as recorded in the store (store.ExportJob.State). The first
// three are Intercom's, "complete" and "completed" both recorded as completed;
// the others are the workflow's final states.
const (
	StatePending    = intercom.ExportPending
	StateInProgress = intercom.ExportInProgress
	// StateCompleted: Intercom finished the job; the files are not yet fetched.
	StateCompleted = intercom.ExportCompleted
	// StateDownloaded: the files were written to a directory (and kept, if asked).
	StateDownloaded = "downloaded"
	// StateKept: the files were kept in the store, encrypted, until their expiry.
	StateKept     = "kept"
	StateNoData   = intercom.ExportNoData
	StateFailed   = intercom.ExportFailed
	StateCanceled = intercom.ExportCanceled
	// StateTimedOut: the job did not finish in time and this tool cancelled it.
	StateTimedOut = "timed_out"
	// StateExpired: the download (or the job) no longer exists at Intercom.
	StateExpired = "expired"
	// StateBadDownload: the download was truncated, corrupt or malformed.
	StateBadDownload = "bad_download"
	// StateCreateUnknown: a create request's outcome is unknown; the row's
	// identifier is this tool's own ("unknown_..."), not Intercom's.
	StateCreateUnknown = "create_unknown"
)

// openStates are the states of a job that is still to be finished: a run for the
// same range resumes it.
var openStates = []string{StatePending, StateInProgress, StateCompleted}

// Resumable reports whether a recorded state is one a later run resumes (the job
// is not finished: pending, in_progress, or completed but not yet fetched).
func Resumable(state string) bool {
	for _, s := range openStates {
		if s == state {
			return true
		}
	}
	return false
}

// Phase is what a run is doing, for progress displays.
type Phase string

// Phases reported to Params.Progress.
const (
	// PhaseQueued: another export holds the workspace's one slot; waiting.
	PhaseQueued Phase = "queued"
	// PhaseWaiting: the job is pending or in progress at Intercom.
	PhaseWaiting Phase = "waiting"
	// PhaseCanceling: the timeout passed; cancelling the job.
	PhaseCanceling Phase = "canceling"
	// PhaseDownloading: fetching and decoding the files.
	PhaseDownloading Phase = "downloading"
	// PhaseDone: the run ended (see Result).
	PhaseDone Phase = "done"
)

// Status is a progress report. It holds no personal data.
type Status struct {
	Phase Phase
	// Job is the job identifier (empty while queued before creating one).
	Job string
	// IntercomStatus is the job's last status as Intercom spelled it.
	IntercomStatus string
	// Behind is the job of this tool this run waits for, when known.
	Behind string
	// Resumed reports that the job was found in the store, not created by this run.
	Resumed bool
	// Elapsed is the time since the job was created (or, queued, since the run began).
	Elapsed time.Duration
	// Files and Rows count what was decoded so far.
	Files int
	Rows  int64
}

// Params describe one export run.
type Params struct {
	// Since and Until are the first and last day of the range (inclusive, UTC
	// calendar days; the time of day is ignored).
	Since, Until time.Time
	// OutDir, when set, receives the files in a directory of their own
	// (DirName), all at once.
	OutDir string
	// Keep stores the files in the store, encrypted, until the export retention
	// ends (Service.KeepFor). At least one of OutDir and Keep is required. When a
	// kept copy of the same range exists and has not expired, Run reuses it (and
	// writes it to OutDir, if given) instead of creating another Intercom job and
	// keeping a second copy of the same personal data, unless Force.
	Keep bool
	// Force, with Keep, exports again although a kept copy of the range exists.
	Force bool
	// PollInterval is how often the job is polled, and how often a queued run
	// tries again (DefaultPollInterval when 0).
	PollInterval time.Duration
	// Timeout bounds how long a job may stay unfinished after its creation before
	// it is cancelled, and how long a run waits in the queue (DefaultTimeout when 0).
	Timeout time.Duration
	// Progress, when set, is called as the run moves on.
	Progress func(Status)
	// TempDir holds sealed (encrypted) files before they are stored when Keep is
	// set, and a zip download while it is read (os.TempDir() when empty). Only
	// ciphertext is written there unless the download is a zip.
	TempDir string
}

// Outcome is how a run ended.
type Outcome string

// Outcomes of Run. Only the first three come with a nil error.
const (
	OutcomeDownloaded Outcome = "downloaded" // files written to OutDir (and kept, if asked)
	OutcomeKept       Outcome = "kept"       // files kept in the store only
	OutcomeNoData     Outcome = "no_data"    // no message was sent in the range: nothing to download
	OutcomeFailed     Outcome = "failed"
	OutcomeCanceled   Outcome = "canceled"
	OutcomeTimedOut   Outcome = "timed_out"
	OutcomeExpired    Outcome = "expired"
	OutcomeBad        Outcome = "bad_download"
	OutcomeUnknown    Outcome = "create_unknown"
)

// Result is what a run did. It holds no personal data.
type Result struct {
	Job     string  `json:"job_identifier"`
	Outcome Outcome `json:"outcome"`
	// Resumed reports that the job was found in the store (a restart).
	Resumed bool `json:"resumed"`
	// Reused reports that a kept copy of the same range was reused: no job was
	// created at Intercom and nothing new was kept.
	Reused bool `json:"reused,omitempty"`
	// IntercomStatus is the job's last status as Intercom spelled it.
	IntercomStatus string `json:"intercom_status,omitempty"`
	Since          string `json:"since"`
	Until          string `json:"until"`
	// Dir is the directory holding the files, when written.
	Dir   string     `json:"dir,omitempty"`
	Files []FileInfo `json:"files,omitempty"`
	Rows  int64      `json:"rows"`
	// ExpiresAt is when kept files expire.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Warnings  []string  `json:"warnings,omitempty"`
}

// Service runs exports. Store, Vault, Chain and Intercom are required.
type Service struct {
	Store    store.Store
	Vault    *vault.Vault
	Chain    *audit.Chain
	Intercom *intercom.Client
	// Actor names who acts in audit records ("cli:<user>", "worker").
	Actor string
	// Retention gives the export_files age for kept files (retention.Default()
	// when zero).
	Retention *retention.Policy
	// DownloadAttempts bounds download retries (DefaultDownloadAttempts when 0).
	DownloadAttempts int
	// Lease is how long a download may go without renewal before another run
	// takes it over (DefaultLease when 0).
	Lease  time.Duration
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// actor names who acts in audit records: the authz.Principal ctx carries (a
// console or API user), else Actor, else "cli".
func (s *Service) actor(ctx context.Context) string {
	return authz.ActorFrom(ctx, cmp.Or(s.Actor, "cli"))
}

// KeepFor returns how long kept files live: the policy's export_files age
// (DefaultKeepFor when no policy is set; 0 when the policy says off).
func (s *Service) KeepFor(now time.Time) time.Duration {
	if s.Retention == nil {
		return DefaultKeepFor
	}
	cut := s.Retention.Cutoff(retention.Category(store.CategoryExportFiles), now)
	if cut.IsZero() {
		return 0
	}
	return now.Sub(cut)
}

// day truncates t to its UTC calendar day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDate parses a YYYY-MM-DD date as a UTC day.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		shown := "(the value given)"
		if len(s) <= 10 && strings.Trim(s, "0123456789-") == "" {
			shown = strconv.Quote(s)
		}
		return time.Time{}, fmt.Errorf("%w: date %s is not YYYY-MM-DD", ErrInvalidParams, shown)
	}
	return t, nil
}

// validate normalises p and checks it against now.
func (p *Params) validate(now time.Time) error {
	if p.Since.IsZero() || p.Until.IsZero() {
		return fmt.Errorf("%w: since and until are both required", ErrInvalidParams)
	}
	p.Since, p.Until = day(p.Since), day(p.Until)
	if p.Since.After(p.Until) {
		return fmt.Errorf("%w: since %s is after until %s", ErrInvalidParams, p.Since.Format(time.DateOnly), p.Until.Format(time.DateOnly))
	}
	if p.Until.After(day(now)) {
		return fmt.Errorf("%w: until %s is in the future (today is %s, UTC)", ErrInvalidParams, p.Until.Format(time.DateOnly), day(now).Format(time.DateOnly))
	}
	if p.OutDir == "" && !p.Keep {
		return fmt.Errorf("%w: give an output directory, or keep the files in the store, or both", ErrInvalidParams)
	}
	if p.PollInterval < 0 || p.Timeout < 0 {
		return fmt.Errorf("%w: poll interval and timeout must not be negative", ErrInvalidParams)
	}
	if p.OutDir != "" {
		// Before any job is created at Intercom: a directory that cannot be
		// made is found now, not after the download.
		if _, err := checkOutDir(p.OutDir); err != nil {
			return err
		}
	}
	if p.PollInterval == 0 {
		p.PollInterval = DefaultPollInterval
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	return nil
}

// outcome is the JSON kept in store.ExportJob.Outcome: no personal data.
type outcome struct {
	IntercomStatus string     `json:"intercom_status,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Dir            string     `json:"dir,omitempty"`
	Files          []FileInfo `json:"files,omitempty"`
	Rows           int64      `json:"rows,omitempty"`
	ExpiresAt      time.Time  `json:"expires_at,omitzero"`
	Warnings       []string   `json:"warnings,omitempty"`
}

func decodeOutcome(b json.RawMessage) outcome {
	var o outcome
	if len(b) > 0 {
		_ = json.Unmarshal(b, &o)
	}
	return o
}

// run is the state of one Run.
type run struct {
	s       *Service
	p       Params
	start   time.Time
	job     store.ExportJob
	resumed bool
	last    intercom.DataExport
	// owner identifies this run in the download lease; leasedAt is when it last
	// took or renewed it.
	owner    string
	leasedAt time.Time
}

func (r *run) report(st Status) {
	if r.p.Progress == nil {
		return
	}
	if st.Job == "" {
		st.Job = r.job.JobIdentifier
	}
	st.Resumed = r.resumed
	if st.IntercomStatus == "" {
		st.IntercomStatus = r.last.Status
	}
	if st.Elapsed == 0 {
		from := r.job.CreatedAt
		if from.IsZero() {
			from = r.start
		}
		st.Elapsed = r.s.now().Sub(from)
	}
	r.p.Progress(st)
}

// Run exports the outbound-message statistics of the range: it resumes the open
// job recorded for the same range or creates one (waiting in the queue while
// another export runs), polls it, cancels it after the timeout, downloads and
// decodes the files, and writes or keeps them. A nil error comes with
// OutcomeDownloaded, OutcomeKept or OutcomeNoData; otherwise the error is an *Error
// (or the context's error, or an Intercom error that leaves the job resumable).
// Cancelling ctx leaves the job recorded as it was: run again to resume it.
func (s *Service) Run(ctx context.Context, p Params) (Result, error) {
	if s.Store == nil || s.Vault == nil || s.Chain == nil || s.Intercom == nil {
		return Result{}, fmt.Errorf("%w: the export service needs a store, a vault, an audit chain and an Intercom client", ErrInvalidParams)
	}
	if err := p.validate(s.now()); err != nil {
		return Result{}, err
	}
	if p.Keep && !p.Force {
		if res, ok, err := s.reuseKept(ctx, p); ok || err != nil {
			return res, err
		}
	}
	r := &run{s: s, p: p, start: s.now(), owner: store.NewID("run_")}
	if err := r.findOrCreate(ctx); err != nil {
		return r.result(), err
	}
	res, err := r.poll(ctx)
	r.report(Status{Phase: PhaseDone})
	return res, err
}

func (r *run) result() Result {
	o := decodeOutcome(r.job.Outcome)
	res := Result{Job: r.job.JobIdentifier, Resumed: r.resumed, IntercomStatus: r.last.Status,
		Since: r.p.Since.Format(time.DateOnly), Until: r.p.Until.Format(time.DateOnly),
		Files: o.Files, Rows: o.Rows, ExpiresAt: o.ExpiresAt, Warnings: o.Warnings}
	if o.Dir != "" && r.p.OutDir != "" {
		res.Dir = filepath.Join(r.p.OutDir, o.Dir)
	}
	if res.IntercomStatus == "" {
		res.IntercomStatus = o.IntercomStatus
	}
	res.Outcome = finals[r.job.State].outcome // "" while the job is open
	return res
}

// finals maps each final recorded state to the run's outcome and, unless it is
// a success, the sentinel of the run's error.
var finals = map[string]struct {
	outcome Outcome
	err     error
}{
	StateDownloaded:    {OutcomeDownloaded, nil},
	StateKept:          {OutcomeKept, nil},
	StateNoData:        {OutcomeNoData, nil},
	StateFailed:        {OutcomeFailed, ErrJobFailed},
	StateCanceled:      {OutcomeCanceled, ErrJobCanceled},
	StateTimedOut:      {OutcomeTimedOut, ErrTimeout},
	StateExpired:       {OutcomeExpired, ErrExpired},
	StateBadDownload:   {OutcomeBad, ErrBadDownload},
	StateCreateUnknown: {OutcomeUnknown, ErrCreateUnknown},
}

// findOrCreate resumes the open job of the same range, or creates one once no
// other export holds the workspace's slot.
func (r *run) findOrCreate(ctx context.Context) error {
	s := r.s
	queueDeadline := r.start.Add(r.p.Timeout)
	for {
		open, err := s.Store.ExportJobs(ctx, openStates...)
		if err != nil {
			return err
		}
		var others []store.ExportJob
		for _, j := range open {
			if j.Since.Equal(r.p.Since) && j.Until.Equal(r.p.Until) {
				r.job, r.resumed = j, true
				s.logger().InfoContext(ctx, "export: resuming the job recorded for this range", "job", j.JobIdentifier, "state", j.State)
				return nil
			}
			if j.State != StateCompleted {
				others = append(others, j)
			}
		}
		// Other runs of this tool have jobs open: wait while Intercom still
		// reports one unfinished (a stale row whose job ended does not block).
		busy, err := r.busy(ctx, others)
		if err != nil {
			return err
		}
		if busy != "" {
			if err := r.queueWait(ctx, queueDeadline, busy); err != nil {
				return err
			}
			continue
		}
		d, err := s.Intercom.CreateContentExport(ctx, r.p.Since, r.p.Until.Add(24*time.Hour-time.Second))
		switch {
		case err == nil:
			return r.recordCreated(ctx, d)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, intercom.ErrUnknownOutcome):
			return r.recordCreateUnknown(ctx)
		case errors.Is(err, intercom.ErrRateLimited):
			// One export per workspace: someone else's job runs. Queue.
			if err := r.queueWait(ctx, queueDeadline, ""); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// busy returns the first of jobs Intercom reports unfinished, or "".
func (r *run) busy(ctx context.Context, jobs []store.ExportJob) (string, error) {
	for _, j := range jobs {
		d, err := r.s.Intercom.GetContentExport(ctx, j.JobIdentifier)
		switch {
		case err == nil && !d.Finished():
			return j.JobIdentifier, nil
		case err != nil && ctx.Err() != nil:
			return "", ctx.Err()
		case err != nil && !errors.Is(err, intercom.ErrNotFound) && !isGone(err):
			return "", err
		}
	}
	return "", nil
}

func (r *run) queueWait(ctx context.Context, deadline time.Time, behind string) error {
	now := r.s.now()
	if !now.Before(deadline) {
		return &Error{Err: ErrQueueTimeout, Reason: "another export held the slot for " + r.p.Timeout.String()}
	}
	r.report(Status{Phase: PhaseQueued, Behind: behind, Elapsed: now.Sub(r.start)})
	return sleep(ctx, min(r.p.PollInterval, deadline.Sub(now)))
}

// validJobID accepts Intercom job identifiers: short, of [A-Za-z0-9_.:-] (they
// become file names and audit object ids).
func validJobID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == ':' || b == '-') {
			return false
		}
	}
	return id != "." && id != ".."
}

// safeStatus is Intercom's status if it looks like one, else "unrecognised".
func safeStatus(st string) string {
	if st == "" || len(st) > 32 {
		return "unrecognised"
	}
	for i := 0; i < len(st); i++ {
		if b := st[i]; !(b >= 'a' && b <= 'z' || b == '_') {
			return "unrecognised"
		}
	}
	return st
}

// stateOf maps Intercom's status to the recorded state.
func stateOf(d intercom.DataExport) string {
	if d.Completed() {
		return StateCompleted
	}
	return safeStatus(d.Status)
}

func (r *run) recordCreated(ctx context.Context, d intercom.DataExport) error {
	if !validJobID(d.JobIdentifier) {
		return &Error{Err: ErrMalformedJob, Reason: "create answered without a usable job_identifier"}
	}
	r.last = d
	st := stateOf(d)
	if !Resumable(st) && !isFinal(st) {
		st = StatePending
	}
	j := store.ExportJob{JobIdentifier: d.JobIdentifier, Since: r.p.Since, Until: r.p.Until, State: st, CreatedAt: r.s.now(),
		Outcome: mustJSON(outcome{IntercomStatus: safeStatus(d.Status)})}
	// The job now exists at Intercom: record it even if ctx was just cancelled
	// (an interrupt right after the create must not orphan the job).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := r.s.Store.InTx(rctx, func(tx store.Tx) error {
		if err := tx.PutExportJob(rctx, j); err != nil {
			return err
		}
		return r.appendAudit(rctx, tx, j.JobIdentifier, audit.OutcomeSuccess, "created; status "+safeStatus(d.Status), nil)
	})
	if err != nil {
		// The job exists at Intercom but is not recorded: say so, with its id, so
		// an operator can cancel it. Nothing else can be done safely.
		return fmt.Errorf("export job %s was created at Intercom but could not be recorded (cancel it or let it expire): %w", d.JobIdentifier, err)
	}
	got, err := r.s.Store.GetExportJob(rctx, j.JobIdentifier)
	if err != nil {
		return err
	}
	r.job = got
	r.s.logger().InfoContext(ctx, "export: job created", "job", j.JobIdentifier)
	return nil
}

func (r *run) recordCreateUnknown(ctx context.Context) error {
	id := store.NewID("unknown_")
	j := store.ExportJob{JobIdentifier: id, Since: r.p.Since, Until: r.p.Until, State: StateCreateUnknown, CreatedAt: r.s.now(),
		Outcome: mustJSON(outcome{Reason: "create request sent, no answer; a job may exist at Intercom with an identifier never received"})}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	err := r.s.Store.InTx(rctx, func(tx store.Tx) error {
		if err := tx.PutExportJob(rctx, j); err != nil {
			return err
		}
		return r.appendAudit(rctx, tx, id, audit.OutcomePartial, "create outcome unknown; not retried", nil)
	})
	if err != nil {
		return errors.Join(&Error{Err: ErrCreateUnknown}, err)
	}
	r.job = j
	return &Error{Job: id, State: StateCreateUnknown, Err: ErrCreateUnknown,
		Reason: "Intercom may be running a job whose identifier never arrived; run again later: the new run waits while it holds the slot"}
}

// recordTimeout bounds the recording of a job Intercom has just created, which
// runs even when the run's context is cancelled.
const recordTimeout = 30 * time.Second

func isFinal(st string) bool {
	switch st {
	case StateNoData, StateFailed, StateCanceled:
		return true
	}
	return false
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func (r *run) appendAudit(ctx context.Context, tx store.Tx, job string, out audit.Outcome, reason string, counts map[string]int64) error {
	rec := audit.Record{Actor: r.s.actor(ctx), Action: audit.ActionExportJob, Outcome: out, Reason: reason, Counts: counts}
	if job != "" {
		rec.ObjectIDs = []string{job}
	}
	_, err := r.s.Chain.Append(ctx, tx, rec)
	return err
}

// transition records a new state with its audit record, in one transaction, if
// the stored job is still in an open state (another run may have finished it:
// then the stored row wins and finished reports it).
func (r *run) transition(ctx context.Context, state string, o outcome, auditOut audit.Outcome, reason string, counts map[string]int64, extra func(store.Tx) error) (finished bool, err error) {
	id := r.job.JobIdentifier
	var cur store.ExportJob
	err = r.s.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		cur, err = tx.GetExportJob(ctx, id)
		if err != nil {
			return err
		}
		if !Resumable(cur.State) {
			finished = true
			return nil
		}
		if cur.State == state {
			// Another run recorded the same change already: nothing to do.
			return nil
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		cur.State, cur.Outcome, cur.DownloadURL = state, mustJSON(o), ""
		if err := tx.PutExportJob(ctx, cur); err != nil {
			return err
		}
		return r.appendAudit(ctx, tx, id, auditOut, reason, counts)
	})
	if err != nil {
		return false, err
	}
	if got, gerr := r.s.Store.GetExportJob(ctx, id); gerr == nil {
		r.job = got
	}
	return finished, nil
}

// settle records a final state (see transition) and returns the run's final
// result: the recorded state, whether this run or another recorded it.
func (r *run) settle(ctx context.Context, state string, o outcome, auditOut audit.Outcome, reason string) (Result, error) {
	if _, err := r.transition(ctx, state, o, auditOut, reason, nil, nil); err != nil {
		return r.result(), err
	}
	return r.finalResult()
}

// advance records an open state (see transition); stop reports that the run
// ends here, with res and err final (the transition failed, or another run
// finished the job).
func (r *run) advance(ctx context.Context, state string, o outcome, reason string) (res Result, stop bool, err error) {
	finished, err := r.transition(ctx, state, o, audit.OutcomeSuccess, reason, nil, nil)
	if err != nil {
		return r.result(), true, err
	}
	if finished {
		res, err = r.finalResult()
		return res, true, err
	}
	return Result{}, false, nil
}

// poll follows the job to its end.
func (r *run) poll(ctx context.Context) (Result, error) {
	s := r.s
	if !Resumable(r.job.State) {
		return r.finalResult()
	}
	jobDeadline := r.job.CreatedAt.Add(r.p.Timeout)
	for {
		d, err := s.Intercom.GetContentExport(ctx, r.job.JobIdentifier)
		if err != nil {
			if ctx.Err() != nil {
				return r.result(), ctx.Err()
			}
			if errors.Is(err, intercom.ErrNotFound) || isGone(err) {
				return r.settle(ctx, StateExpired, outcome{Reason: "job not found at Intercom"}, audit.OutcomeFailure, "job no longer exists at Intercom")
			}
			// 401, 5xx after retries, ...: the job stays recorded; a rerun resumes.
			return r.result(), err
		}
		r.last = d
		st := stateOf(d)
		switch {
		case d.Completed():
			if r.job.State != StateCompleted {
				if res, stop, err := r.advance(ctx, StateCompleted, outcome{IntercomStatus: safeStatus(d.Status)}, "completed at Intercom; status "+safeStatus(d.Status)); stop {
					return res, err
				}
			}
			return r.download(ctx, d)
		case st == StateNoData:
			return r.settle(ctx, StateNoData, outcome{IntercomStatus: d.Status}, audit.OutcomeNoop, "no data: no message was sent in the range")
		case st == StateFailed:
			return r.settle(ctx, StateFailed, outcome{IntercomStatus: d.Status, Reason: "HTTP 504 status failed"}, audit.OutcomeFailure, "failed at Intercom (HTTP 504)")
		case st == StateCanceled:
			return r.settle(ctx, StateCanceled, outcome{IntercomStatus: d.Status, Reason: "cancelled outside this run"}, audit.OutcomeFailure, "cancelled at Intercom")
		}
		if st != r.job.State && Resumable(st) {
			if res, stop, err := r.advance(ctx, st, outcome{IntercomStatus: d.Status}, "status "+st); stop {
				return res, err
			}
		}
		now := s.now()
		if !now.Before(jobDeadline) {
			return r.cancel(ctx)
		}
		r.report(Status{Phase: PhaseWaiting})
		if err := sleep(ctx, min(r.p.PollInterval, jobDeadline.Sub(now))); err != nil {
			return r.result(), err
		}
	}
}

func isGone(err error) bool {
	var ie *intercom.Error
	return errors.As(err, &ie) && ie.Status == 410
}

// cancel cancels the job after the timeout and records the outcome.
func (r *run) cancel(ctx context.Context) (Result, error) {
	r.report(Status{Phase: PhaseCanceling})
	d, err := r.s.Intercom.CancelContentExport(ctx, r.job.JobIdentifier)
	if err != nil {
		if ctx.Err() != nil {
			return r.result(), ctx.Err()
		}
		if !errors.Is(err, intercom.ErrNotFound) {
			// The job stays open in the store; a rerun finds the timeout passed and
			// cancels again (cancelling is idempotent).
			return r.result(), fmt.Errorf("export job %s timed out and cancelling it failed (run again to retry): %w", r.job.JobIdentifier, err)
		}
	}
	r.last = d
	if d.Completed() {
		// It finished just as we gave up: take the files.
		return r.download(ctx, d)
	}
	reason := "timed out after " + r.p.Timeout.String() + "; cancelled"
	if err != nil {
		reason = "timed out after " + r.p.Timeout.String() + "; job already gone at Intercom"
	} else if d.Status != intercom.ExportCanceled {
		reason = "timed out after " + r.p.Timeout.String() + "; cancel answered status " + safeStatus(d.Status)
	}
	return r.settle(ctx, StateTimedOut, outcome{IntercomStatus: safeStatus(d.Status), Reason: reason}, audit.OutcomeFailure, reason)
}

// finalResult turns a final recorded state into the result and error.
func (r *run) finalResult() (Result, error) {
	res := r.result()
	f, ok := finals[r.job.State]
	switch {
	case !ok:
		return res, fmt.Errorf("export job %s is in state %q", r.job.JobIdentifier, r.job.State)
	case f.err == nil:
		return res, nil
	}
	return res, &Error{Job: r.job.JobIdentifier, State: r.job.State, Reason: decodeOutcome(r.job.Outcome).Reason, Err: f.err}
}

// download fetches, decodes and writes or keeps the files of a completed job.
func (r *run) download(ctx context.Context, d intercom.DataExport) (Result, error) {
	s := r.s
	if !d.DownloadExpiresAt.IsZero() && !s.now().Before(d.DownloadExpiresAt.Time()) {
		return r.settle(ctx, StateExpired, outcome{IntercomStatus: d.Status, Reason: "download_expires_at passed"}, audit.OutcomeFailure, "download expired before it was fetched")
	}
	// Another run resuming the same job may be downloading it: wait for it to
	// finish, or for its lease to lapse (it was killed).
	for {
		held, finished, err := r.claim(ctx)
		if err != nil {
			return r.result(), err
		}
		if finished {
			return r.finalResult()
		}
		if !held {
			break
		}
		r.report(Status{Phase: PhaseQueued, Behind: r.job.JobIdentifier})
		if err := sleep(ctx, r.p.PollInterval); err != nil {
			return r.result(), err
		}
	}
	defer r.release(ctx)
	attempts := s.DownloadAttempts
	if attempts <= 0 {
		attempts = DefaultDownloadAttempts
	}
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		r.report(Status{Phase: PhaseDownloading})
		res, done, err := r.fetchOnce(ctx, d)
		if err == nil {
			return res, nil
		}
		if done {
			return res, err
		}
		switch {
		case ctx.Err() != nil:
			return r.result(), ctx.Err()
		case errors.Is(err, intercom.ErrNotFound) || isGone(err):
			return r.settle(ctx, StateExpired, outcome{IntercomStatus: d.Status, Reason: "download answered not found"}, audit.OutcomeFailure, "download no longer available at Intercom")
		case errors.Is(err, ErrOutDir), errors.Is(err, intercom.ErrUnauthorized), errors.Is(err, intercom.ErrForbidden),
			errors.Is(err, intercom.ErrForeignHost), errors.Is(err, intercom.ErrValidation), isVaultErr(err):
			// Not the download's fault: the job stays completed; fix and rerun.
			return r.result(), err
		}
		last = err
		s.logger().WarnContext(ctx, "export: download attempt failed", "job", r.job.JobIdentifier, "attempt", attempt, "reason", reasonOf(err))
	}
	reason := reasonOf(last)
	if _, err := r.transition(ctx, StateBadDownload, outcome{IntercomStatus: d.Status, Reason: reason}, audit.OutcomeFailure, "download unusable: "+reason, nil, nil); err != nil {
		return r.result(), err
	}
	res, err := r.finalResult()
	return res, errors.Join(err, last)
}

func isVaultErr(err error) bool {
	return errors.Is(err, vault.ErrNoMasterKey) || errors.Is(err, vault.ErrNotOpen) || errors.Is(err, vault.ErrKeyUnwrap)
}

// reasonOf names the class of a download failure, without data.
func reasonOf(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{exportfile.ErrEmpty, "empty"}, {exportfile.ErrUnknownFormat, "unknown_format"},
		{exportfile.ErrTruncated, "truncated"}, {exportfile.ErrCorrupt, "corrupt"},
		{exportfile.ErrTooLarge, "too_large"}, {exportfile.ErrNoHeader, "no_header"},
		{exportfile.ErrMissingColumn, "missing_column"}, {exportfile.ErrBadQuoting, "bad_quoting"},
		{exportfile.ErrFieldCount, "field_count"}, {exportfile.ErrRowTooLarge, "row_too_large"},
		{exportfile.ErrFieldTooLarge, "field_too_large"}, {exportfile.ErrBadValue, "bad_value"},
		{intercom.ErrServer, "server_error"}, {intercom.ErrRateLimited, "rate_limited"},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "transport"
}

// fetchOnce downloads and decodes once. done reports that the job reached a final
// recorded state (by this run or another), with res and err final.
func (r *run) fetchOnce(ctx context.Context, d intercom.DataExport) (res Result, done bool, err error) {
	s := r.s
	body, err := s.Intercom.DownloadExport(ctx, d.DownloadURL)
	if err != nil {
		return Result{}, false, err
	}
	defer body.Close()
	now := s.now()
	dirName := DirName(r.job.JobIdentifier, r.p.Since, r.p.Until)
	var sinks multiSink
	var ds *dirSink
	var ks *keepSink
	if r.p.OutDir != "" {
		ds, err = newDirSink(r.p.OutDir, dirName)
		if err != nil {
			return Result{}, false, err
		}
		sinks = append(sinks, ds)
	}
	var expires time.Time
	if r.p.Keep {
		if keep := s.KeepFor(now); keep > 0 {
			expires = now.Add(keep)
		}
		ks = newKeepSink(ctx, s.Vault, keyID(r.job.JobIdentifier), r.job.JobIdentifier, r.p.TempDir)
		sinks = append(sinks, ks)
		defer ks.cleanup()
	}
	// A zip cannot be streamed: exportfile buffers it whole. In the staging
	// directory when writing files (removed with it), else in TempDir or memory.
	opts := exportfile.Options{TempDir: r.p.TempDir}
	if ds != nil {
		opts.TempDir = ds.staging
	}
	arch, err := exportfile.OpenWith(body, opts)
	if err != nil {
		sinks.abort()
		return Result{}, false, err
	}
	defer arch.Close()
	leaveOut, err := limitedRows(ctx, s.Store, s.Vault)
	if err != nil {
		sinks.abort()
		return Result{}, false, err
	}
	var renewErr error
	infos, warnings, err := decode(ctx, arch, sinks, leaveOut, func(files int, rows int64) {
		if renewErr == nil {
			renewErr = r.renew(ctx)
		}
		r.report(Status{Phase: PhaseDownloading, Files: files, Rows: rows})
	})
	if err == nil && renewErr != nil {
		err = renewErr
	}
	if err != nil {
		sinks.abort()
		return Result{}, false, err
	}
	if err := arch.Close(); err != nil {
		sinks.abort()
		return Result{}, false, err
	}
	var rows int64
	for _, f := range infos {
		rows += f.Rows
	}
	o := outcome{IntercomStatus: safeStatus(d.Status), Files: infos, Rows: rows, ExpiresAt: expires, Warnings: warnings}
	state := StateKept
	if ds != nil {
		state = StateDownloaded
		o.Dir = dirName
		m := Manifest{JobIdentifier: r.job.JobIdentifier, Since: r.p.Since.Format(time.DateOnly), Until: r.p.Until.Format(time.DateOnly),
			WrittenAt: now.UTC(), Format: string(arch.Format), Files: infos, Warnings: warnings, Note: manifestNote}
		if _, err := ds.commit(m); err != nil {
			if ks != nil {
				ks.abort()
			}
			return Result{}, false, err
		}
	}
	counts := map[string]int64{"files": int64(len(infos)), "rows": rows}
	reason := "downloaded " + string(arch.Format)
	if ks != nil {
		reason += "; kept encrypted"
		if ds == nil {
			reason = "kept encrypted " + string(arch.Format)
		}
	}
	// If another run recorded the job first, its record stands: either way the
	// recorded state is final now.
	if _, err := r.transition(ctx, state, o, audit.OutcomeSuccess, reason, counts, func(tx store.Tx) error {
		if ks == nil {
			return nil
		}
		return ks.store(ctx, tx, expires, o.Files)
	}); err != nil {
		return Result{}, false, err
	}
	res, err = r.finalResult()
	return res, true, err
}

// keyID is the vault key the kept files of a job are sealed under.
func keyID(job string) string { return "export:" + job }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
