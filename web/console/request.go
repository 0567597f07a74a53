package console

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// requestPage is request.html: one request with everything the team needs
// to work it, and the actions the signed-in role may take.
type requestPage struct {
	base
	ID, Type, Law, Channel, State string
	Received, Completed           time.Time
	DenialReason                  string
	Clock                         clockView
	// ShowIdentifiers is set for the roles that may read the identifiers
	// (never an auditor); Identifiers are then decrypted, or IdentifiersGone
	// says why they cannot be (the key was destroyed by the erasure).
	ShowIdentifiers bool
	Identifiers     []identifierRow
	IdentifiersGone string
	Contacts        []contactRow
	// Resolved is set once the resolve step is done.
	Resolved       bool
	ResolveNotices []string
	Steps          []stepRow
	Paused         string
	Timeline       []timelineRow
	Earlier        []string
	Package        *packageView
	Agent          *agentView
	Erasure        *erasureView
	Recipients     []recipientRow
	Notes          *notesView
	Actions        actions
	// FiledBy is the audit actor who filed the request; FiledByMe is set
	// when that is the signed-in user. AwaitingApproval: an erasure waits
	// for a second person (four eyes).
	FiledBy          string
	FiledByMe        bool
	AwaitingApproval bool
	// Live is set while the request's steps run (verified or in
	// progress): the page then loads progress.js, which polls Progress
	// and updates the steps in place (no reload: a form being typed in is
	// left alone); without JavaScript the page has a link to reload it.
	Live     bool
	Progress string
}

// clockView is the request's two clocks: acknowledgement and answer.
type clockView struct {
	AckDue, Due, OriginalDue, MaxExtendedDue time.Time
	Extended                                 bool
	ExtensionReason                          string
	Remaining                                string
	Overdue                                  bool
	// ExtendUnit is "months" or "days"; ExtendMax the most the law allows
	// (0: no extension).
	ExtendUnit string
	ExtendMax  int
}

type identifierRow struct{ Kind, Value string }

type contactRow struct {
	ID, Role, Status, MergedInto string
	MatchedBy                    string
}

type stepRow struct {
	Name, State        string
	Attempts           int
	Started, Finished  time.Time
	Counts             string
	Running, Completed bool
}

type timelineRow struct {
	Seq                            int64
	Time                           time.Time
	Actor, Action, Outcome, Reason string
	Counts                         string
}

type packageView struct {
	Files             int
	Size              int64
	SHA256            string
	Expires           time.Time
	Expired           bool
	Counts            string
	CanDownload       bool
	DownloadForbidden bool
}

type erasureView struct {
	Result   string
	Systems  []string
	Counts   string
	Evidence string
	Notices  []string
	Recovery string
}

type recipientRow struct{ Recipient, Method, State, ID string }

// notesView is the request's notes and assignee (nil for the roles that do
// not read notes).
type notesView struct {
	Assignee string
	// AssigneeName is the assignee's email and role when the account is
	// known (the roles reading notes read identifiers too).
	AssigneeName string
	Items        []dsar.Note
	CanEdit      bool
	// Assignees are the choices of the assign form: the active accounts
	// that may work requests (nil when the console has no users service:
	// the form then takes a typed user id).
	Assignees []assigneeOption
}

// assigneeOption is one choice of the assign form.
type assigneeOption struct {
	Value, Label string
	Selected     bool
}

// actions are the forms the page shows: each is offered only when the
// state allows it and the role may post to its route.
type actions struct {
	Verify, Extend, Deny, Cancel, Approve bool
}

