package dsar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The steps of a request, in the order they run. Access runs resolve → package →
// complete; erasure runs resolve → delete_tickets → delete_conversations →
// redact_parts → delete_contacts → purge_local → destroy_keys → suppress → verify → complete;
// access+erasure runs the package step after resolve and then the erasure steps.
const (
	StepResolve             = "resolve"
	StepPackage             = "package"
	StepDeleteTickets       = "delete_tickets"
	StepDeleteConversations = "delete_conversations"
	StepRedactParts         = "redact_parts"
	StepDeleteContacts      = "delete_contacts"
	StepPurgeLocal          = "purge_local"
	StepDestroyKeys         = "destroy_keys"
	StepSuppress            = "suppress"
	StepVerify              = "verify"
	StepComplete            = "complete"
)

// Bookkeeping rows kept next to the steps (their names start with "_", and `dsar
// show` hides them): the lease of the worker running the request, and whether the
// request is paused.
const (
	stepLease = "_lease"
	stepPause = "_pause"
)

// Pause reasons: Intercom refuses the access token (401), or the token lacks a
// scope the request needs (403, e.g. deleting conversations with
// retain_metrics=false needs delete_conversations_and_metrics). A legal hold
// pauses an erasure too (PauseLegalHold, erasure_holds.go).
const (
	PauseUnauthorized = "intercom_unauthorized"
	PauseForbidden    = "intercom_forbidden"
	// PauseUpdateRefused: Intercom refused a correction's or a mark's write as
	// invalid or conflicting (400, 409, 422); retrying will not help. Fix the
	// value or the contact in Intercom (the request resumes on the next
	// retry), or deny the request.
	PauseUpdateRefused = "intercom_refused_update"
)

// DefaultLeaseTTL is how long a worker's claim on a request lasts without renewal.
const DefaultLeaseTTL = 2 * time.Minute

// Errors of Run. None carries an identifier.
var (
	// ErrNotVerified: the request is still "received"; verify the requester first.
	ErrNotVerified = errors.New("dsar: the request is not verified yet: verify the requester's identity first")
	// ErrLeaseHeld: another worker is running this request now.
	ErrLeaseHeld = errors.New("dsar: another worker is running this request")
	// ErrAwaitingApproval: the erasure waits for a second privacy officer's
	// approval (Approve); nothing runs before it.
	ErrAwaitingApproval = errors.New("dsar: the erasure is waiting for a second privacy officer's approval")
	// ErrLeaseLost: this worker's claim expired and another worker took the request
	// over; this worker stopped before committing anything more.
	ErrLeaseLost = errors.New("dsar: the claim on this request was lost to another worker")
	// ErrNoIntercom: the service has no Intercom client.
	ErrNoIntercom = errors.New("dsar: no Intercom client configured")
)

// PausedError reports a request paused until an outside problem is fixed (the
// access token was revoked, or lacks a scope). The worker retries later; the request resumes on its
// own once Intercom accepts the token again.
type PausedError struct {
	// Reason is stable: PauseUnauthorized or PauseForbidden.
	Reason string
	// Err is the Intercom error.
	Err error
}

// Error says why the request is paused and how to resume it.
func (e *PausedError) Error() string {
	fix := "Intercom refused the access token; fix INTERCOM_ACCESS_TOKEN"
	switch e.Reason {
	case PauseForbidden:
		fix = "the access token lacks a scope this request needs; grant it to the Intercom app"
	case PauseLegalHold:
		return "dsar: request paused (" + e.Reason + "): " + e.Err.Error() + "; the erasure resumes on the next retry after the release"
	case PauseUpdateRefused:
		fix = "Intercom refused the update as invalid or conflicting; fix the value or the contact in Intercom, or deny the request,"
	}
	return "dsar: request paused (" + e.Reason + "): " + fix + " and the request resumes on the next retry: " + e.Err.Error()
}

// Unwrap returns the Intercom error.
func (e *PausedError) Unwrap() error { return e.Err }

// RunOptions tune one Run.
type RunOptions struct {
	// Owner names the worker in its lease (default: a random id per Run). A worker
	// process restarted under the same Owner takes its own lease back at once.
	Owner string
	// LeaseTTL is how long the claim lasts without renewal (DefaultLeaseTTL when 0).
	// A heartbeat renews it every LeaseTTL/3 while the run lasts.
	LeaseTTL time.Duration
	// Progress, when set, is told each step as it starts and ends (for a terminal
	// display). done and total count the objects of a step with objects.
	Progress func(p Progress)
}

