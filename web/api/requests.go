package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Page sizes of the request list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// requestPage is a page of the request list.
type requestPage struct {
	Items []dsar.View `json:"items"`
	// NextCursor, when set, fetches the next page (pass it back as cursor).
	NextCursor string `json:"next_cursor,omitempty"`
}

var requestStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified,
	store.StateInProgress, store.StateCompleted, store.StateDenied, store.StateCancelled}

// apiTypes maps the API's request types to the store's.
var apiTypes = map[string]store.RequestType{
	"access": store.RequestAccess, "erasure": store.RequestErasure, "access_erasure": store.RequestAccessErasure,
	"correction": store.RequestCorrection, "restriction": store.RequestRestriction, "objection": store.RequestObjection,
	"lift_restriction": store.RequestLiftRestriction, "appeal": store.RequestAppeal,
}

// linkedTypes are listed but filed against the request they are about (the
// command line's unrestrict and appeal), not through POST /requests.
var linkedTypes = map[string]bool{"lift_restriction": true, "appeal": true}

const typeChoices = "want access, erasure, access_erasure, correction, restriction, objection, lift_restriction or appeal"

func invalidParam(name, problem string) error {
	return httpx.Errorf(httpx.KindInvalid, name+": "+problem)
}

// listFilter parses the list's query parameters, refusing any other (a typo
// in a filter must not silently list everything).
func (h *Handler) listFilter(q url.Values, extra ...string) (store.RequestFilter, error) {
	known := append([]string{"state", "type", "jurisdiction", "due_before", "overdue", "assignee", "cursor", "limit"}, extra...)
	for k := range q {
		if !slices.Contains(known, k) {
			if fieldName.MatchString(k) {
				return store.RequestFilter{}, invalidParam(k, "not a parameter of this route")
			}
			return store.RequestFilter{}, httpx.Errorf(httpx.KindInvalid, "a query parameter of this route is unknown")
		}
	}
	f := store.RequestFilter{Limit: DefaultLimit}
	for _, s := range q["state"] {
		st := store.RequestState(s)
		if !slices.Contains(requestStates, st) {
			return f, invalidParam("state", "want received, awaiting_approval, verified, in_progress, completed, denied or cancelled")
		}
		f.States = append(f.States, st)
	}
	for _, s := range q["type"] {
		t, ok := apiTypes[s]
		if !ok {
			return f, invalidParam("type", typeChoices)
		}
		f.Types = append(f.Types, t)
	}
	for _, s := range q["jurisdiction"] {
		j, err := deadline.ParseJurisdiction(s)
		if err != nil {
			return f, invalidParam("jurisdiction", "not a law this tool knows (gdpr, uk_gdpr, ccpa, us_va, ...)")
		}
		f.Jurisdictions = append(f.Jurisdictions, string(j))
	}
	if s := q.Get("due_before"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return f, invalidParam("due_before", "want a date (2026-01-31) or an RFC 3339 time")
		}
		f.DueBefore = t
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.OverdueAt = h.now()
	default:
		return f, invalidParam("overdue", "want true or false")
	}
	switch a := q.Get("assignee"); {
	case a == "":
	case a == "none":
		f.Unassigned = true
	case userActor.MatchString(a):
		f.Assignee = a
	default:
		return f, invalidParam("assignee", "want user:<id> or none")
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, invalidParam("limit", fmt.Sprintf("want 1 to %d", MaxLimit))
		}
		f.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		c, err := store.ParseRequestCursor(s)
		if err != nil {
			return f, err
		}
		f.After = &c
	}
	return f, nil
}

// userActor is the audit actor of a console or API user.
var userActor = regexp.MustCompile(`^user:[A-Za-z0-9_-]{1,64}$`)

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse("2006-01-02", s)
}

