package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

var _ store.Scans = (*Ops)(nil)

// CreateScanRun implements store.Scans.
func (o *Ops) CreateScanRun(ctx context.Context, r store.ScanRun) error {
	if r.ID == "" || r.WindowTo.IsZero() {
		return fmt.Errorf("%w: scan run needs ID and WindowTo", store.ErrInvalid)
	}
	if r.State == "" {
		r.State = store.ScanRunning
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = o.now()
	}
	if r.HeartbeatAt.IsZero() {
		r.HeartbeatAt = r.StartedAt
	}
	_, err := o.exec(ctx, `INSERT INTO scan_runs (id, started_at, finished_at, heartbeat_at, state, window_from, window_to, types, total, scanned, unchanged, failed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, ts(r.StartedAt), ts(r.FinishedAt), ts(r.HeartbeatAt), string(r.State), ts(r.WindowFrom), ts(r.WindowTo), r.Types,
		r.Total, r.Scanned, r.Unchanged, r.Failed)
	return err
}

// UpdateScanRun implements store.Scans.
func (o *Ops) UpdateScanRun(ctx context.Context, r store.ScanRun) error {
	n, err := o.exec(ctx, `UPDATE scan_runs SET finished_at = $2, heartbeat_at = $3, state = $4, total = $5, scanned = $6, unchanged = $7, failed = $8 WHERE id = $1`,
		r.ID, ts(r.FinishedAt), ts(r.HeartbeatAt), string(r.State), r.Total, r.Scanned, r.Unchanged, r.Failed)
	if err == nil && n == 0 {
		return store.NotFound("scan_run")
	}
	return err
}

func scanRunRow(r Rows) (store.ScanRun, error) {
	var s store.ScanRun
	var state string
	err := r.Scan(&s.ID, tc(&s.StartedAt), tc(&s.FinishedAt), tc(&s.HeartbeatAt), &state, tc(&s.WindowFrom), tc(&s.WindowTo), &s.Types,
		&s.Total, &s.Scanned, &s.Unchanged, &s.Failed)
	s.State = store.ScanRunState(state)
	return s, err
}

// LatestScanRun implements store.Scans.
func (o *Ops) LatestScanRun(ctx context.Context, states ...store.ScanRunState) (store.ScanRun, error) {
	q := `SELECT id, started_at, finished_at, heartbeat_at, state, window_from, window_to, types, total, scanned, unchanged, failed FROM scan_runs`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + placeholders(1, len(states)) + `)`
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	return queryOne(ctx, o, "scan_run", q+` ORDER BY started_at DESC, id DESC LIMIT 1`, args, scanRunRow)
}

// ScannedConversation implements store.Scans.
func (o *Ops) ScannedConversation(ctx context.Context, id string) (store.ScannedConversation, error) {
	return queryOne(ctx, o, "scan_conversation", `SELECT conversation_id, updated_at, scanned_at, run_id, inbox, parts_total, parts_scanned, attachment_only, status, error_class
		FROM scan_conversations WHERE conversation_id = $1`, []any{id}, func(r Rows) (store.ScannedConversation, error) {
		var c store.ScannedConversation
		var status string
		err := r.Scan(&c.ConversationID, tc(&c.UpdatedAt), tc(&c.ScannedAt), &c.RunID, &c.Inbox, &c.PartsTotal, &c.PartsScanned, &c.AttachmentOnly, &status, &c.ErrorClass)
		c.Status = store.ScanStatus(status)
		return c, err
	})
}

func checkFindings(conversationID, partID string, fs []store.ScanFinding) error {
	for i, f := range fs {
		if f.ConversationID != conversationID || (partID != "" && f.PartID != partID) || f.PartID == "" || f.Type == "" {
			return fmt.Errorf("%w: finding %d names another conversation or part, or has no part or type", store.ErrInvalid, i)
		}
		if math.IsNaN(f.Confidence) || f.Confidence < 0 || f.Confidence > 1 {
			return fmt.Errorf("%w: finding %d: confidence outside [0,1]", store.ErrInvalid, i)
		}
	}
	return nil
}

func (o *Ops) insertFindings(ctx context.Context, fs []store.ScanFinding) error {
	for _, f := range fs {
		if _, err := o.exec(ctx, `INSERT INTO scan_findings (conversation_id, part_id, seq, part_kind, author_role, type, confidence_milli, validator, field, part_created_at, month, inbox)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			f.ConversationID, f.PartID, int64(f.Seq), f.PartKind, f.AuthorRole, f.Type, int64(math.Round(f.Confidence*1000)), f.Validator, f.Field,
			ts(f.PartCreatedAt), f.Month, f.Inbox); err != nil {
			return err
		}
	}
	return nil
}

