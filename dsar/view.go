package dsar

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// View is a request as the command line (`dsar show --json`), the API and the
// console show it: states, dates, counts and Intercom ids. The identifiers
// (encrypted) and the subject reference are left out, so a View never holds
// personal data.
type View struct {
	ID              string           `json:"id"`
	Type            string           `json:"type"`
	Jurisdiction    string           `json:"jurisdiction"`
	Channel         string           `json:"channel"`
	State           string           `json:"state"`
	ReceivedAt      time.Time        `json:"received_at"`
	AckDueAt        *time.Time       `json:"ack_due_at,omitempty"`
	DueAt           time.Time        `json:"due_at"`
	ExtendedDueAt   *time.Time       `json:"extended_due_at,omitempty"`
	ExtensionReason string           `json:"extension_reason,omitempty"`
	CompletedAt     *time.Time       `json:"completed_at,omitempty"`
	DenialReason    string           `json:"denial_reason,omitempty"`
	Deadline        *deadline.Status `json:"deadline,omitempty"`
	Paused          string           `json:"paused,omitempty"`
	Outcome         json.RawMessage  `json:"outcome,omitempty"`
	Steps           []StepView       `json:"steps,omitempty"`
	// EarlierRequests are the requests the same person filed within the repeat
	// window before this one (GDPR Art. 12(5)), for the operator to judge.
	EarlierRequests []string `json:"earlier_requests_in_window,omitempty"`
	// Notices are the notices owed to the recipients of the data.
	Notices []NoticeView `json:"recipient_notices,omitempty"`
	// FiledBy, ApprovedBy and Assignee are audit actors ("user:<id>",
	// "cli:<os user>"); Approval is "required" while an erasure waits for a
	// second privacy officer, "approved" after.
	// VerificationLevel is "low" or "high" once verified (CCPA Regs §7062).
	VerificationLevel string `json:"verification_level,omitempty"`
	FiledBy           string `json:"filed_by,omitempty"`
	Approval          string `json:"approval,omitempty"`
	ApprovedBy        string `json:"approved_by,omitempty"`
	Assignee          string `json:"assignee,omitempty"`
	// Linked is the request an appeal or the lifting of a restriction is about.
	Linked string `json:"linked_request,omitempty"`
	// Limits are the restrictions and objections in force for the person
	// (Show only): every request of a restricted person shows it.
	Limits []Limit `json:"limits,omitempty"`
	// Agent is the signed permission of the authorised agent who filed the
	// request for the person (CCPA Regs §7063), Show only; nil otherwise.
	Agent *AgentView `json:"authorised_agent,omitempty"`
}

// StepView is one step of a request as shown: no personal data, only states,
// counts and Intercom ids.
type StepView struct {
	Name       string          `json:"name"`
	State      string          `json:"state"`
	Attempts   int             `json:"attempts"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// NoticeView is a notice to a recipient of the data as shown (`notices list
// --json`, a request's view).
type NoticeView struct {
	ID            string    `json:"id"`
	RequestID     string    `json:"request_id"`
	Recipient     string    `json:"recipient"`
	Event         string    `json:"event"`
	Method        string    `json:"method"`
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	FinishedAt    time.Time `json:"finished_at,omitzero"`
	// MessageID and MessageState name an email notice's outbox message and
	// its state (`notices list --json`, when a mail server sent it).
	MessageID    string `json:"message_id,omitempty"`
	MessageState string `json:"message_state,omitempty"`
}

// NoticeViewOf returns the view of n.
func NoticeViewOf(n store.RecipientNotice) NoticeView {
	v := NoticeView{ID: n.ID, RequestID: n.RequestID, Recipient: n.Recipient, Event: n.Event, Method: n.Method,
		State: string(n.State), Attempts: n.Attempts, LastError: n.LastError, Reason: n.Reason, CreatedAt: n.CreatedAt, FinishedAt: n.FinishedAt}
	if n.State == store.NoticePending {
		v.NextAttemptAt = n.NextAttemptAt
	}
	return v
}

// Due is the date the request must be answered by: the extended one if it was
// extended.
func (v View) Due() time.Time {
	if v.ExtendedDueAt != nil {
		return *v.ExtendedDueAt
	}
	return v.DueAt
}

// Flag returns "OVERDUE", "due soon" or "" for a request still open.
func (v View) Flag() string {
	if v.Deadline == nil {
		return ""
	}
	switch v.Deadline.State {
	case deadline.Overdue:
		return "OVERDUE"
	case deadline.DueSoon:
		return "due soon"
	}
	return ""
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ViewOf returns the view of r without its steps: the list's row. The clock is
// read now for a request still open.
func (s *Service) ViewOf(r store.Request) View {
	v := View{
		ID: r.ID, Type: string(r.Type), Jurisdiction: r.Jurisdiction, Channel: r.Channel, State: string(r.State),
		ReceivedAt: r.ReceivedAt, AckDueAt: timePtr(r.AckDueAt), DueAt: r.DueAt, ExtendedDueAt: timePtr(r.ExtendedDueAt),
		ExtensionReason: r.ExtensionReason, CompletedAt: timePtr(r.CompletedAt), DenialReason: r.DenialReason, Outcome: r.Outcome,
		VerificationLevel: string(r.VerificationLevel), FiledBy: r.FiledBy, Approval: r.Approval, ApprovedBy: r.ApprovedBy, Assignee: r.Assignee, Linked: r.LinkedRequestID,
	}
	if !Finished(r.State) {
		if st, err := s.Status(r); err == nil {
			v.Deadline = &st
		}
	}
	return v
}

// Show returns the full view of request id: ViewOf with its steps (bookkeeping
// rows hidden), its pause reason, the same person's earlier requests in the
// repeat window and the notices to the recipients. ErrNotFound when there is no
// such request.
func (s *Service) Show(ctx context.Context, id string) (View, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.ShowRequest(ctx, r)
}

// ShowRequest is Show for a request already read.
func (s *Service) ShowRequest(ctx context.Context, r store.Request) (View, error) {
	v := s.ViewOf(r)
	steps, err := s.Store.Steps(ctx, r.ID)
	if err != nil {
		return v, err
	}
	earlier, err := s.EarlierRequests(ctx, r)
	if err != nil {
		return v, err
	}
	for _, e := range earlier {
		v.EarlierRequests = append(v.EarlierRequests, e.ID)
	}
	if v.Limits, err = s.Limits(ctx, r); err != nil {
		return v, err
	}
	if v.Agent, err = s.AgentOf(ctx, r.ID); err != nil {
		return v, err
	}
	notices, err := s.Store.NoticesByRequest(ctx, r.ID)
	if err != nil {
		return v, err
	}
	for _, n := range notices {
		v.Notices = append(v.Notices, NoticeViewOf(n))
	}
	for _, st := range steps {
		if st.Name == "_pause" && st.State == store.StepPending {
			var d struct{ Reason string }
			_ = json.Unmarshal(st.Detail, &d)
			v.Paused = d.Reason
		}
		if strings.HasPrefix(st.Name, "_") {
			continue
		}
		v.Steps = append(v.Steps, StepView{Name: st.Name, State: string(st.State), Attempts: st.Attempts,
			StartedAt: timePtr(st.StartedAt), FinishedAt: timePtr(st.FinishedAt), Detail: st.Detail})
	}
	return v, nil
}