// page lists one page of f, reading one more row to know whether a next page
// exists.
func (h *Handler) page(r *http.Request, f store.RequestFilter) (requestPage, error) {
	limit := f.Limit
	f.Limit = limit + 1
	rs, err := h.app.Store.ListRequests(r.Context(), f)
	if err != nil {
		return requestPage{}, err
	}
	p := requestPage{Items: make([]dsar.View, 0, min(len(rs), limit))}
	if len(rs) > limit {
		rs = rs[:limit]
		p.NextCursor = store.CursorAfter(rs[len(rs)-1]).Encode()
	}
	for _, req := range rs {
		p.Items = append(p.Items, h.dsar.ViewOf(req))
	}
	return p, nil
}

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request) {
	f, err := h.listFilter(r.URL.Query())
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	p, err := h.page(r, f)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// searchRequests finds requests by an identifier through its blind index: the
// value is hashed with the index key and never stored or logged.
func (h *Handler) searchRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := h.listFilter(q, "identifier", "kind")
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	ref, err := h.dsar.IdentifierRef(q.Get("kind"), q.Get("identifier"))
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	f.IdentifierRef = ref
	p, err := h.page(r, f)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// createBody is the body of POST /api/v1/requests.
type createBody struct {
	Type         string `json:"type"`
	Jurisdiction string `json:"jurisdiction"`
	Channel      string `json:"channel"`
	ReceivedAt   string `json:"received_at"`
	// VerifiedBy, when set, records how the identity was verified and
	// verifies the request at once.
	VerifiedBy string `json:"verified_by"`
	// VerificationLevel is "low" or "high" ("": dsar.LevelOf(VerifiedBy)).
	VerificationLevel string `json:"verification_level"`
	Identifiers       struct {
		Email      string `json:"email"`
		Phone      string `json:"phone"`
		ExternalID string `json:"external_id"`
		ContactID  string `json:"contact_id"`
	} `json:"identifiers"`
	// Set is a correction's fields and new values; Scope what an objection
	// covers.
	Set   map[string]string `json:"set"`
	Scope []string          `json:"scope"`
	// Intake is what another intake system (a web form, a help desk) did
	// before handing the request over: its channel, when the person asked,
	// and the identity check it already made. Its fields replace the
	// top-level ones of the same name, which must then be left out.
	Intake *intakeBlock `json:"intake"`
}

// intakeBlock is the "intake" object of POST /api/v1/requests.
type intakeBlock struct {
	Channel           string `json:"channel"`
	ReceivedAt        string `json:"received_at"`
	VerifiedBy        string `json:"verified_by"`
	VerificationLevel string `json:"verification_level"`
}

// applyIntake moves an intake block into b's top-level fields. The
// verification is recorded as made by the intake system: the method keeps
// its own level ("email_link" stays low), and the record says where it was
// done.
func (b *createBody) applyIntake() error {
	in := b.Intake
	if in == nil {
		return nil
	}
	if b.Channel != "" || b.ReceivedAt != "" || b.VerifiedBy != "" || b.VerificationLevel != "" {
		return invalidParam("intake", "give channel, received_at, verified_by and verification_level either in intake or at the top level, not both")
	}
	if in.Channel == "" {
		return invalidParam("intake.channel", "say how the request came in (web_form, email, phone, ...)")
	}
	if in.VerificationLevel != "" && in.VerifiedBy == "" {
		return invalidParam("intake.verification_level", "low or high, with intake.verified_by")
	}
	b.Channel, b.ReceivedAt = in.Channel, in.ReceivedAt
	if in.VerifiedBy != "" {
		b.VerificationLevel = in.VerificationLevel
		if b.VerificationLevel == "" {
			b.VerificationLevel = string(dsar.LevelOf(in.VerifiedBy))
		}
		b.VerifiedBy = in.VerifiedBy + " (checked by the intake system " + in.Channel + ")"
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request) {
	h.idempotent(w, r, func(body []byte) (int, any, error) {
		var b createBody
		if err := decodeBytes(body, &b); err != nil {
			return 0, nil, err
		}
		if err := b.applyIntake(); err != nil {
			return 0, nil, err
		}
		typ, ok := apiTypes[b.Type]
		if !ok || linkedTypes[b.Type] {
			return 0, nil, invalidParam("type", "want access, erasure, access_erasure, correction, restriction or objection")
		}
		j := deadline.GDPR
		if b.Jurisdiction != "" {
			var err error
			if j, err = deadline.ParseJurisdiction(b.Jurisdiction); err != nil {
				return 0, nil, invalidParam("jurisdiction", "not a law this tool knows (gdpr, uk_gdpr, ccpa, us_va, ...)")
			}
		}
		var received time.Time
		if b.ReceivedAt != "" {
			t, err := parseTime(b.ReceivedAt)
			if err != nil || t.After(h.now()) || t.Year() < 2000 {
				return 0, nil, invalidParam("received_at", "want a past date (2026-01-31) or RFC 3339 time")
			}
			received = t
		}
		var level store.VerificationLevel
		if b.VerificationLevel != "" {
			l, err := dsar.ParseLevel(b.VerificationLevel)
			if err != nil || b.VerifiedBy == "" {
				return 0, nil, invalidParam("verification_level", "low or high, with verified_by")
			}
			level = l
		}
		id := b.Identifiers
		req, attached, err := h.dsar.File(r.Context(), dsar.Filing{
			Submission: dsar.Submission{Type: typ, Jurisdiction: j, Channel: cmpOr(b.Channel, "api"), ReceivedAt: received,
				Identifiers: dsar.Identifiers{Emails: nonEmpty(id.Email), Phones: nonEmpty(id.Phone),
					ExternalIDs: nonEmpty(id.ExternalID), ContactIDs: nonEmpty(id.ContactID)},
				Payload: dsar.Payload{Set: b.Set, Scope: b.Scope}, VerificationLevel: level},
			VerifiedBy: b.VerifiedBy,
		})
		var filed *dsar.FiledError
		if errors.As(err, &filed) && filed.Stage == "enqueue" {
			// Filed and kept; a worker queues it when it starts.
			h.log.WarnContext(r.Context(), "request filed, queueing failed", "request_id", filed.Request.ID, "error", filed.Err.Error())
			req, err = filed.Request, nil
		}
		if err != nil {
			return 0, nil, err
		}
		status := http.StatusCreated
		if attached {
			status = http.StatusOK
		}
		return status, h.dsar.ViewOf(req), nil
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// idempotent runs a creating call once per Idempotency-Key: the first answer
// is kept, in the store, under the caller and the route, and a retry with the
// same key and body gets it again (Idempotent-Replayed: true) without acting
// a second time; the same key with another body is refused. Without the
// header the call simply runs.
func (h *Handler) idempotent(w http.ResponseWriter, r *http.Request, run func(body []byte) (int, any, error)) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindUnsupportedMedia, "send the body as application/json"))
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.max)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindTooLarge, fmt.Sprintf("the body is larger than %d bytes", h.max)))
			return
		}
		httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindMalformed, "the request body could not be read"))
		return
	}
	body := buf.Bytes()
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		status, v, err := run(body)
		if err != nil {
			httpx.Error(w, r, h.log, err)
			return
		}
		writeJSON(w, status, v)
		return
	}
	if len(key) > 255 || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		httpx.Error(w, r, h.log, invalidParam("Idempotency-Key", "want 1 to 255 printable ASCII characters"))
		return
	}
	p, _ := authz.PrincipalFrom(r.Context())
	scope := p.Actor() + " " + r.Pattern
	sum := sha256.Sum256(body)
	fp := r.Method + " " + r.URL.Path + " " + hex.EncodeToString(sum[:])
	if prev, err := h.app.Store.GetIdempotent(r.Context(), scope, key); err == nil {
		h.replay(w, r, prev, fp)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		httpx.Error(w, r, h.log, err)
		return
	}
	status, v, err := run(body)
	if err != nil {
		// Failures are not kept: a retry after fixing the cause runs again.
		httpx.Error(w, r, h.log, err)
		return
	}
	var out bytes.Buffer
	if err := jsonEncode(&out, v); err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	first, stored, err := h.app.Store.PutIdempotent(r.Context(), store.IdempotentResponse{Scope: scope, Key: key, Fingerprint: fp,
		Status: status, Response: out.Bytes(), CreatedAt: h.now()})
	if err != nil {
		h.log.WarnContext(r.Context(), "keeping the idempotent answer failed", "error", err.Error())
	} else if stored {
		// Another call with the same key finished first: its answer wins.
		h.replay(w, r, first, fp)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request, prev store.IdempotentResponse, fp string) {
	if prev.Fingerprint != fp {
		httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindIdempotency, "idempotency key reused"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(prev.Response)
}

// requestDetail is GET /api/v1/requests/{id}: the request and its timeline.
type requestDetail struct {
	Request  dsar.View    `json:"request"`
	Timeline []dsar.Event `json:"timeline"`
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) {
	v, err := h.dsar.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	tl, err := h.dsar.Timeline(r.Context(), v.ID)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, requestDetail{Request: v, Timeline: tl})
}

