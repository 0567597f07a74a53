package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Mode is what the Monitor does with a finding of a redacting type.
type Mode string

// Modes.
const (
	// ModeReport records findings only.
	ModeReport Mode = "report"
	// ModeRedact redacts the part in Intercom.
	ModeRedact Mode = "redact"
	// ModeRedactNote redacts the part and posts an internal note telling the
	// team why the message disappeared.
	ModeRedactNote Mode = "redact+note"
)

// ParseMode parses a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeReport, ModeRedact, ModeRedactNote:
		return m, nil
	case "redact-note", "redact_note":
		return ModeRedactNote, nil
	}
	return "", fmt.Errorf("%w: mode must be report, redact or redact+note", ErrInvalidOptions)
}

// DefaultWorkers is how many redactions the Monitor runs at once: enough for
// 50 new messages a second at Intercom's latency, well under its rate limit.
const DefaultWorkers = 16

// DefaultSweepInterval is how often the Monitor looks for redactions left open
// (by a restart, or a full queue).
const DefaultSweepInterval = 5 * time.Second

// Monitor scans new messages as their webhook notifications arrive and
// redacts those holding a finding of a redacting type. Use Wrap to put it in
// front of the server's sink, and Run to work the redactions.
type Monitor struct {
	Store    store.Store
	Intercom *intercom.Client
	Redactor *Redactor
	Chain    *audit.Chain
	Actor    string
	Logger   *slog.Logger
	// Engine finds the personal data (every content type is recorded).
	Engine *pii.Engine
	Mode   Mode
	// Types are redacted (DefaultRedactTypes when nil).
	Types []pii.Type
	// AdminTopics scans the admin topics (conversation.admin.replied, ...) too.
	AdminTopics bool
	// NoteAdminID is the admin who writes the notes of ModeRedactNote.
	NoteAdminID string
	// Workers is how many redactions run at once (DefaultWorkers when 0).
	Workers int
	// SweepInterval: DefaultSweepInterval when 0.
	SweepInterval time.Duration
	// OnFinding is called for every finding stored (metrics); OnRedaction
	// after every settled redaction with the delay from the message's
	// created_at.
	OnFinding   func(typ string)
	OnRedaction func(x store.Redaction, delay time.Duration)
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	once     sync.Once
	queue    chan [2]string
	mu       sync.Mutex
	inflight map[[2]string]bool
}

func (m *Monitor) init() {
	m.once.Do(func() {
		m.queue = make(chan [2]string, 4096)
		m.inflight = map[[2]string]bool{}
	})
}

func (m *Monitor) now() time.Time    { return nowOf(m.Now) }
func (m *Monitor) log() *slog.Logger { return loggerOf(m.Logger) }

// Check reports a Monitor that cannot work.
func (m *Monitor) Check() error {
	if _, err := scansOf(m.Store); err != nil {
		return err
	}
	if m.Engine == nil {
		return fmt.Errorf("%w: no PII engine", ErrInvalidOptions)
	}
	if m.Redactor == nil {
		return fmt.Errorf("%w: no redactor (it also records what the Monitor finds)", ErrInvalidOptions)
	}
	switch m.Mode {
	case ModeReport:
	case ModeRedact, ModeRedactNote:
		if m.Intercom == nil {
			return fmt.Errorf("%w: redacting needs the Intercom client", ErrInvalidOptions)
		}
		if m.Mode == ModeRedactNote && m.NoteAdminID == "" {
			return fmt.Errorf("%w: notes need the id of the admin who writes them", ErrInvalidOptions)
		}
	default:
		return fmt.Errorf("%w: mode must be report, redact or redact+note", ErrInvalidOptions)
	}
	return nil
}

// Handles reports whether the Monitor scans notifications of topic t.
func (m *Monitor) Handles(t webhook.Topic) bool {
	switch t {
	case webhook.TopicConversationUserCreated, webhook.TopicConversationUserReplied:
		return true
	case webhook.TopicConversationAdminReplied, "conversation.admin.noted", "conversation.admin.single.created", "conversation.admin.opened":
		return m.AdminTopics
	}
	return false
}