// PutScannedConversation implements store.Scans.
func (o *Ops) PutScannedConversation(ctx context.Context, c store.ScannedConversation, fs []store.ScanFinding) error {
	if c.ConversationID == "" || c.Status == "" {
		return fmt.Errorf("%w: scanned conversation needs ConversationID and Status", store.ErrInvalid)
	}
	if err := checkFindings(c.ConversationID, "", fs); err != nil {
		return err
	}
	if c.ScannedAt.IsZero() {
		c.ScannedAt = o.now()
	}
	return o.Atomic(ctx, func(t *Ops) error {
		if _, err := t.exec(ctx, `INSERT INTO scan_conversations (conversation_id, updated_at, scanned_at, run_id, inbox, parts_total, parts_scanned, attachment_only, status, error_class)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (conversation_id) DO UPDATE SET updated_at = excluded.updated_at, scanned_at = excluded.scanned_at, run_id = excluded.run_id,
			inbox = excluded.inbox, parts_total = excluded.parts_total, parts_scanned = excluded.parts_scanned,
			attachment_only = excluded.attachment_only, status = excluded.status, error_class = excluded.error_class`,
			c.ConversationID, c.UpdatedAt.UnixMicro(), ts(c.ScannedAt), c.RunID, c.Inbox, c.PartsTotal, c.PartsScanned, c.AttachmentOnly, string(c.Status), c.ErrorClass); err != nil {
			return err
		}
		if c.Status == store.ScanStatusFailed {
			// A conversation that could not be fetched keeps its earlier findings.
			return nil
		}
		if _, err := t.exec(ctx, `DELETE FROM scan_findings WHERE conversation_id = $1`, c.ConversationID); err != nil {
			return err
		}
		return t.insertFindings(ctx, fs)
	})
}

// PutPartFindings implements store.Scans.
func (o *Ops) PutPartFindings(ctx context.Context, conversationID, partID string, fs []store.ScanFinding) error {
	if conversationID == "" || partID == "" {
		return fmt.Errorf("%w: part findings need a conversation and a part id", store.ErrInvalid)
	}
	if err := checkFindings(conversationID, partID, fs); err != nil {
		return err
	}
	return o.Atomic(ctx, func(t *Ops) error {
		if _, err := t.exec(ctx, `DELETE FROM scan_findings WHERE conversation_id = $1 AND part_id = $2`, conversationID, partID); err != nil {
			return err
		}
		return t.insertFindings(ctx, fs)
	})
}

// ScanFindings implements store.Scans.
func (o *Ops) ScanFindings(ctx context.Context, conversationID string) ([]store.ScanFinding, error) {
	return queryList(ctx, o, `SELECT conversation_id, part_id, seq, part_kind, author_role, type, confidence_milli, validator, field, part_created_at, month, inbox
		FROM scan_findings WHERE conversation_id = $1 ORDER BY part_id, seq`, []any{conversationID}, func(r Rows) (store.ScanFinding, error) {
		var f store.ScanFinding
		var seq, milli int64
		err := r.Scan(&f.ConversationID, &f.PartID, &seq, &f.PartKind, &f.AuthorRole, &f.Type, &milli, &f.Validator, &f.Field, tc(&f.PartCreatedAt), &f.Month, &f.Inbox)
		f.Seq, f.Confidence = int(seq), float64(milli)/1000
		return f, err
	})
}