// Progress is one report of a running request.
type Progress struct {
	RequestID string
	Step      string
	// State is "started", "object" (one object handled) or "done".
	State string
	// Done and Total count the step's objects (0 when the step has none).
	Done, Total int
}

// Run runs a request to its end from wherever it stopped, with default options.
func (s *Service) Run(ctx context.Context, requestID string) error {
	return s.RunWith(ctx, requestID, RunOptions{})
}

// RunWith runs a request to its end from wherever it stopped. Each step is
// recorded as done, with its audit record, in one transaction before the next step
// starts; steps already done are skipped, and a step with many objects records
// each object as it is handled, so a resumed step repeats no external effect that
// succeeded. A request in a final state is left alone (nil). A received request
// fails with ErrNotVerified. Another worker's live claim fails with ErrLeaseHeld.
// Intercom refusing the token pauses the request (*PausedError).
func (s *Service) RunWith(ctx context.Context, requestID string, opts RunOptions) (err error) {
	req, err := s.Get(ctx, requestID)
	if err != nil {
		return err
	}
	if req.Type == store.RequestAppeal && !Finished(req.State) {
		// An appeal has no steps: an operator decides it (DecideAppeal).
		return nil
	}
	if Finished(req.State) {
		// Contacts unarchived to read them are archived back even when the
		// request was cancelled or denied before it archived them.
		if s.Intercom != nil {
			return s.rearchive(ctx, req)
		}
		return nil
	}
	if req.State == store.StateReceived {
		return fmt.Errorf("%w (%s)", ErrNotVerified, requestID)
	}
	if req.State == store.StateAwaitingApproval {
		// Nothing is sent to Intercom before a second person approves.
		return fmt.Errorf("%w (%s)", ErrAwaitingApproval, requestID)
	}
	if err := s.waitingForPerson(ctx, req); err != nil {
		return err
	}
	if !isRightsType(req.Type) {
		// The waiting period is an erasure's (erasure.grace).
		if err := s.checkGrace(req); err != nil {
			return err
		}
	}
	if s.Intercom == nil {
		return ErrNoIntercom
	}
	if opts.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.Owner = "run_" + hex.EncodeToString(b[:])
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	r := &runner{s: s, id: req.ID, req: req, opts: opts}
	if err := r.claim(ctx); err != nil {
		if errors.Is(err, ErrFinished) {
			return nil // finished by another worker since it was read above
		}
		return err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := r.heartbeat(runCtx, cancel)
	defer func() {
		stopBeat()
		// Release the claim so another worker need not wait for it to expire.
		// context.WithoutCancel: the release must happen even when ctx ended.
		_ = r.release(context.WithoutCancel(ctx))
		cause := context.Cause(runCtx)
		if err != nil && errors.Is(cause, ErrLeaseLost) {
			err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
		}
		if err != nil && (errors.Is(err, ErrFinished) || errors.Is(cause, ErrFinished)) {
			// Denied (or finished by another worker) while this run went on: the
			// request needs nothing more.
			s.logger().Info("request finished elsewhere while running; stopped", "request_id", requestID)
			err = s.rearchive(context.WithoutCancel(ctx), req)
		}
	}()
	return r.run(runCtx)
}

// runner is one Run of one request.
type runner struct {
	s *Service
	// id is the request's id; unlike req it never changes, so the heartbeat
	// goroutine may read it.
	id    string
	req   store.Request
	opts  RunOptions
	ids   Identifiers
	steps map[string]store.Step
	res   Resolution
}

func (r *runner) progress(step, state string, done, total int) {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{RequestID: r.id, Step: step, State: state, Done: done, Total: total})
	}
}