// requestPage shows one request.
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := h.DSAR.Get(ctx, r.PathValue("id"))
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	v, err := h.DSAR.ShowRequest(ctx, req)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	me := principal(r)
	role := me.Role
	p := &requestPage{base: h.base(r, "Request "+req.ID, routeRequest),
		ID: req.ID, Type: typeLabel(req.Type), Channel: req.Channel, State: strings.ReplaceAll(string(req.State), "_", " "),
		Received: req.ReceivedAt, Completed: req.CompletedAt, DenialReason: req.DenialReason, Law: req.Jurisdiction,
		FiledBy: req.FiledBy, Earlier: v.EarlierRequests}
	if rules, err := deadline.RulesFor(deadline.Jurisdiction(req.Jurisdiction)); err == nil {
		p.Law = rules.Name
	}
	if err := h.fillClock(p, req); err != nil {
		h.failErr(w, r, err)
		return
	}
	if slices.Contains(workers, role) {
		p.ShowIdentifiers = true
		ids, err := h.DSAR.Identifiers(ctx, req)
		switch {
		case errors.Is(err, vault.ErrShredded):
			p.IdentifiersGone = "The identifiers can no longer be read: the request's key was destroyed when the request ended (crypto-shredding)."
		case err != nil:
			h.failErr(w, r, err)
			return
		default:
			p.Identifiers = identifierRows(ids)
		}
	}
	h.fillSteps(p, req, v.Steps, role)
	if live(req.State) {
		p.Live, p.Progress, p.Script = true, "/requests/"+req.ID+"/progress", h.assets.url["progress.js"]
	}
	if v.Paused != "" {
		p.Paused = v.Paused + ": " + dsar.Pause{Reason: v.Paused}.Fix()
	}
	events, err := h.DSAR.Timeline(ctx, req.ID)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	for _, e := range events {
		p.Timeline = append(p.Timeline, timelineRow{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Action: e.Action,
			Outcome: e.Outcome, Reason: e.Reason, Counts: formatCounts(e.Counts)})
	}
	for _, n := range v.Notices {
		p.Recipients = append(p.Recipients, recipientRow{Recipient: n.Recipient, Method: n.Method, State: n.State, ID: n.ID})
	}
	// Notes may name the person: the roles that see identifiers see them.
	if slices.Contains(workers, role) {
		notes, err := h.DSAR.Notes(ctx, req.ID)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		p.Notes = &notesView{Assignee: req.Assignee, Items: notes, CanEdit: h.allowed(role, routeNote)}
		if err := h.fillAssignees(r, p.Notes); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	open := !dsar.Finished(req.State)
	waiting := req.State == store.StateAwaitingApproval
	mine := req.FiledBy == me.Actor()
	p.Actions = actions{
		Verify:  (req.State == store.StateReceived || req.VerificationLevel == store.VerificationLow && !dsar.Finished(req.State)) && h.allowed(role, routeVerify),
		Extend:  open && !p.Clock.Extended && p.Clock.ExtendMax > 0 && h.allowed(role, routeExtend),
		Deny:    open && req.State != store.StateInProgress && h.allowed(role, routeDeny),
		Cancel:  (req.State == store.StateReceived || req.State == store.StateVerified || waiting) && h.allowed(role, routeCancel),
		Approve: waiting && !mine && h.allowed(role, routeApprove),
	}
	p.AwaitingApproval, p.FiledByMe = waiting, mine
	if v.Agent != nil {
		p.Agent = &agentView{AgentView: v.Agent, CanRead: h.allowed(role, routeAgentDoc),
			CanDecide: open && v.Agent.State == string(store.AgentPending) && h.allowed(role, routeAgentDecide)}
	}
	render(h, w, r, http.StatusOK, h.views.request, p)
}

// live reports whether a request in state s has steps running or about to:
// its page follows their progress.
func live(s store.RequestState) bool {
	return s == store.StateVerified || s == store.StateInProgress
}

// progressAnswer is what GET /requests/{id}/progress answers (JSON): the
// request's state and its steps as the page's table shows them. Counts only,
// never an identifier: every role that may open the page may read it.
type progressAnswer struct {
	State  string         `json:"state"`
	Live   bool           `json:"live"`
	Paused string         `json:"paused,omitempty"`
	Done   int            `json:"done"`
	Steps  []progressStep `json:"steps"`
}

type progressStep struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Finished string `json:"finished"`
	Counts   string `json:"counts"`
}