// ScanCounts implements store.Scans.
func (o *Ops) ScanCounts(ctx context.Context, by store.ScanGroup) ([]store.ScanCount, error) {
	var key string
	switch by {
	case store.ByType:
		key = "''"
	case store.ByMonth, store.ByInbox, store.ByAuthorRole:
		key = string(by) // a column name, from the closed set above
	default:
		return nil, fmt.Errorf("%w: unknown scan grouping", store.ErrInvalid)
	}
	q := `SELECT ` + key + `, type, COUNT(*), COUNT(DISTINCT conversation_id || '/' || part_id), COUNT(DISTINCT conversation_id)
		FROM scan_findings GROUP BY ` + key + `, type ORDER BY 1, 2`
	if by == store.ByType {
		q = `SELECT '', type, COUNT(*), COUNT(DISTINCT conversation_id || '/' || part_id), COUNT(DISTINCT conversation_id)
		FROM scan_findings GROUP BY type ORDER BY 2`
	}
	return queryList(ctx, o, q, nil, func(r Rows) (store.ScanCount, error) {
		var c store.ScanCount
		err := r.Scan(&c.Key, &c.Type, &c.Findings, &c.Parts, &c.Conversations)
		return c, err
	})
}

// TopScanConversations implements store.Scans.
func (o *Ops) TopScanConversations(ctx context.Context, limit int) ([]store.ScanConversationCount, error) {
	if limit <= 0 {
		return nil, nil
	}
	top, err := queryList(ctx, o, `SELECT conversation_id, COUNT(*) FROM scan_findings GROUP BY conversation_id ORDER BY 2 DESC, 1 LIMIT $1`,
		[]any{int64(limit)}, func(r Rows) (store.ScanConversationCount, error) {
			var c store.ScanConversationCount
			err := r.Scan(&c.ConversationID, &c.Findings)
			return c, err
		})
	if err != nil {
		return nil, err
	}
	for i := range top {
		types, err := queryList(ctx, o, `SELECT DISTINCT type FROM scan_findings WHERE conversation_id = $1 ORDER BY 1`,
			[]any{top[i].ConversationID}, func(r Rows) (string, error) {
				var s string
				err := r.Scan(&s)
				return s, err
			})
		if err != nil {
			return nil, err
		}
		top[i].Types = types
	}
	return top, nil
}

// ScanCoverage implements store.Scans.
func (o *Ops) ScanCoverage(ctx context.Context) (store.ScanCoverage, error) {
	var c store.ScanCoverage
	err := o.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN conversation_id LIKE 'ticket:%' THEN 0 ELSE 1 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN parts_total > parts_scanned THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN parts_total > parts_scanned THEN parts_total - parts_scanned ELSE 0 END), 0),
		COALESCE(SUM(parts_scanned), 0), COALESCE(SUM(attachment_only), 0)
		FROM scan_conversations`, nil, &c.Conversations, &c.Failed, &c.Truncated, &c.PartsNotScanned, &c.PartsScanned, &c.AttachmentOnly)
	if err != nil {
		return c, err
	}
	err = o.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM scan_conversations WHERE conversation_id LIKE 'ticket:%'),
		(SELECT COUNT(*) FROM scan_findings WHERE part_kind = 'ticket_attribute')`, nil, &c.Tickets, &c.TicketAttributeFindings)
	return c, err
}

const redactionCols = `conversation_id, part_id, part_kind, author_role, types, origin, state, reason, attempts, message_created_at, queued_at, intended_at, finished_at, note_state, approval, proposed_by, decided_by, decided_at`

func redactionRow(r Rows) (store.Redaction, error) {
	var x store.Redaction
	var state string
	var attempts int64
	var approval string
	err := r.Scan(&x.ConversationID, &x.PartID, &x.PartKind, &x.AuthorRole, &x.Types, &x.Origin, &state, &x.Reason, &attempts,
		tc(&x.MessageCreatedAt), tc(&x.QueuedAt), tc(&x.IntendedAt), tc(&x.FinishedAt), &x.NoteState,
		&approval, &x.ProposedBy, &x.DecidedBy, tc(&x.DecidedAt))
	x.State, x.Attempts, x.Approval = store.RedactionState(state), int(attempts), store.Approval(approval)
	return x, err
}