// Wrap returns a sink that scans the conversation topics the Monitor handles and
// then hands every notification to next. The scan is idempotent on the
// notification id, so a notification delivered again (or redelivered because
// next failed) is scanned and redacted once.
func (m *Monitor) Wrap(next webhook.Sink) webhook.Sink {
	return webhook.SinkFunc(func(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
		if !m.Handles(n.Topic) || n.ID == "" {
			return next.Accept(ctx, n, raw)
		}
		dup, err := m.Accept(ctx, n)
		if err != nil {
			return false, err
		}
		ndup, err := next.Accept(ctx, n, raw)
		return dup && ndup, err
	})
}

// Accept scans the message of one notification: in one transaction it records
// the notification id, the findings (references only) and, when the mode
// redacts, the parts to redact; it then hands them to Run's workers. It sends
// nothing to Intercom. duplicate is true for a notification seen before.
func (m *Monitor) Accept(ctx context.Context, n webhook.Notification) (duplicate bool, err error) {
	m.init()
	var c intercom.Conversation
	if err := json.Unmarshal(n.Item, &c); err != nil || c.ID == "" {
		return false, fmt.Errorf("scan: notification %s: the item is not a conversation", n.ID)
	}
	convID := string(c.ID)
	parts := partsOf(&c)
	inbox := string(c.TeamAssigneeID)
	if inbox == "0" {
		inbox = ""
	}
	redacting := typeNames(m.types())
	var fs []store.ScanFinding
	var buf []pii.Finding
	var queued, mine []store.Redaction
	byPart := map[string][]store.ScanFinding{}
	for _, p := range parts {
		if p.redacted {
			continue
		}
		pf := findIn(m.Engine, p, convID, inbox, nil, &buf)
		byPart[p.id] = pf
		fs = append(fs, pf...)
		if m.Mode == ModeReport || !m.roleWatched(p.role) {
			continue
		}
		var hit []string
		for _, f := range pf {
			if slices.Contains(redacting, f.Type) && !slices.Contains(hit, f.Type) {
				hit = append(hit, f.Type)
			}
		}
		if len(hit) > 0 {
			x := store.Redaction{ConversationID: convID, PartID: p.id, PartKind: p.kind, AuthorRole: p.role, Types: strings.Join(hit, ","),
				Origin: "webhook", MessageCreatedAt: p.createdAt}
			if m.Mode == ModeRedactNote {
				x.NoteState = "wanted"
			}
			queued = append(queued, x)
		}
	}
	// One transaction (grouped with concurrent notifications): the id, the
	// findings and, when the mode redacts, the intent to redact with its audit
	// record, so the worker sends at once and a restart finds the intent.
	err = m.Redactor.commit(ctx, func(tx store.Tx) error {
		sc := tx.(store.Scans)
		ok, err := sc.InsertScanNotification(ctx, n.ID, string(n.Topic), convID, m.now())
		if err != nil || !ok {
			duplicate = !ok
			return err
		}
		for id, pf := range byPart {
			if err := sc.PutPartFindings(ctx, convID, id, pf); err != nil {
				return err
			}
		}
		mine = mine[:0]
		for _, x := range queued {
			_, err := m.Redactor.intendTx(ctx, tx, x)
			if errors.Is(err, ErrPartBusy) {
				continue // another worker is sending it
			}
			if err != nil {
				return err
			}
			mine = append(mine, x)
		}
		return nil
	})
	if err != nil || duplicate {
		return duplicate, err
	}
	if m.OnFinding != nil {
		for _, f := range fs {
			m.OnFinding(f.Type)
		}
	}
	for _, x := range mine {
		m.enqueue([2]string{x.ConversationID, x.PartID})
	}
	return false, nil
}