// Plan returns the steps a request of type t runs, in order.
func Plan(t store.RequestType) []string {
	switch t {
	case store.RequestAccess:
		return []string{StepResolve, StepPackage, StepComplete}
	case store.RequestCorrection:
		return []string{StepResolve, StepCorrectContacts, StepVerifyCorrection, StepRefreshLocal, StepComplete}
	case store.RequestRestriction, store.RequestObjection:
		return []string{StepResolve, StepMarkContacts, StepRecordLimit, StepComplete}
	case store.RequestLiftRestriction:
		return []string{StepUnmarkContacts, StepLiftLimit, StepComplete}
	case store.RequestAppeal:
		return nil // decided by an operator (DecideAppeal), never run
	case store.RequestErasure:
		return []string{StepResolve, StepDeleteTickets, StepDeleteConversations, StepRedactParts, StepDeleteContacts,
			StepPurgeLocal, StepDestroyKeys, StepSuppress, StepVerify, StepComplete}
	default:
		return []string{StepResolve, StepPackage, StepDeleteTickets, StepDeleteConversations, StepRedactParts, StepDeleteContacts,
			StepPurgeLocal, StepDestroyKeys, StepSuppress, StepVerify, StepComplete}
	}
}

func (r *runner) run(ctx context.Context) error {
	if err := r.loadSteps(ctx); err != nil {
		return err
	}
	if r.req.State == store.StateVerified {
		if err := r.start(ctx); err != nil {
			return err
		}
	}
	if len(r.req.IdentifiersEnc) > 0 {
		// A lift works from the restriction it lifts and has no identifiers.
		ids, err := r.s.Identifiers(ctx, r.req)
		if err != nil {
			return err
		}
		r.ids = ids
	}
	for _, step := range Plan(r.req.Type) {
		if r.done(step) {
			switch step {
			case StepResolve:
				if err := r.loadResolution(); err != nil {
					return err
				}
				if err := r.applyUnarchived(ctx); err != nil {
					return err
				}
			case StepPackage:
				if err := r.s.rearchive(ctx, r.req); err != nil {
					return err
				}
			}
			continue
		}
		if erasingSteps[step] {
			// A legal hold placed at any time, even while this erasure runs,
			// stops it before its next erasing step.
			if err := r.checkHolds(ctx); err != nil {
				return r.failed(ctx, step, err)
			}
		}
		r.progress(step, "started", 0, 0)
		if err := r.runStep(ctx, step); err != nil {
			return r.failed(ctx, step, err)
		}
		r.progress(step, "done", 0, 0)
	}
	return nil
}

func (r *runner) runStep(ctx context.Context, step string) error {
	switch step {
	case StepResolve:
		return r.resolve(ctx)
	case StepPackage:
		if err := r.unarchiveToRead(ctx); err != nil {
			return err
		}
		if err := r.buildPackage(ctx); err != nil {
			return err
		}
		return r.s.rearchive(ctx, r.req)
	case StepDeleteTickets:
		return r.deleteTickets(ctx)
	case StepDeleteConversations:
		return r.deleteConversations(ctx)
	case StepRedactParts:
		return r.redactParts(ctx)
	case StepDeleteContacts:
		return r.deleteContacts(ctx)
	case StepPurgeLocal, StepDestroyKeys:
		return r.purgeLocal(ctx)
	case StepSuppress:
		return r.suppress(ctx)
	case StepVerify:
		return r.verify(ctx)
	case StepComplete:
		if isRightsType(r.req.Type) {
			return r.completeRight(ctx)
		}
		return r.complete(ctx)
	case StepCorrectContacts:
		return r.correctContacts(ctx)
	case StepVerifyCorrection:
		return r.verifyCorrection(ctx)
	case StepRefreshLocal:
		return r.refreshLocal(ctx)
	case StepMarkContacts:
		return r.markContacts(ctx)
	case StepRecordLimit:
		return r.recordLimit(ctx)
	case StepUnmarkContacts:
		return r.unmarkContacts(ctx)
	case StepLiftLimit:
		return r.liftLimit(ctx)
	}
	return fmt.Errorf("dsar: unknown step %q", step)
}

// failed turns a step's error into Run's error: a refused token or a missing scope
// pauses the request (recorded once until it resumes); everything else is returned
// for the job to retry with backoff.
func (r *runner) failed(ctx context.Context, step string, err error) error {
	reason := ""
	var held *HeldError
	switch {
	case errors.As(err, &held):
		reason = PauseLegalHold
	case errors.Is(err, intercom.ErrUnauthorized):
		reason = PauseUnauthorized
	case errors.Is(err, intercom.ErrForbidden):
		reason = PauseForbidden
	case (step == StepCorrectContacts || step == StepMarkContacts || step == StepUnmarkContacts) &&
		(errors.Is(err, intercom.ErrValidation) || errors.Is(err, intercom.ErrConflict)):
		reason = PauseUpdateRefused
	}
	if reason != "" {
		if perr := r.pause(context.WithoutCancel(ctx), reason, held); perr != nil {
			return errors.Join(err, perr)
		}
		return &PausedError{Reason: reason, Err: err}
	}
	return fmt.Errorf("dsar: step %s of %s: %w", step, r.id, err)
}