// RedactionTargets implements store.Scans.
func (o *Ops) RedactionTargets(ctx context.Context, types, roles []string) ([]store.Redaction, error) {
	if len(types) == 0 {
		return nil, fmt.Errorf("%w: redaction targets need at least one type", store.ErrInvalid)
	}
	args := make([]any, 0, len(types)+len(roles))
	for _, t := range types {
		args = append(args, t)
	}
	q := `SELECT f.conversation_id, f.part_id, f.part_kind, f.author_role, f.type, f.part_created_at FROM scan_findings f
		LEFT JOIN scan_redactions r ON r.conversation_id = f.conversation_id AND r.part_id = f.part_id
		WHERE f.type IN (` + placeholders(1, len(types)) + `)
		AND (r.state IS NULL OR r.state IN ('queued', 'intended', 'failed'))
		AND (r.approval IS NULL OR r.approval IN ('', 'approved'))
		AND f.part_kind IN ('source', 'part')`
	if len(roles) > 0 {
		q += ` AND f.author_role IN (` + placeholders(len(types)+1, len(roles)) + `)`
		for _, r := range roles {
			args = append(args, r)
		}
	}
	q += ` ORDER BY f.conversation_id, f.part_id, f.type`
	var out []store.Redaction
	err := o.queryAll(ctx, q, args, func(r Rows) error {
		var x store.Redaction
		var typ string
		if err := r.Scan(&x.ConversationID, &x.PartID, &x.PartKind, &x.AuthorRole, &typ, tc(&x.MessageCreatedAt)); err != nil {
			return err
		}
		if n := len(out); n > 0 && out[n-1].ConversationID == x.ConversationID && out[n-1].PartID == x.PartID {
			if !slices.Contains(strings.Split(out[n-1].Types, ","), typ) {
				out[n-1].Types += "," + typ
			}
			return nil
		}
		x.Types = typ
		out = append(out, x)
		return nil
	})
	return out, err
}