// requestProgress answers the request's progress as JSON, for the request
// page's script (progress.js); errors as problems.
func (h *Handler) requestProgress(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := h.DSAR.Get(ctx, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, h.Logger, err)
		return
	}
	v, err := h.DSAR.ShowRequest(ctx, req)
	if err != nil {
		httpx.Error(w, r, h.Logger, err)
		return
	}
	var p requestPage
	h.fillSteps(&p, req, v.Steps, principal(r).Role)
	a := progressAnswer{State: strings.ReplaceAll(string(req.State), "_", " "), Live: live(req.State), Steps: []progressStep{}}
	if v.Paused != "" {
		a.Paused = v.Paused + ": " + dsar.Pause{Reason: v.Paused}.Fix()
	}
	for _, s := range p.Steps {
		if s.Completed {
			a.Done++
		}
		a.Steps = append(a.Steps, progressStep{Name: s.Name, State: s.State, Attempts: s.Attempts, Finished: fmtDateTime(s.Finished), Counts: s.Counts})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

// fillClock reads both clocks of req now.
func (h *Handler) fillClock(p *requestPage, req store.Request) error {
	c, err := h.DSAR.Clock(req)
	if err != nil {
		return err
	}
	p.Clock = clockView{AckDue: c.AckDue, Due: c.Due, OriginalDue: c.OriginalDue, MaxExtendedDue: c.MaxExtendedDue,
		Extended: c.Extended, ExtensionReason: c.ExtensionReason}
	if rules, err := deadline.RulesFor(c.Jurisdiction); err == nil {
		p.Clock.ExtendUnit, p.Clock.ExtendMax = strings.ReplaceAll(string(rules.Extension.Unit), "_", " "), rules.Extension.N
	}
	if !dsar.Finished(req.State) {
		now := h.now()
		p.Clock.Remaining = fmtRemaining(c.Due.Sub(now))
		p.Clock.Overdue = now.After(c.Due)
	}
	return nil
}

// fillSteps lists the request's steps in plan order (bookkeeping rows
// hidden), the contacts the resolve step matched and why, the package and the
// erasure's evidence.
func (h *Handler) fillSteps(p *requestPage, req store.Request, steps []dsar.StepView, role authz.Role) {
	byName := map[string]dsar.StepView{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	for _, name := range dsar.Plan(req.Type) {
		s, ok := byName[name]
		row := stepRow{Name: strings.ReplaceAll(name, "_", " "), State: "not started"}
		if ok {
			row.State, row.Attempts = s.State, s.Attempts
			if s.StartedAt != nil {
				row.Started = *s.StartedAt
			}
			if s.FinishedAt != nil {
				row.Finished = *s.FinishedAt
			}
			row.Counts = detailCounts(s.Detail)
			row.Completed = s.State == string(store.StepDone)
			row.Running = !row.Completed && s.StartedAt != nil
		}
		p.Steps = append(p.Steps, row)
	}
	if s, ok := byName[dsar.StepResolve]; ok && len(s.Detail) > 0 {
		p.Resolved = s.State == string(store.StepDone)
		var d struct {
			Contacts []struct {
				ID         string   `json:"id"`
				Role       string   `json:"role"`
				Status     string   `json:"status"`
				MergedInto string   `json:"merged_into"`
				MatchedBy  []string `json:"matched_by"`
			} `json:"contacts"`
			Notices []string `json:"notices"`
		}
		if json.Unmarshal(s.Detail, &d) == nil {
			for _, c := range d.Contacts {
				p.Contacts = append(p.Contacts, contactRow{ID: c.ID, Role: c.Role, Status: strings.ReplaceAll(c.Status, "_", " "),
					MergedInto: c.MergedInto, MatchedBy: strings.ReplaceAll(strings.Join(c.MatchedBy, ", "), "_", " ")})
			}
			for _, code := range d.Notices {
				p.ResolveNotices = append(p.ResolveNotices, noticeText(code))
			}
		}
	}
	if s, ok := byName[dsar.StepPackage]; ok && len(s.Detail) > 0 {
		var d dsar.PackageDetail
		if json.Unmarshal(s.Detail, &d) == nil {
			pv := &packageView{Files: d.Files, Size: d.Size, SHA256: d.SHA256, Expires: d.ExpiresAt,
				Expired: h.now().After(d.ExpiresAt), Counts: formatCounts(d.Counts)}
			pv.CanDownload = !pv.Expired && h.allowed(role, routePackage)
			pv.DownloadForbidden = !h.allowed(role, routePackage)
			p.Package = pv
		}
	}
	if (req.Type == store.RequestErasure || req.Type == store.RequestAccessErasure) && len(req.Outcome) > 0 {
		var o dsar.Outcome
		if json.Unmarshal(req.Outcome, &o) == nil {
			ev := &erasureView{Result: strings.ReplaceAll(o.Result, "_", " "), Systems: o.Systems, Counts: formatCounts(o.Counts),
				Evidence: o.EvidenceSHA256}
			for _, n := range o.Notices {
				ev.Notices = append(ev.Notices, n.Text)
			}
			if slices.Contains(o.Systems, "intercom") {
				ev.Recovery = dsar.RecoveryWindowNotice
			}
			p.Erasure = ev
		}
	}
}

// noticeText is the sentence of a resolution notice's code (the code itself
// when unknown).
func noticeText(code string) string {
	for _, n := range []dsar.Notice{dsar.NoticeArchivedByID, dsar.NoticeNothingFound, dsar.NoticeContactIDNotFound} {
		if n.Code == code {
			return n.Text
		}
	}
	return strings.ReplaceAll(code, "_", " ")
}

// identifierRows lists the identifiers by kind.
func identifierRows(ids dsar.Identifiers) []identifierRow {
	var out []identifierRow
	add := func(kind string, vs []string) {
		for _, v := range vs {
			out = append(out, identifierRow{Kind: kind, Value: v})
		}
	}
	add("Email", ids.Emails)
	add("Phone", ids.Phones)
	add("External id", ids.ExternalIDs)
	add("Intercom contact id", ids.ContactIDs)
	return out
}

func typeLabel(t store.RequestType) string {
	for _, o := range allTypeOptions {
		if o.Value == string(t) {
			return o.Label
		}
	}
	return string(t)
}

// detailCounts renders the counts of a step's detail.
func detailCounts(detail json.RawMessage) string {
	var d struct {
		Counts   map[string]int64  `json:"counts"`
		Contacts []json.RawMessage `json:"contacts"`
		Skipped  string            `json:"skipped"`
	}
	if json.Unmarshal(detail, &d) != nil {
		return ""
	}
	if d.Skipped != "" {
		return "skipped: " + d.Skipped
	}
	if d.Counts == nil && d.Contacts != nil {
		return "contacts " + strconv.Itoa(len(d.Contacts))
	}
	return formatCounts(d.Counts)
}

// formatCounts renders counts as "kind n, kind n" (zeros left out).
func formatCounts(c map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		if c[k] != 0 {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+strconv.FormatInt(c[k], 10))
		}
	}
	return strings.Join(parts, ", ")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