func (r *runner) loadSteps(ctx context.Context) error {
	steps, err := r.s.Store.Steps(ctx, r.id)
	if err != nil {
		return err
	}
	r.steps = make(map[string]store.Step, len(steps))
	for _, st := range steps {
		r.steps[st.Name] = st
	}
	return nil
}

func (r *runner) done(step string) bool {
	st, ok := r.steps[step]
	return ok && (st.State == store.StepDone || st.State == store.StepSkipped)
}

// ---- transactions guarded by the lease ----

// leaseDetail is the Detail of the _lease row.
type leaseDetail struct {
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
}

// guarded runs fn in a transaction that holds this runner's lease (see leased): a
// runner whose lease another worker took, or whose request was finished
// meanwhile, commits nothing more.
func (r *runner) guarded(ctx context.Context, fn func(tx store.Tx) error) error {
	return r.leased(ctx, false, func(tx store.Tx, _ store.Request) error { return fn(tx) })
}

// leased runs fn in a transaction that first takes the audit chain's head lock
// (which serialises every transaction that appends to the audit trail, on both
// backends and across processes), then takes (claim) or checks and renews the
// request's lease, and reads the request again under the lock: a request denied,
// cancelled or completed meanwhile fails with ErrFinished, and fn is not called.
// fn gets the request as read.
//
// The order of the two checks differs on purpose. A runner holding the lease learns
// first that it lost it (ErrLeaseLost, even if the worker that took over has
// finished the request since). A claim learns first that the request is finished
// (even while the worker that finished it has not released its lease yet).
func (r *runner) leased(ctx context.Context, claim bool, fn func(tx store.Tx, cur store.Request) error) error {
	return r.s.Store.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := tx.Head(ctx); err != nil {
			return err
		}
		if !claim {
			if err := r.holdLease(ctx, tx, false); err != nil {
				return err
			}
		}
		cur, err := tx.GetRequest(ctx, r.id)
		if err != nil {
			return err
		}
		if Finished(cur.State) {
			return fmt.Errorf("%w: %s is %s", ErrFinished, r.id, cur.State)
		}
		if claim {
			if err := r.holdLease(ctx, tx, true); err != nil {
				return err
			}
		}
		return fn(tx, cur)
	})
}

// holdLease checks and renews the lease inside tx. With claim, a lease that
// expired or is free is taken; without, it must be ours already.
func (r *runner) holdLease(ctx context.Context, tx store.Tx, claim bool) error {
	now := r.s.now()
	cur, found, err := stepOf(ctx, tx, r.id, stepLease)
	if err != nil {
		return err
	}
	var d leaseDetail
	if found && len(cur.Detail) > 0 {
		if err := json.Unmarshal(cur.Detail, &d); err != nil {
			return fmt.Errorf("dsar: lease of %s is unreadable: %w", r.id, err)
		}
	}
	mine := d.Owner == r.opts.Owner
	live := d.Owner != "" && d.Until.After(now)
	switch {
	case mine:
	case live && claim:
		return fmt.Errorf("%w (%s, claimed until %s)", ErrLeaseHeld, r.id, d.Until.Format(time.RFC3339))
	case !claim:
		return fmt.Errorf("%w (%s)", ErrLeaseLost, r.id)
	}
	d = leaseDetail{Owner: r.opts.Owner, Until: now.Add(r.opts.LeaseTTL)}
	b, _ := json.Marshal(d)
	attempts := cur.Attempts
	if claim {
		attempts++
	}
	return tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: stepLease, State: store.StepPending,
		Attempts: attempts, Detail: b, StartedAt: now})
}

// stepOf reads one step row inside a transaction.
func stepOf(ctx context.Context, ops store.Ops, requestID, name string) (store.Step, bool, error) {
	steps, err := ops.Steps(ctx, requestID)
	if err != nil {
		return store.Step{}, false, err
	}
	for _, st := range steps {
		if st.Name == name {
			return st, true, nil
		}
	}
	return store.Step{}, false, nil
}