func (h *Handler) listNotes(w http.ResponseWriter, r *http.Request) {
	ns, err := h.dsar.Notes(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []dsar.Note `json:"items"`
	}{ns})
}

// action decodes the body of an action into v (an empty body is an empty
// object), runs it and answers the request's view.
func (h *Handler) action(w http.ResponseWriter, r *http.Request, v any, run func() (store.Request, error)) {
	if v != nil {
		if err := h.readJSON(r, v); err != nil {
			httpx.Error(w, r, h.log, err)
			return
		}
	}
	req, err := run()
	var filed *dsar.FiledError
	if errors.As(err, &filed) && filed.Stage == "enqueue" {
		h.log.WarnContext(r.Context(), "request changed, queueing failed", "request_id", filed.Request.ID, "error", filed.Err.Error())
		req, err = filed.Request, nil
	}
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, h.dsar.ViewOf(req))
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	var b struct {
		VerifiedBy        string `json:"verified_by"`
		VerificationLevel string `json:"verification_level"`
	}
	h.action(w, r, &b, func() (store.Request, error) {
		if strings.TrimSpace(b.VerifiedBy) == "" {
			return store.Request{}, invalidParam("verified_by", "say how the identity was verified (no personal data)")
		}
		level := dsar.LevelOf(b.VerifiedBy)
		if b.VerificationLevel != "" {
			l, err := dsar.ParseLevel(b.VerificationLevel)
			if err != nil {
				return store.Request{}, invalidParam("verification_level", "low or high")
			}
			level = l
		}
		req, err := h.dsar.VerifyAt(r.Context(), r.PathValue("id"), b.VerifiedBy, level)
		if err == nil && req.State == store.StateVerified && h.dsar.Enqueue != nil {
			if err := h.dsar.Enqueue(r.Context(), req.ID); err != nil {
				return req, &dsar.FiledError{Request: req, Stage: "enqueue", Err: err}
			}
		}
		return req, err
	})
}

