package scan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
)

// Errors of the package, for errors.Is.
var (
	// ErrInvalidOptions: an option is out of range or unknown.
	ErrInvalidOptions = errors.New("scan: invalid options")
	// ErrNoScanStore: the store does not implement store.Scans.
	ErrNoScanStore = errors.New("scan: the store does not keep scans")
	// ErrIntercomFailing: Intercom kept failing (5xx, 429, timeouts) until the
	// run gave up; the run is resumable.
	ErrIntercomFailing = errors.New("scan: Intercom keeps failing")
	// ErrMissingScope: the token may not redact; nothing was marked done.
	ErrMissingScope = errors.New("scan: the Intercom access token lacks a permission")
)

// DefaultParallelism is how many conversations are fetched at once.
const DefaultParallelism = 8

// maxConsecutiveFailures stops a run when this many conversations in a row
// could not be fetched (after the client's own retries): Intercom is down, and
// marking the rest failed would help nobody.
const maxConsecutiveFailures = 20

// Scanner walks the workspace's conversations and records what they hold.
type Scanner struct {
	Store    store.Store
	Intercom *intercom.Client
	Chain    *audit.Chain
	// Actor names who acts in audit records.
	Actor  string
	Logger *slog.Logger
	// Parallelism is how many conversations are fetched at once
	// (DefaultParallelism when 0).
	Parallelism int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Lease says who holds the scan lease while a run works (one run at a
	// time across processes; see LeaseScan).
	Lease LeaseOptions
}

// ScanOptions choose what a run scans.
type ScanOptions struct {
	// Since and Until bound updated_at. A zero Since continues from where the
	// last finished run ended (everything on the first run); a zero Until is
	// now.
	Since, Until time.Time
	// Types to look for (ContentTypes when nil).
	Types []pii.Type
	// Restart abandons an unfinished run instead of resuming it.
	Restart bool
	// Progress, when set, is called after every conversation (from one
	// goroutine at a time).
	Progress func(Progress)
}

// Progress is how far a run is.
type Progress struct {
	Done, Total                int64
	Scanned, Unchanged, Failed int64
	Elapsed                    time.Duration
}

// Rate is conversations per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// Remaining estimates the time left (0 when unknown).
func (p Progress) Remaining() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Total <= p.Done {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

// Result is the outcome of a run.
type Result struct {
	Run store.ScanRun
	// Resumed reports that an unfinished run was continued.
	Resumed bool
	// Findings counts the findings stored by this invocation.
	Findings int64
	// Truncated counts conversations whose older parts could not be scanned
	// (Intercom returns at most the 500 most recent).
	Truncated int64
	// AttachmentOnly counts parts with attachments and no text (only the file
	// names were scanned).
	AttachmentOnly int64
	// Tickets counts the tickets whose attributes were scanned, with
	// TicketFindings findings (included in Findings); TicketsUnchanged those
	// skipped because that version was scanned before.
	Tickets, TicketsUnchanged, TicketFindings int64
}

func (s *Scanner) now() time.Time    { return nowOf(s.Now) }
func (s *Scanner) log() *slog.Logger { return loggerOf(s.Logger) }

// nowOf reads clock (time.Now when nil) in UTC to the microsecond, the
// precision the store keeps.
func nowOf(clock func() time.Time) time.Time {
	if clock != nil {
		return clock().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// loggerOf returns l, or a logger that discards when it is nil.
func loggerOf(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func scansOf(v any) (store.Scans, error) {
	sc, ok := v.(store.Scans)
	if !ok {
		return nil, ErrNoScanStore
	}
	return sc, nil
}

func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Run scans the conversations updated in the window and records the findings.
// A run that was killed is resumed by the next Run (its window and types win;
// conversations it had scanned are skipped by their updated_at); opts.Restart
// abandons it instead. A run holds the scan lease while it works: Run fails
// with a *RunInProgressError when another process's run holds it.
func (s *Scanner) Run(ctx context.Context, opts ScanOptions) (Result, error) {
	var res Result
	if s.Intercom == nil {
		return res, fmt.Errorf("%w: no Intercom client", ErrInvalidOptions)
	}
	sc, err := scansOf(s.Store)
	if err != nil {
		return res, err
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Until.After(opts.Since) {
		return res, fmt.Errorf("%w: --until must be after --since", ErrInvalidOptions)
	}
	ctx, lease, err := hold(ctx, sc, LeaseScan, s.Lease, s.now, s.log())
	if err != nil {
		return res, err
	}
	defer lease.release(ctx)
	run, resumed, err := s.begin(ctx, sc, opts)
	if err != nil {
		return res, err
	}
	res.Resumed = resumed
	types, err := ParseTypes(run.Types)
	if err != nil {
		return res, err
	}
	if types == nil {
		types = ContentTypes()
	}
	engine, err := pii.NewEngine(pii.Options{Types: types})
	if err != nil {
		return res, err
	}
	q := window(run)
	total, err := s.Intercom.CountConversations(ctx, q)
	if err != nil {
		return res, s.stop(ctx, sc, &run, err)
	}
	run.Total = int64(total)
	w := &walk{s: s, sc: sc, engine: engine, run: &run, res: &res, start: time.Now(), progress: opts.Progress, group: newCommitter(s.Store)}
	err = w.do(ctx, q)
	if err == nil {
		err = w.tickets(ctx, q)
	}
	w.group.Close()
	if err != nil {
		return res, s.stop(ctx, sc, &run, lease.lost(ctx, err))
	}
	run.State, run.FinishedAt, run.HeartbeatAt = store.ScanDone, s.now(), s.now()
	if err := s.record(ctx, run, audit.OutcomeSuccess, "finished"); err != nil {
		return res, err
	}
	res.Run = run
	return res, nil
}

// window is the search of a run: updated_at within [WindowFrom, WindowTo]
// (Intercom's > and < on dates include the bound).
func window(run store.ScanRun) intercom.Query {
	to := intercom.Field("updated_at").Lt(run.WindowTo.Unix())
	if run.WindowFrom.IsZero() {
		return to
	}
	return intercom.And(intercom.Field("updated_at").Gt(run.WindowFrom.Unix()), to)
}

// begin resumes the unfinished run or starts a new one.
func (s *Scanner) begin(ctx context.Context, sc store.Scans, opts ScanOptions) (store.ScanRun, bool, error) {
	open, err := sc.LatestScanRun(ctx, store.ScanRunning)
	switch {
	case err == nil && !opts.Restart:
		return open, true, nil
	case err == nil:
		open.State, open.FinishedAt = store.ScanFailed, s.now()
		if err := s.record(ctx, open, audit.OutcomeFailure, "abandoned by a restart"); err != nil {
			return open, false, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return open, false, err
	}
	now := s.now()
	run := store.ScanRun{ID: newID("scan_"), StartedAt: now, HeartbeatAt: now, State: store.ScanRunning,
		WindowFrom: opts.Since, WindowTo: opts.Until, Types: strings.Join(typeNames(opts.Types), ",")}
	if run.WindowTo.IsZero() {
		// Intercom's timestamps are whole seconds.
		run.WindowTo = now.Truncate(time.Second)
	}
	if run.WindowFrom.IsZero() && opts.Since.IsZero() {
		// Incremental: from the end of the last finished run, or from its start
		// when it could not scan everything (its failures are tried again).
		last, err := sc.LatestScanRun(ctx, store.ScanDone)
		switch {
		case err == nil && last.Failed == 0:
			run.WindowFrom = last.WindowTo
		case err == nil:
			run.WindowFrom = last.WindowFrom
		case !errors.Is(err, store.ErrNotFound):
			return run, false, err
		}
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.(store.Scans).CreateScanRun(ctx, run); err != nil {
			return err
		}
		_, err := s.Chain.Append(ctx, tx, s.runRecord(run, audit.OutcomeSuccess, "started"))
		return err
	})
	return run, false, err
}

func (s *Scanner) runRecord(run store.ScanRun, outcome audit.Outcome, reason string) audit.Record {
	return audit.Record{Actor: s.Actor, Action: audit.ActionScanRun, ObjectIDs: []string{"scan_run:" + run.ID}, Outcome: outcome, Reason: reason,
		Counts: map[string]int64{"total": run.Total, "scanned": run.Scanned, "unchanged": run.Unchanged, "failed": run.Failed}}
}

// record stores the run's state with an audit record.
func (s *Scanner) record(ctx context.Context, run store.ScanRun, outcome audit.Outcome, reason string) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.(store.Scans).UpdateScanRun(ctx, run); err != nil {
			return err
		}
		_, err := s.Chain.Append(ctx, tx, s.runRecord(run, outcome, reason))
		return err
	})
}

// stop saves the counters of an interrupted run (it stays running, so the next
// Run resumes it) and returns cause.
func (s *Scanner) stop(ctx context.Context, sc store.Scans, run *store.ScanRun, cause error) error {
	run.HeartbeatAt = s.now()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := sc.UpdateScanRun(sctx, *run); err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("%w (run %s is resumable: run the scan again)", cause, run.ID)
}

// walk is one pass of a run over its window.
type walk struct {
	s        *Scanner
	sc       store.Scans
	engine   *pii.Engine
	run      *store.ScanRun
	res      *Result
	start    time.Time
	progress func(Progress)
	group    *groupcommit.Committer

	mu          sync.Mutex
	consecutive int
	lastSave    time.Time
}

func (w *walk) do(ctx context.Context, q intercom.Query) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n := w.s.Parallelism
	if n <= 0 {
		n = DefaultParallelism
	}
	work := make(chan intercom.Conversation, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if err := w.one(ctx, c); err != nil {
					cancel(err)
				}
			}
		}()
	}
	var searchErr error
	for c, err := range w.s.Intercom.SearchConversations(ctx, q, intercom.SearchOptions{}) {
		if err != nil {
			searchErr = err
			break
		}
		select {
		case work <- c:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if searchErr != nil {
		return searchErr
	}
	return w.save(context.WithoutCancel(ctx), true)
}

// one scans one conversation found by the search (which carries no parts).
func (w *walk) one(ctx context.Context, found intercom.Conversation) error {
	id := string(found.ID)
	if id == "" {
		return nil
	}
	version := unix(found.UpdatedAt)
	prev, err := w.sc.ScannedConversation(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	sameRun := err == nil && prev.RunID == w.run.ID
	if err == nil && prev.Status == store.ScanStatusScanned && prev.UpdatedAt.Equal(version) {
		if sameRun {
			// Scanned by this run before it was stopped: counted then.
			w.count(ctx, func(*store.ScanRun) {}, false)
			return nil
		}
		w.count(ctx, func(r *store.ScanRun) { r.Unchanged++ }, false)
		return nil
	}
	if sameRun && prev.Status == store.ScanStatusFailed {
		// Failed in this run before it was stopped: tried again now.
		w.count(ctx, func(r *store.ScanRun) { r.Failed-- }, false)
	}
	c, err := w.s.Intercom.GetConversation(ctx, id, intercom.GetConversationOptions{})
	switch {
	case errors.Is(err, intercom.ErrNotFound):
		// Deleted since the search: nothing to scan, nothing left to report.
		w.count(ctx, func(r *store.ScanRun) { r.Unchanged++ }, false)
		return nil
	case errors.Is(err, intercom.ErrUnauthorized), errors.Is(err, intercom.ErrForbidden):
		return fmt.Errorf("%w: reading conversations needs the Read conversations permission: %w", ErrMissingScope, err)
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.s.log().Warn("scan: conversation could not be fetched", "error", err)
		rec := store.ScannedConversation{ConversationID: id, UpdatedAt: version, RunID: w.run.ID, Status: store.ScanStatusFailed, ErrorClass: errorClass(err)}
		if perr := w.put(ctx, rec, nil); perr != nil {
			return perr
		}
		if w.count(ctx, func(r *store.ScanRun) { r.Failed++ }, true) {
			return fmt.Errorf("%w: %d conversations in a row could not be fetched: %w", ErrIntercomFailing, maxConsecutiveFailures, err)
		}
		return nil
	}
	rec, fs := scanConversation(w.engine, &c, w.run.ID)
	rec.UpdatedAt = version // the version the search saw; a newer one is scanned next run
	if err := w.put(ctx, rec, fs); err != nil {
		return err
	}
	w.mu.Lock()
	w.res.Findings += int64(len(fs))
	if rec.PartsTotal > rec.PartsScanned {
		w.res.Truncated++
	}
	w.res.AttachmentOnly += rec.AttachmentOnly
	w.mu.Unlock()
	w.count(ctx, func(r *store.ScanRun) { r.Scanned++ }, false)
	return nil
}

// put records a conversation, in a transaction shared with the other workers'.
func (w *walk) put(ctx context.Context, rec store.ScannedConversation, fs []store.ScanFinding) error {
	return commitIn(ctx, w.group, func(tx store.Tx) error { return tx.(store.Scans).PutScannedConversation(ctx, rec, fs) })
}

// count applies f to the run's counters, reports progress, saves the counters
// about once a second, and reports whether too many failures came in a row.
func (w *walk) count(ctx context.Context, f func(*store.ScanRun), failed bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(w.run)
	if failed {
		w.consecutive++
	} else {
		w.consecutive = 0
	}
	if w.progress != nil {
		done := w.run.Scanned + w.run.Unchanged + w.run.Failed
		w.progress(Progress{Done: done, Total: max(w.run.Total, done), Scanned: w.run.Scanned, Unchanged: w.run.Unchanged,
			Failed: w.run.Failed, Elapsed: time.Since(w.start)})
	}
	if time.Since(w.lastSave) > time.Second {
		w.lastSave = time.Now()
		w.run.HeartbeatAt = w.s.now()
		if err := w.sc.UpdateScanRun(ctx, *w.run); err != nil {
			w.s.log().Warn("scan: run counters not saved", "error", err)
		}
	}
	return w.consecutive >= maxConsecutiveFailures
}

func (w *walk) save(ctx context.Context, _ bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.run.HeartbeatAt = w.s.now()
	return w.sc.UpdateScanRun(ctx, *w.run)
}

// errorClass names an error without its text.
func errorClass(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{
		{intercom.ErrRateLimited, "rate_limited"}, {intercom.ErrServer, "server_error"},
		{intercom.ErrMalformedResponse, "malformed_response"}, {intercom.ErrValidation, "invalid_request"},
		{context.DeadlineExceeded, "timeout"},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "transport"
}

// scanConversation runs the engine on every part of c and returns the
// conversation's record and its findings (references only).
func scanConversation(e *pii.Engine, c *intercom.Conversation, runID string) (store.ScannedConversation, []store.ScanFinding) {
	inbox := string(c.TeamAssigneeID)
	if inbox == "0" {
		inbox = ""
	}
	rec := store.ScannedConversation{ConversationID: string(c.ID), RunID: runID, Inbox: inbox, Status: store.ScanStatusScanned}
	parts := partsOf(c)
	var fs []store.ScanFinding
	var buf []pii.Finding
	for _, p := range parts {
		if p.kind == KindPart {
			rec.PartsScanned++
		}
		if p.attachmentOnly() {
			rec.AttachmentOnly++
		}
		if p.redacted {
			continue
		}
		fs = findIn(e, p, string(c.ID), inbox, fs, &buf)
	}
	rec.PartsTotal = int64(c.ConversationParts.TotalCount)
	if rec.PartsTotal < rec.PartsScanned {
		rec.PartsTotal = rec.PartsScanned
	}
	return rec, fs
}

// findIn appends the findings of one part.
func findIn(e *pii.Engine, p part, convID, inbox string, fs []store.ScanFinding, buf *[]pii.Finding) []store.ScanFinding {
	seq := 0
	month := ""
	if !p.createdAt.IsZero() {
		month = p.createdAt.Format("2006-01")
	}
	for _, f := range p.fields {
		*buf = e.Find([]byte(f[1]), nil, (*buf)[:0])
		for _, x := range *buf {
			if !plausible(x, f[1]) {
				continue
			}
			fs = append(fs, store.ScanFinding{ConversationID: convID, PartID: p.id, Seq: seq, PartKind: p.kind, AuthorRole: p.role,
				Type: x.Type.String(), Confidence: float64(x.Confidence), Validator: x.Validator, Field: f[0],
				PartCreatedAt: p.createdAt, Month: month, Inbox: inbox})
			seq++
		}
	}
	return fs
}
