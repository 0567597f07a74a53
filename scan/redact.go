package scan

import (
	"context"
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

// DeletedNotice is what Intercom shows in place of a redacted part. The help and
// the dry run repeat it: a redaction removes the whole message, not only the
// finding.
const DeletedNotice = `Intercom replaces the whole message (the part, or the conversation's opening message) with "This message was deleted"; the rest of the message is lost with the finding.`

// DefaultMaxPerRun is how many parts one `scan redact` run redacts without
// --yes.
const DefaultMaxPerRun = 100

// maxApproved bounds the approved redactions one run reads.
const maxApproved = 100_000

// DefaultRetryFor is how long a redaction keeps trying while Intercom answers
// 5xx, 429 or drops the connection before the run stops (resumable).
const DefaultRetryFor = 10 * time.Minute

// Redactor redacts conversation parts in Intercom, exactly once each.
type Redactor struct {
	Store    store.Store
	Intercom *intercom.Client
	Chain    *audit.Chain
	Actor    string
	Logger   *slog.Logger
	// RetryFor bounds the retries of one part (DefaultRetryFor when 0).
	RetryFor time.Duration
	// Backoff is the first wait between retries, doubled up to 30 s (1 s when 0).
	Backoff time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Lease says who holds the redact lease while Run works (one run at a
	// time across processes; see LeaseRedact). Redact, which the continuous
	// mode calls, takes no lease; its Holder claims each part it sends (two
	// processes never send one part at once; see ErrPartBusy).
	Lease LeaseOptions

	group     *groupcommit.Committer // lives as long as the Redactor
	groupOnce sync.Once
}

// commit runs fn in a transaction shared with concurrent redactions (group
// commit: the continuous mode redacts many parts at once).
func (r *Redactor) commit(ctx context.Context, fn func(store.Tx) error) error {
	r.groupOnce.Do(func() { r.group = newCommitter(r.Store) })
	return commitIn(ctx, r.group, fn)
}

// RedactOptions choose what a run redacts.
type RedactOptions struct {
	// Types choose the parts: those holding a finding of one of them
	// (DefaultRedactTypes when nil).
	Types []pii.Type
	// AuthorRoles, when set, keep only parts written by these roles.
	AuthorRoles []string
	// DryRun lists what would be redacted and changes nothing.
	DryRun bool
	// Max is the most parts redacted without Yes (DefaultMaxPerRun when 0).
	Max int
	// Yes lifts Max.
	Yes bool
	// OnPart, when set, is called after each part with its final redaction.
	OnPart func(store.Redaction)
	// ApprovedOnly sends only the redactions approved through the console
	// (see Propose and Decide), whatever Types and AuthorRoles say.
	ApprovedOnly bool
}

// RedactResult is the outcome of a run.
type RedactResult struct {
	// Planned are the parts chosen (all of them for a dry run).
	Planned []store.Redaction
	// Counts by final state of the parts handled in this run.
	Counts map[store.RedactionState]int
	// Remaining parts were left for another run by Max.
	Remaining int
	// Busy parts were being sent by another process (claimed) and left to it.
	Busy int
	// Refused parts had no second person's approval when they were about to
	// be sent (ErrNotApproved) and were left alone.
	Refused int
	DryRun  bool
}

func (r *Redactor) now() time.Time    { return nowOf(r.Now) }
func (r *Redactor) log() *slog.Logger { return loggerOf(r.Logger) }

// Run redacts, in Intercom, every part holding a finding of the chosen types
// that was not redacted yet (parts a killed run left intended first). It stops
// at the first part that cannot be settled (a missing permission, or Intercom
// failing past RetryFor); what it did stays recorded and the next run goes on.
// A run that sends holds the redact lease: Run fails with a
// *RunInProgressError when another process's run holds it (a dry run takes
// none).
func (r *Redactor) Run(ctx context.Context, opts RedactOptions) (RedactResult, error) {
	res := RedactResult{DryRun: opts.DryRun, Counts: map[store.RedactionState]int{}}
	sc, err := scansOf(r.Store)
	if err != nil {
		return res, err
	}
	if opts.Max < 0 {
		return res, fmt.Errorf("%w: the maximum per run must be positive", ErrInvalidOptions)
	}
	types := opts.Types
	if types == nil {
		types = DefaultRedactTypes
	}
	if len(types) == 0 {
		return res, fmt.Errorf("%w: no type to redact", ErrInvalidOptions)
	}
	var lease *held
	if !opts.DryRun {
		if r.Intercom == nil {
			return res, fmt.Errorf("%w: no Intercom client", ErrInvalidOptions)
		}
		// The lease is taken before the targets are read, so a second run
		// cannot pick the same parts.
		ctx, lease, err = hold(ctx, sc, LeaseRedact, r.Lease, r.now, r.log())
		if err != nil {
			return res, err
		}
		defer lease.release(ctx)
	}
	var targets []store.Redaction
	if opts.ApprovedOnly {
		approved, err := sc.RedactionsAwaiting(ctx, store.ApprovalApproved, maxApproved)
		if err != nil {
			return res, err
		}
		for _, x := range approved {
			if !x.State.Final() && approvedByAnother(x) {
				targets = append(targets, x)
			}
		}
	} else if targets, err = sc.RedactionTargets(ctx, typeNames(types), opts.AuthorRoles); err != nil {
		return res, err
	}
	limit := opts.Max
	if limit == 0 {
		limit = DefaultMaxPerRun
	}
	if !opts.Yes && len(targets) > limit {
		res.Remaining = len(targets) - limit
		targets = targets[:limit]
	}
	res.Planned = targets
	if opts.DryRun {
		return res, nil
	}
	for _, t := range targets {
		t.Origin = "scan"
		x, err := r.Redact(ctx, t)
		if errors.Is(err, ErrPartBusy) {
			res.Busy++ // the continuous mode of a `serve` is sending it
			continue
		}
		if errors.Is(err, ErrNotApproved) {
			res.Refused++
			r.log().Warn("scan: a redaction without a second person's approval was left alone", "error", err)
			continue
		}
		if err != nil {
			res.Remaining += len(targets) - sumCounts(res.Counts) - res.Busy - res.Refused
			return res, lease.lost(ctx, err)
		}
		res.Counts[x.State]++
		if opts.OnPart != nil {
			opts.OnPart(x)
		}
	}
	return res, nil
}

func sumCounts(m map[store.RedactionState]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Redact settles the redaction of one part: it records the intent (with an
// audit record) before the request, sends it, and records the outcome (with an
// audit record). A part whose redaction is final is returned as it is. An error
// leaves the part queued, intended or failed (never final), so a later call
// sends again; Intercom answers a second redaction 400, counted as done.
func (r *Redactor) Redact(ctx context.Context, t store.Redaction) (store.Redaction, error) {
	x, err := r.intend(ctx, t)
	if err != nil || x.State.Final() {
		return x, err
	}
	deadline := time.Now().Add(r.retryFor())
	wait := r.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	sc, err := scansOf(r.Store)
	if err != nil {
		return x, err
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Still ours? A process that stalled past its claim stops here.
			if err := r.claim(ctx, sc, x.ConversationID, x.PartID); err != nil {
				return x, err
			}
		}
		state, reason, err := r.send(ctx, x)
		if err == nil {
			return r.settle(ctx, x, state, reason)
		}
		if errors.Is(err, ErrMissingScope) {
			if _, serr := r.settle(ctx, x, store.RedactionFailed, "missing_permission"); serr != nil {
				return x, errors.Join(err, serr)
			}
			return x, err
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			if ctx.Err() != nil {
				return x, ctx.Err()
			}
			return x, fmt.Errorf("%w: a redaction was tried for %s: %w", ErrIntercomFailing, r.retryFor(), err)
		}
		r.log().Warn("scan: redaction will be retried", "error", err, "wait", wait)
		select {
		case <-ctx.Done():
			return x, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func (r *Redactor) retryFor() time.Duration {
	if r.RetryFor > 0 {
		return r.RetryFor
	}
	return DefaultRetryFor
}

// intend records that the part is about to be redacted, unless a record of
// that intent is there already (left by a killed run, or written by the
// Monitor when the message arrived).
func (r *Redactor) intend(ctx context.Context, t store.Redaction) (store.Redaction, error) {
	var x store.Redaction
	err := r.commit(ctx, func(tx store.Tx) error {
		var err error
		x, err = r.intendTx(ctx, tx, t)
		return err
	})
	return x, err
}

// ErrPartBusy: another process holds the claim on the part's redaction (it
// is sending it); this one leaves it alone. A claim lapses two lease
// durations after its holder last renewed it.
var ErrPartBusy = errors.New("scan: another process is redacting this part")

// claimFor is how long a claim on one part lasts without renewal (renewed
// before every attempt).
func (r *Redactor) claimFor() time.Duration { return 2 * r.Lease.ttl() }

// claim takes (or renews) the part's claim for this process.
func (r *Redactor) claim(ctx context.Context, sc store.Scans, conversationID, partID string) error {
	now := r.now()
	ok, err := sc.ClaimRedaction(ctx, conversationID, partID, r.Lease.holder(), now, now.Add(r.claimFor()))
	if err == nil && !ok {
		err = ErrPartBusy
	}
	return err
}

// intendTx is intend inside the caller's transaction. It claims the part
// first: a part another process is sending gives ErrPartBusy and nothing is
// recorded.
func (r *Redactor) intendTx(ctx context.Context, tx store.Tx, t store.Redaction) (store.Redaction, error) {
	sc := tx.(store.Scans)
	if _, err := sc.QueueRedaction(ctx, t); err != nil {
		return t, err
	}
	x, err := sc.GetRedaction(ctx, t.ConversationID, t.PartID)
	if err != nil || x.State.Final() {
		return x, err
	}
	if err := checkApproval(x); err != nil {
		return x, err
	}
	if err := r.claim(ctx, sc, t.ConversationID, t.PartID); err != nil {
		return x, err
	}
	if x.State == store.RedactionIntended {
		return x, nil
	}
	x.State, x.IntendedAt, x.Attempts = store.RedactionIntended, r.now(), x.Attempts+1
	if t.Types != "" {
		x.Types = t.Types
	}
	if err := sc.PutRedaction(ctx, x); err != nil {
		return x, err
	}
	_, err = r.Chain.Append(ctx, tx, audit.Record{Actor: r.Actor, Action: audit.ActionScanRedactionIntended,
		ObjectIDs: []string{x.ConversationID, x.PartID}, Outcome: audit.OutcomeSuccess,
		Reason: fmt.Sprintf("%s of a %s holding %s, attempt %d", x.PartKind, x.AuthorRole, strings.ToLower(x.Types), x.Attempts)})
	return x, err
}

// settle records the outcome of the part's redaction.
func (r *Redactor) settle(ctx context.Context, x store.Redaction, state store.RedactionState, reason string) (store.Redaction, error) {
	x.State, x.Reason = state, reason
	if state.Final() {
		x.FinishedAt = r.now()
	}
	outcome := audit.OutcomeSuccess
	switch state {
	case store.RedactionAlready, store.RedactionGone:
		outcome = audit.OutcomeNoop
	case store.RedactionNotRedactable, store.RedactionFailed:
		outcome = audit.OutcomeFailure
	}
	err := r.commit(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := tx.(store.Scans).PutRedaction(ctx, x); err != nil {
			return err
		}
		_, err := r.Chain.Append(ctx, tx, audit.Record{Actor: r.Actor, Action: audit.ActionScanRedacted,
			ObjectIDs: []string{x.ConversationID, x.PartID}, Outcome: outcome, Reason: string(state) + ": " + reason})
		return err
	})
	return x, err
}

// send asks Intercom to redact the part and classifies the answer: a final
// state, or an error (ErrMissingScope, or one worth retrying).
func (r *Redactor) send(ctx context.Context, x store.Redaction) (store.RedactionState, string, error) {
	var res intercom.RedactResult
	var err error
	if x.PartKind == KindSource {
		res, err = r.Intercom.RedactConversationSource(ctx, x.ConversationID, x.PartID)
	} else {
		res, err = r.Intercom.RedactConversationPart(ctx, x.ConversationID, x.PartID)
	}
	var ae *intercom.Error
	switch {
	case err == nil && res.AlreadyRedacted:
		return store.RedactionAlready, "intercom answered already redacted", nil
	case err == nil:
		return store.RedactionDone, "redacted", nil
	case errors.Is(err, intercom.ErrUnauthorized), errors.Is(err, intercom.ErrForbidden):
		return "", "", fmt.Errorf("%w: redacting needs the Write conversations permission: grant it to the app (Developer Hub, Authentication) or use a token that has it, then run again; nothing was marked done: %w", ErrMissingScope, err)
	case errors.Is(err, intercom.ErrNotFound):
		return store.RedactionGone, "conversation or part not found", nil
	case errors.As(err, &ae) && ae.Code == "conversation_part_not_redactable":
		return store.RedactionNotRedactable, "conversation_part_not_redactable", nil
	case errors.As(err, &ae) && ae.Status == 400:
		return store.RedactionNotRedactable, "rejected: " + ae.Code, nil
	}
	return "", "", err
}