// QueueRedaction implements store.Scans.
func (o *Ops) QueueRedaction(ctx context.Context, x store.Redaction) (bool, error) {
	if x.ConversationID == "" || x.PartID == "" || (x.PartKind != "source" && x.PartKind != "part") {
		return false, fmt.Errorf("%w: a redaction needs a conversation, a part and a kind (source or part)", store.ErrInvalid)
	}
	if x.State == "" {
		x.State = store.RedactionQueued
	}
	if x.QueuedAt.IsZero() {
		x.QueuedAt = o.now()
	}
	n, err := o.exec(ctx, `INSERT INTO scan_redactions (`+redactionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (conversation_id, part_id) DO NOTHING`,
		x.ConversationID, x.PartID, x.PartKind, x.AuthorRole, x.Types, x.Origin, string(x.State), x.Reason, int64(x.Attempts),
		ts(x.MessageCreatedAt), ts(x.QueuedAt), ts(x.IntendedAt), ts(x.FinishedAt), x.NoteState,
		string(x.Approval), x.ProposedBy, x.DecidedBy, ts(x.DecidedAt))
	return n > 0, err
}

// ClaimRedaction implements store.Scans: one conditional update, whose
// condition both backends check again on the row it locks.
func (o *Ops) ClaimRedaction(ctx context.Context, conversationID, partID, holder string, now, until time.Time) (bool, error) {
	if holder == "" || !until.After(now) {
		return false, fmt.Errorf("%w: a claim needs a holder and an end after now", store.ErrInvalid)
	}
	n, err := o.exec(ctx, `UPDATE scan_redactions SET claimed_by = $3, claim_until = $5
		WHERE conversation_id = $1 AND part_id = $2 AND (claimed_by = '' OR claimed_by = $3 OR claim_until IS NULL OR claim_until <= $4)`,
		conversationID, partID, holder, ts(now), ts(until))
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := o.GetRedaction(ctx, conversationID, partID); err != nil {
			return false, err
		}
	}
	return n > 0, nil
}

// ProposeRedaction implements store.Scans.
func (o *Ops) ProposeRedaction(ctx context.Context, x store.Redaction) (bool, error) {
	if x.ProposedBy == "" {
		return false, fmt.Errorf("%w: a proposed redaction needs its proposer", store.ErrInvalid)
	}
	x.State, x.Approval, x.DecidedBy, x.DecidedAt = store.RedactionQueued, store.ApprovalProposed, "", time.Time{}
	return o.QueueRedaction(ctx, x)
}

// DecideRedaction implements store.Scans.
func (o *Ops) DecideRedaction(ctx context.Context, conversationID, partID string, a store.Approval, actor string, at time.Time) error {
	if (a != store.ApprovalApproved && a != store.ApprovalRejected) || actor == "" {
		return fmt.Errorf("%w: a decision is approved or rejected, by an actor", store.ErrInvalid)
	}
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `UPDATE scan_redactions SET approval = $3, decided_by = $4, decided_at = $5
		WHERE conversation_id = $1 AND part_id = $2 AND approval = 'proposed'`, conversationID, partID, string(a), actor, ts(at))
	if err != nil {
		return err
	}
	if n == 0 {
		if _, gerr := o.GetRedaction(ctx, conversationID, partID); gerr != nil {
			return gerr
		}
		return fmt.Errorf("%w: the redaction of part %s of conversation %s is not awaiting a decision", store.ErrStateConflict, partID, conversationID)
	}
	return nil
}

// RedactionsAwaiting implements store.Scans.
func (o *Ops) RedactionsAwaiting(ctx context.Context, a store.Approval, limit int) ([]store.Redaction, error) {
	if limit <= 0 || a == store.ApprovalNone {
		return nil, fmt.Errorf("%w: limit must be positive and the approval named", store.ErrInvalid)
	}
	return queryList(ctx, o, `SELECT `+redactionCols+` FROM scan_redactions WHERE approval = $1
		ORDER BY queued_at, conversation_id, part_id LIMIT $2`, []any{string(a), int64(limit)}, redactionRow)
}

const leaseCols = `name, holder, acquired_at, heartbeat_at, expires_at`

func leaseRow(r Rows) (store.ScanLease, error) {
	var l store.ScanLease
	err := r.Scan(&l.Name, &l.Holder, tc(&l.AcquiredAt), tc(&l.HeartbeatAt), tc(&l.ExpiresAt))
	return l, err
}

func checkLease(name, holder string, ttl time.Duration) error {
	if name == "" || holder == "" || ttl <= 0 {
		return fmt.Errorf("%w: a lease needs a name, a holder and a positive duration", store.ErrInvalid)
	}
	return nil
}

// AcquireScanLease implements store.Scans. It is two statements that each
// decide on their own, so two callers at once cannot both win on either
// backend: an insert that does nothing when the row exists, then an update
// whose condition (holder's own lease, or an expired one) is checked again on
// the row it locks.
func (o *Ops) AcquireScanLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (store.ScanLease, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return store.ScanLease{}, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	until := now.Add(ttl)
	var out store.ScanLease
	err := o.Atomic(ctx, func(t *Ops) error {
		n, err := t.exec(ctx, `INSERT INTO scan_leases (`+leaseCols+`) VALUES ($1, $2, $3, $3, $4) ON CONFLICT (name) DO NOTHING`,
			name, holder, ts(now), ts(until))
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := t.exec(ctx, `UPDATE scan_leases SET
				acquired_at = CASE WHEN holder = $2 THEN acquired_at ELSE $3 END,
				holder = $2, heartbeat_at = $3, expires_at = $4
				WHERE name = $1 AND (holder = $2 OR expires_at <= $3)`, name, holder, ts(now), ts(until)); err != nil {
				return err
			}
		}
		out, err = t.GetScanLease(ctx, name)
		return err
	})
	return out, err
}

// RenewScanLease implements store.Scans.
func (o *Ops) RenewScanLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) error {
	if err := checkLease(name, holder, ttl); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	n, err := o.exec(ctx, `UPDATE scan_leases SET heartbeat_at = $3, expires_at = $4 WHERE name = $1 AND holder = $2`,
		name, holder, ts(now), ts(now.Add(ttl)))
	if err == nil && n == 0 {
		return store.NotFound("scan_lease")
	}
	return err
}

// ReleaseScanLease implements store.Scans.
func (o *Ops) ReleaseScanLease(ctx context.Context, name, holder string) error {
	_, err := o.exec(ctx, `DELETE FROM scan_leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}

// GetScanLease implements store.Scans.
func (o *Ops) GetScanLease(ctx context.Context, name string) (store.ScanLease, error) {
	return queryOne(ctx, o, "scan_lease", `SELECT `+leaseCols+` FROM scan_leases WHERE name = $1`, []any{name}, leaseRow)
}

// GetRedaction implements store.Scans.
func (o *Ops) GetRedaction(ctx context.Context, conversationID, partID string) (store.Redaction, error) {
	return queryOne(ctx, o, "scan_redaction", `SELECT `+redactionCols+` FROM scan_redactions WHERE conversation_id = $1 AND part_id = $2`,
		[]any{conversationID, partID}, redactionRow)
}

// PutRedaction implements store.Scans.
func (o *Ops) PutRedaction(ctx context.Context, x store.Redaction) error {
	if x.State == "" {
		return fmt.Errorf("%w: redaction state is empty", store.ErrInvalid)
	}
	n, err := o.exec(ctx, `UPDATE scan_redactions SET state = $3, reason = $4, attempts = $5, intended_at = $6, finished_at = $7, note_state = $8, types = $9
		WHERE conversation_id = $1 AND part_id = $2`,
		x.ConversationID, x.PartID, string(x.State), x.Reason, int64(x.Attempts), ts(x.IntendedAt), ts(x.FinishedAt), x.NoteState, x.Types)
	if err == nil && n == 0 {
		return store.NotFound("scan_redaction")
	}
	return err
}

// Redactions implements store.Scans.
func (o *Ops) Redactions(ctx context.Context, limit int, states ...store.RedactionState) ([]store.Redaction, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: limit must be positive", store.ErrInvalid)
	}
	q := `SELECT ` + redactionCols + ` FROM scan_redactions`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + placeholders(1, len(states)) + `)`
		for _, s := range states {
			args = append(args, string(s))
		}
	}
	args = append(args, int64(limit))
	q += fmt.Sprintf(` ORDER BY queued_at, conversation_id, part_id LIMIT $%d`, len(args))
	return queryList(ctx, o, q, args, redactionRow)
}