// claim takes the request's lease and keeps the request as read under the lock: a
// run that read it before another worker finished it and released the lease must
// not start on a finished request (whose identifiers may already be shredded), so
// that case fails with ErrFinished and takes nothing.
func (r *runner) claim(ctx context.Context) error {
	return r.leased(ctx, true, func(_ store.Tx, cur store.Request) error {
		r.req = cur
		return nil
	})
}

// release gives the lease up (if still ours) so another worker can start at once.
func (r *runner) release(ctx context.Context) error {
	return r.s.Store.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := tx.Head(ctx); err != nil {
			return err
		}
		// The run's last records (completion, a pause) are signed as it ends.
		if _, _, err := r.s.Chain.Checkpoint(ctx, tx); err != nil {
			return err
		}
		cur, found, err := stepOf(ctx, tx, r.id, stepLease)
		if err != nil || !found {
			return err
		}
		var d leaseDetail
		if json.Unmarshal(cur.Detail, &d) != nil || d.Owner != r.opts.Owner {
			return nil
		}
		b, _ := json.Marshal(leaseDetail{})
		cur.Detail, cur.State, cur.FinishedAt = b, store.StepDone, r.s.now()
		return tx.UpsertStep(ctx, cur)
	})
}

// heartbeat renews the lease every TTL/3 until stopped; when the lease is lost it
// cancels the run with ErrLeaseLost.
func (r *runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := r.guarded(ctx, func(store.Tx) error { return nil })
				if errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrFinished) {
					cancel(err)
					return
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ---- recording steps ----

// recordStep marks step done with detail and appends rec, in one guarded
// transaction. If another run already marked it done, nothing is written.
// extra, when set, runs in the same transaction first; it may fill detail (a
// pointer) and rec.Counts (a map), which are encoded after it.
func (r *runner) recordStep(ctx context.Context, step string, detail any, rec audit.Record, extra func(tx store.Tx) error) error {
	now := r.s.now()
	var b []byte
	err := r.guarded(ctx, func(tx store.Tx) error {
		cur, found, err := stepOf(ctx, tx, r.id, step)
		if err != nil {
			return err
		}
		if found && cur.State == store.StepDone {
			b = cur.Detail
			return nil
		}
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		// Marshalled after extra, which may fill detail (and rec.Counts).
		if b, err = json.Marshal(detail); err != nil {
			return err
		}
		started := cur.StartedAt
		if started.IsZero() {
			started = now
		}
		if err := tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: step, State: store.StepDone,
			Attempts: cur.Attempts + 1, Detail: b, StartedAt: started, FinishedAt: now}); err != nil {
			return err
		}
		if err := r.resumeIfPaused(ctx, tx); err != nil {
			return err
		}
		rec.Actor, rec.RequestID, rec.SubjectRef = r.s.actor(ctx), r.id, r.req.SubjectRef
		if rec.Action == "" {
			rec.Action = audit.ActionRequestStep
		}
		if rec.Outcome == "" {
			rec.Outcome = audit.OutcomeSuccess
		}
		if rec.Reason == "" {
			rec.Reason = "step " + step + " done"
		}
		if _, err = r.s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		// A step is a batch: its records are signed when it commits, so the
		// unsigned tail never holds a finished step.
		_, _, err = r.s.Chain.Checkpoint(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	r.steps[step] = store.Step{RequestID: r.id, Name: step, State: store.StepDone, Detail: b}
	return nil
}

// saveProgress records a step's per-object progress (state pending) without an
// audit record: the step's audit record, written when it is done, lists the
// objects. A step already done elsewhere is not touched.
func (r *runner) saveProgress(ctx context.Context, step string, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return r.guarded(ctx, func(tx store.Tx) error {
		cur, found, err := stepOf(ctx, tx, r.id, step)
		if err != nil {
			return err
		}
		if found && cur.State == store.StepDone {
			return nil
		}
		started := cur.StartedAt
		if started.IsZero() {
			started = r.s.now()
		}
		return tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: step, State: store.StepPending,
			Attempts: cur.Attempts, Detail: b, StartedAt: started})
	})
}