func (m *Monitor) types() []pii.Type {
	if m.Types == nil {
		return DefaultRedactTypes
	}
	return m.Types
}

// roleWatched: customers' messages always; teammates' and bots' when the
// admin topics are on.
func (m *Monitor) roleWatched(role string) bool {
	return role == RoleCustomer || (m.AdminTopics && (role == RoleTeammate || role == RoleBot))
}

// enqueue hands a part to the workers unless it is in flight; a full queue
// leaves it to the sweep.
func (m *Monitor) enqueue(k [2]string) {
	m.mu.Lock()
	if m.inflight[k] {
		m.mu.Unlock()
		return
	}
	m.inflight[k] = true
	m.mu.Unlock()
	select {
	case m.queue <- k:
	default:
		m.done(k)
	}
}

func (m *Monitor) done(k [2]string) {
	m.mu.Lock()
	delete(m.inflight, k)
	m.mu.Unlock()
}

// Run works the queued redactions until ctx ends: the workers redact what
// Accept queued, and a sweep picks up what a restart or a full queue left
// open. It returns nil when ctx is cancelled.
func (m *Monitor) Run(ctx context.Context) error {
	m.init()
	if err := m.Check(); err != nil {
		return err
	}
	if m.Mode == ModeReport {
		<-ctx.Done()
		return nil
	}
	n := m.Workers
	if n <= 0 {
		n = DefaultWorkers
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case k := <-m.queue:
					m.work(ctx, k)
					m.done(k)
				}
			}
		}()
	}
	every := m.SweepInterval
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m.sweep(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// sweep queues the open redactions of webhook origin.
func (m *Monitor) sweep(ctx context.Context) {
	sc, _ := scansOf(m.Store)
	open, err := sc.Redactions(ctx, 1000, store.RedactionQueued, store.RedactionIntended, store.RedactionFailed)
	if err != nil {
		if ctx.Err() == nil {
			m.log().Warn("scan: open redactions not read", "error", err)
		}
		return
	}
	for _, x := range open {
		if x.Origin == "webhook" {
			m.enqueue([2]string{x.ConversationID, x.PartID})
		}
	}
	if m.Mode != ModeRedactNote {
		return
	}
	// Redactions done whose note was not posted (a restart, Intercom failing).
	notes, err := sc.RedactionsWithOpenNotes(ctx, 1000)
	if err != nil {
		if ctx.Err() == nil {
			m.log().Warn("scan: open notes not read", "error", err)
		}
		return
	}
	for _, x := range notes {
		m.enqueue([2]string{x.ConversationID, x.PartID})
	}
}

// work settles one part's redaction and, in ModeRedactNote, its note.
func (m *Monitor) work(ctx context.Context, k [2]string) {
	sc, _ := scansOf(m.Store)
	x, err := sc.GetRedaction(ctx, k[0], k[1])
	if err != nil {
		m.log().Warn("scan: queued redaction not read", "error", err)
		return
	}
	if !x.State.Final() {
		x, err = m.Redactor.Redact(ctx, x)
		if errors.Is(err, ErrPartBusy) {
			return // another worker is sending it
		}
		if err != nil {
			if ctx.Err() == nil {
				m.log().Error("scan: redaction failed; it is tried again", "error", err)
			}
			return
		}
		if m.OnRedaction != nil {
			delay := time.Duration(0)
			if !x.MessageCreatedAt.IsZero() {
				delay = x.FinishedAt.Sub(x.MessageCreatedAt)
			}
			m.OnRedaction(x, delay)
		}
	}
	if x.State == store.RedactionDone && (x.NoteState == "wanted" || x.NoteState == "intended") {
		if err := m.Redactor.claim(ctx, sc, x.ConversationID, x.PartID); err != nil {
			return // another worker is posting it, or the store failed (the sweep comes back)
		}
		if err := m.note(ctx, x); err != nil && ctx.Err() == nil {
			m.log().Error("scan: note not posted", "error", err)
		}
	}
}

// noteBody is the internal note: it names the types, never the values, and
// ends with a reference to the redacted part by which a restarted process
// finds out whether it was posted (noteRef).
func noteBody(types, partID string) string {
	var names []string
	for _, t := range strings.Split(types, ",") {
		switch t {
		case "CARD":
			names = append(names, "a payment card number")
		case "PASSWORD":
			names = append(names, "a password")
		case "SECRET":
			names = append(names, "an API key or other secret")
		default:
			names = append(names, "personal data ("+strings.ToLower(t)+")")
		}
	}
	return "<p>intercom-privacy removed a customer message from this conversation because it contained " +
		strings.Join(names, ", ") + ". Intercom shows it as \"This message was deleted\". " +
		"If you need the information, ask the customer to share it through a secure channel.</p><p>" + noteRef(partID) + "</p>"
}

// noteRef is the reference a note carries: the id of the part it explains.
func noteRef(partID string) string { return "Reference: redaction of part " + partID + "." }

// note posts the internal note exactly once. It is recorded as intended
// before the request. A note found intended (the process died while posting,
// or Intercom's answer was lost) is looked for in the conversation: found, it
// is recorded as posted; not found, it is posted now. A second note would be
// a second message in the customer's conversation history, so the check comes
// first.
func (m *Monitor) note(ctx context.Context, x store.Redaction) error {
	if x.NoteState == "intended" {
		posted, err := m.notePosted(ctx, x)
		if err != nil {
			return err
		}
		if posted {
			x.NoteState = "posted"
			return m.recordNote(ctx, x, audit.OutcomeSuccess, "found posted after a restart; not posted again")
		}
	} else {
		x.NoteState = "intended"
		if err := m.recordNote(ctx, x, audit.OutcomeSuccess, "about to post"); err != nil {
			return err
		}
	}
	_, err := m.Intercom.AddAdminNote(ctx, x.ConversationID, m.NoteAdminID, noteBody(x.Types, x.PartID))
	switch {
	case err == nil:
		x.NoteState = "posted"
		return m.recordNote(ctx, x, audit.OutcomeSuccess, "posted")
	case errors.Is(err, intercom.ErrUnknownOutcome), ctx.Err() != nil,
		errors.Is(err, intercom.ErrServer), errors.Is(err, intercom.ErrRateLimited):
		// Left intended: the sweep tries again, looking for it before posting.
		return err
	case errors.Is(err, intercom.ErrNotFound):
		x.NoteState = "failed"
		return errors.Join(err, m.recordNote(ctx, x, audit.OutcomeNoop, "conversation gone"))
	default:
		// Refused (a missing permission, an unknown admin): retrying would not
		// help; recorded, and the redaction stands.
		x.NoteState = "failed"
		return errors.Join(err, m.recordNote(ctx, x, audit.OutcomeFailure, "refused by Intercom"))
	}
}

// notePosted reports whether the conversation holds the note for x's part.
func (m *Monitor) notePosted(ctx context.Context, x store.Redaction) (bool, error) {
	c, err := m.Intercom.GetConversation(ctx, x.ConversationID, intercom.GetConversationOptions{})
	if err != nil {
		return false, err
	}
	ref := noteRef(x.PartID)
	for _, p := range c.ConversationParts.ConversationParts {
		if p.PartType == "note" && strings.Contains(textOf(p.Body), ref) {
			return true, nil
		}
	}
	return false, nil
}

func (m *Monitor) recordNote(ctx context.Context, x store.Redaction, outcome audit.Outcome, reason string) error {
	return m.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := tx.(store.Scans).PutRedaction(ctx, x); err != nil {
			return err
		}
		_, err := m.Chain.Append(ctx, tx, audit.Record{Actor: m.Actor, Action: audit.ActionScanNotePosted,
			ObjectIDs: []string{x.ConversationID, x.PartID}, Outcome: outcome, Reason: reason})
		return err
	})
}