// RedactionsWithOpenNotes implements store.Scans.
func (o *Ops) RedactionsWithOpenNotes(ctx context.Context, limit int) ([]store.Redaction, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: limit must be positive", store.ErrInvalid)
	}
	return queryList(ctx, o, `SELECT `+redactionCols+` FROM scan_redactions WHERE state = 'done' AND note_state IN ('wanted', 'intended')
		ORDER BY queued_at, conversation_id, part_id LIMIT $1`, []any{int64(limit)}, redactionRow)
}

// RedactionCounts implements store.Scans.
func (o *Ops) RedactionCounts(ctx context.Context) (map[store.RedactionState]int64, error) {
	out := map[store.RedactionState]int64{}
	err := o.queryAll(ctx, `SELECT state, COUNT(*) FROM scan_redactions GROUP BY state`, nil, func(r Rows) error {
		var s string
		var n int64
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		out[store.RedactionState(s)] = n
		return nil
	})
	return out, err
}

// InsertScanNotification implements store.Scans.
func (o *Ops) InsertScanNotification(ctx context.Context, id, topic, conversationID string, at time.Time) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("%w: notification id is empty", store.ErrInvalid)
	}
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `INSERT INTO scan_notifications (notification_id, topic, conversation_id, received_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (notification_id) DO NOTHING`, id, topic, conversationID, ts(at))
	if err != nil && errors.Is(err, store.ErrDuplicate) {
		return false, nil
	}
	return n > 0, err
}