func (h *Handler) extend(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Reason string `json:"reason"`
		By     int    `json:"by"`
	}
	h.action(w, r, &b, func() (store.Request, error) {
		if strings.TrimSpace(b.Reason) == "" {
			return store.Request{}, invalidParam("reason", "required: the person must be told why")
		}
		if b.By < 0 || b.By > 90 {
			return store.Request{}, invalidParam("by", "want 0 (the most the law allows) to 90")
		}
		return h.dsar.Extend(r.Context(), r.PathValue("id"), b.By, b.Reason)
	})
}

func (h *Handler) deny(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Reason string `json:"reason"`
	}
	h.action(w, r, &b, func() (store.Request, error) { return h.dsar.Deny(r.Context(), r.PathValue("id"), b.Reason) })
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, h.optionalEmpty(r), func() (store.Request, error) { return h.dsar.Cancel(r.Context(), r.PathValue("id")) })
}

func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	h.action(w, r, h.optionalEmpty(r), func() (store.Request, error) { return h.dsar.Approve(r.Context(), r.PathValue("id")) })
}

// optionalEmpty is the body of an action that takes none: nothing to decode
// when the body is empty, else an empty object (any member refused).
func (h *Handler) optionalEmpty(r *http.Request) any {
	if r.ContentLength == 0 {
		return nil
	}
	return &struct{}{}
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Reason string `json:"reason"`
	}
	h.action(w, r, &b, func() (store.Request, error) { return h.dsar.Reject(r.Context(), r.PathValue("id"), b.Reason) })
}

func (h *Handler) assign(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Assignee *string `json:"assignee"`
	}
	h.action(w, r, &b, func() (store.Request, error) {
		if b.Assignee == nil {
			return store.Request{}, invalidParam("assignee", `required: user:<id>, or "" to unassign`)
		}
		return h.dsar.Assign(r.Context(), r.PathValue("id"), *b.Assignee)
	})
}

func (h *Handler) note(w http.ResponseWriter, r *http.Request) {
	h.idempotent(w, r, func(body []byte) (int, any, error) {
		var b struct {
			Text string `json:"text"`
		}
		if err := decodeBytes(body, &b); err != nil {
			return 0, nil, err
		}
		n, err := h.dsar.AddNote(r.Context(), r.PathValue("id"), b.Text)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, n, nil
	})
}

func (h *Handler) downloadPackage(w http.ResponseWriter, r *http.Request) {
	// Built in memory first: a package that fails half-way must not reach
	// the client as a truncated zip with a 200.
	var buf bytes.Buffer
	info, err := h.dsar.WritePackage(r.Context(), r.PathValue("id"), &buf)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="access-package.zip"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("ETag", `"sha256-`+info.SHA256+`"`)
	_, _ = w.Write(buf.Bytes())
}