// loadProgress decodes a step's saved detail into v; it reports whether any was saved.
func (r *runner) loadProgress(ctx context.Context, step string, v any) (bool, error) {
	cur, found, err := stepOf(ctx, r.s.Store, r.id, step)
	if err != nil || !found || len(cur.Detail) == 0 {
		return false, err
	}
	if err := json.Unmarshal(cur.Detail, v); err != nil {
		return false, fmt.Errorf("dsar: progress of step %s of %s is unreadable: %w", step, r.id, err)
	}
	return true, nil
}

// start moves a verified request to in_progress with its audit record.
func (r *runner) start(ctx context.Context) error {
	return r.leased(ctx, false, func(tx store.Tx, cur store.Request) error {
		if cur.State != store.StateVerified {
			r.req = cur
			return nil
		}
		cur.State, cur.UpdatedAt = store.StateInProgress, r.s.now()
		upd, err := tx.UpdateRequest(ctx, cur, store.StateVerified)
		if err != nil {
			return err
		}
		r.req = upd
		_, err = r.s.Chain.Append(ctx, tx, audit.Record{Actor: r.s.actor(ctx), Action: audit.ActionRequestStep,
			RequestID: r.id, SubjectRef: r.req.SubjectRef, Outcome: audit.OutcomeSuccess, Reason: "work started"})
		return err
	})
}

// pauseDetail is the Detail of the _pause row.
type pauseDetail struct {
	Reason string `json:"reason"`
	// Holds are the legal holds that stopped an erasure (PauseLegalHold).
	Holds []pausedHold `json:"holds,omitempty"`
}

type pausedHold struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	Basis  string `json:"basis,omitempty"`
}

// pause records request.paused once (until the next resume). held, when set,
// names the legal holds that stopped an erasure.
func (r *runner) pause(ctx context.Context, reason string, held *HeldError) error {
	return r.guarded(ctx, func(tx store.Tx) error {
		cur, found, err := stepOf(ctx, tx, r.id, stepPause)
		if err != nil {
			return err
		}
		if found && cur.State == store.StepPending {
			return nil
		}
		d := pauseDetail{Reason: reason}
		rec := audit.Record{Actor: r.s.actor(ctx), Action: audit.ActionRequestPaused,
			RequestID: r.id, SubjectRef: r.req.SubjectRef, Outcome: audit.OutcomeSuccess, Reason: reason}
		if held != nil {
			for _, h := range held.Holds {
				d.Holds = append(d.Holds, pausedHold{ID: h.ID, Reason: h.Reason, Basis: h.Basis})
			}
			rec.ObjectIDs = holdIDs(held.Holds)
			rec.Reason = reason + ": erasure stopped before its next step by the legal hold(s) listed in object_ids"
		}
		b, _ := json.Marshal(d)
		if err := tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: stepPause, State: store.StepPending,
			Attempts: cur.Attempts + 1, Detail: b, StartedAt: r.s.now()}); err != nil {
			return err
		}
		r.s.logger().Warn("request paused", "request_id", r.id, "reason", reason)
		_, err = r.s.Chain.Append(ctx, tx, rec)
		return err
	})
}

// resumeIfPaused records request.resumed inside tx if the request was paused.
func (r *runner) resumeIfPaused(ctx context.Context, tx store.Tx) error {
	cur, found, err := stepOf(ctx, tx, r.id, stepPause)
	if err != nil || !found || cur.State != store.StepPending {
		return err
	}
	cur.State, cur.FinishedAt = store.StepDone, r.s.now()
	if err := tx.UpsertStep(ctx, cur); err != nil {
		return err
	}
	why := "intercom accepted the token again"
	var d pauseDetail
	if json.Unmarshal(cur.Detail, &d) == nil && d.Reason == PauseLegalHold {
		why = "the legal hold(s) that stopped the erasure were released"
	}
	r.s.logger().Warn("request resumed: "+why, "request_id", r.id)
	_, err = r.s.Chain.Append(ctx, tx, audit.Record{Actor: r.s.actor(ctx), Action: audit.ActionRequestResumed,
		RequestID: r.id, SubjectRef: r.req.SubjectRef, Outcome: audit.OutcomeSuccess, Reason: why})
	return err
}

// ---- resolve ----

// resolvedContact is one match as the resolve step records it: Intercom ids and
// reasons only, never a value.
type resolvedContact struct {
	ID         string   `json:"id"`
	Role       string   `json:"role,omitempty"`
	Status     string   `json:"status"`
	MergedInto string   `json:"merged_into,omitempty"`
	MatchedBy  []string `json:"matched_by"`
}

// ResolveDetail is the Detail of the resolve step.
type ResolveDetail struct {
	Contacts []resolvedContact `json:"contacts"`
	Notices  []string          `json:"notices"`
	// Searched counts the identifiers looked up, by kind.
	Searched map[string]int `json:"searched,omitempty"`
}

func (r *runner) resolve(ctx context.Context) error {
	res, err := r.s.Resolve(ctx, r.ids)
	if err != nil {
		return err
	}
	r.res = res
	d := ResolveDetail{Contacts: []resolvedContact{}, Notices: []string{}, Searched: res.Searched}
	counts := map[string]int64{"contacts_found": int64(res.Found())}
	for _, m := range res.Matches {
		d.Contacts = append(d.Contacts, resolvedContact{ID: m.ContactID, Role: m.Role, Status: m.Status, MergedInto: m.MergedInto, MatchedBy: m.MatchedBy})
		if m.Status == StatusNotRetrievable {
			counts["contact_ids_not_found_or_archived"]++
		} else {
			counts["contacts_"+m.Status]++
		}
	}
	for kind, n := range res.Searched {
		counts["searched_"+kind] = int64(n)
	}
	for _, n := range res.Notices {
		d.Notices = append(d.Notices, n.Code)
	}
	return r.recordStep(ctx, StepResolve, d, audit.Record{Counts: counts, ObjectIDs: capIDs(res.ContactIDs())}, nil)
}

// loadResolution rebuilds the resolution from the resolve step's detail (without
// the contacts' data, which is never stored).
func (r *runner) loadResolution() error {
	var d ResolveDetail
	if err := json.Unmarshal(r.steps[StepResolve].Detail, &d); err != nil {
		return fmt.Errorf("dsar: resolve step of %s is unreadable: %w", r.id, err)
	}
	r.res = Resolution{Searched: d.Searched}
	for _, c := range d.Contacts {
		r.res.Matches = append(r.res.Matches, Match{ContactID: c.ID, Role: c.Role, Status: c.Status, MergedInto: c.MergedInto, MatchedBy: c.MatchedBy})
	}
	for _, code := range d.Notices {
		n := Notice{Code: code}
		switch code {
		case NoticeArchivedByID.Code:
			n = NoticeArchivedByID
		case NoticeNothingFound.Code:
			n = NoticeNothingFound
		case NoticeContactIDNotFound.Code:
			n = NoticeContactIDNotFound
		}
		r.res.Notices = append(r.res.Notices, n)
	}
	return nil
}

// maxAuditIDs caps the object ids one audit record lists (the counts stay exact).
const maxAuditIDs = 500

func capIDs(ids []string) []string {
	if len(ids) > maxAuditIDs {
		return slices.Clone(ids[:maxAuditIDs])
	}
	return slices.Clone(ids)
}

// nothingFound reports whether the resolution found no contact Intercom
// confirmed (a contact id answering 404 is not one), and, for an erasure, that
// no step erased anything either: a DELETE of such an id that succeeded (an
// archived contact), a ticket or conversation deleted, a row purged locally, a
// key destroyed.
func (r *runner) nothingFound() bool {
	if r.res.Found() > 0 {
		return false
	}
	for _, name := range []string{StepDeleteTickets, StepDeleteConversations, StepRedactParts, StepDeleteContacts, StepPurgeLocal, StepDestroyKeys, StepVerify} {
		var d struct {
			Counts map[string]int64 `json:"counts"`
		}
		st, ok := r.steps[name]
		if !ok || len(st.Detail) == 0 || json.Unmarshal(st.Detail, &d) != nil {
			continue
		}
		for k, v := range d.Counts {
			if v > 0 && erasedCount(k) {
				return false
			}
		}
	}
	return true
}

// erasedCount reports whether a step count records something erased.
func erasedCount(k string) bool {
	switch k {
	case "contacts_deleted", "tickets_deleted", "conversations_deleted", "late_contacts_deleted", "parts_redacted",
		"cached_contacts", "cached_conversations", "cached_parts", "webhook_events", "blobs",
		"person_keys_destroyed", "earlier_requests_shredded":
		return true
	}
	return false
}
