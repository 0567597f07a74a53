// Package intake is the public side of the product (issue #14): the request
// form at /privacy/request, for anyone, without signing in, and the
// verification of the person's e-mail address by a one-time link
// (/privacy/verify/{token}) or code.
//
// Data flow: a posted form is checked (type, address, optional phone and
// jurisdiction; a honeypot field; a per-network-address limit), then one
// store transaction writes a pending intake (the identifiers encrypted under
// a key of the intake's own, the address as a blind index, the link token
// and the code as digests, 24 hours to live) and the verification message to
// the outbox (package mail), which the workers send. The page answers the
// same whatever the address: nothing about Intercom is looked up before the
// person proves they read the address's mail, so the form cannot tell anyone
// who is a customer. Following the link (a page with a button: a mail
// scanner fetching the link confirms nothing) or typing the code in the
// browser that posted the form files the request with dsar.Service.Submit,
// recorded as verified with the evidence (method, and how many Intercom
// contacts the address matched: CCPA §7062's lower level, a reasonable
// degree of certainty) in the same transaction that settles the intake and
// destroys its key. Tokens and codes are single use, expire, and wrong codes
// are counted (5 at most); unverified intakes are bounded in number overall
// and per address, and expire.
//
// Every page is rendered from embedded html/template files into a buffer
// before it is written; http.CrossOriginProtection refuses cross-site posts;
// the pages need no JavaScript and send a strict Content-Security-Policy,
// no-referrer (a token in the URL never leaks) and no-store.
package intake

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Options are what the handler needs. Store, Vault, DSAR, Outbox, Templates
// and Config are required.
type Options struct {
	Store     store.Store
	Vault     *vault.Vault
	DSAR      *dsar.Service
	Outbox    *mail.Outbox
	Templates *messages.Templates
	Config    *config.Config
	// PublicURL is the base of the link in the verification message.
	PublicURL string
	// Lang is the language of the messages ("" is en).
	Lang   string
	Now    func() time.Time
	Logger *slog.Logger
	// Matches counts the Intercom contacts with an address, after the person
	// proved they read its mail (the evidence of the verification level);
	// nil: not checked, and the evidence says so.
	Matches func(ctx context.Context, email string) (int, error)
	// Filed is told of a request filed (to queue its job); Kick of a message
	// written (to drain the outbox at once). Both optional.
	Filed func(ctx context.Context, r store.Request)
	Kick  func(ctx context.Context)
	// Contacts returns the Intercom contacts of an address (their phone and
	// custom attributes), for the step to the higher verification level
	// (stepup.go); nil: the step is not offered.
	Contacts func(ctx context.Context, email string) ([]intercom.Contact, error)
	// TTL is how long a link and its code work (0: 24 hours).
	TTL time.Duration
}

// Paths served.
const (
	PathRequest = "/privacy/request"
	PathVerify  = "/privacy/verify"
	PathStatic  = "/privacy/static/"
	cookieName  = "privacy_intake"
	maxForm     = 16 << 10
	maxAttempts = 5
)

// Handler serves the public pages.
type Handler struct {
	o       Options
	pages   map[string]*template.Template
	static  fs.FS
	perIP   *limiter
	verifyL *limiter
	cfg     config.Intake
}

//go:embed templates/*.html static/*
var files embed.FS

// New checks the options and parses the pages.
func New(o Options) (*Handler, error) {
	if o.Store == nil || o.Vault == nil || o.DSAR == nil || o.Outbox == nil || o.Templates == nil || o.Config == nil {
		return nil, errors.New("intake: Store, Vault, DSAR, Outbox, Templates and Config are required (is a mail server configured?)")
	}
	h := &Handler{o: o, pages: map[string]*template.Template{}, cfg: o.Config.Intake}
	if len(h.cfg.Types) == 0 {
		h.cfg.Types = []string{"access", "erasure"}
	}
	for _, t := range h.cfg.Types {
		if _, ok := typeLabels[t]; !ok {
			return nil, fmt.Errorf("intake: intake.types: %q is not one of access, erasure, correction, opt_out", shorten(t))
		}
		if t == "correction" {
			// A correction needs the fields and their new values, which this
			// form does not collect yet; the API files corrections.
			return nil, errors.New("intake: intake.types: correction is not offered on the form yet (it needs the values to correct); file corrections through the API or the CLI")
		}
	}
	if len(h.cfg.Jurisdictions) == 0 {
		h.cfg.Jurisdictions = []string{"gdpr", "ccpa"}
	}
	for _, j := range h.cfg.Jurisdictions {
		if _, err := deadline.ParseJurisdiction(j); err != nil {
			return nil, fmt.Errorf("intake: intake.jurisdictions: %w", err)
		}
	}
	if h.cfg.DefaultJurisdiction == "" {
		h.cfg.DefaultJurisdiction = h.cfg.Jurisdictions[0]
	}
	if !slices.Contains(h.cfg.Jurisdictions, h.cfg.DefaultJurisdiction) {
		return nil, errors.New("intake: intake.default_jurisdiction must be one of intake.jurisdictions")
	}
	h.cfg.MaxPending = cmp.Or(h.cfg.MaxPending, 1000)
	h.cfg.PerEmail = cmp.Or(h.cfg.PerEmail, 3)
	h.cfg.PerClient = cmp.Or(h.cfg.PerClient, 10)
	h.cfg.Title = cmp.Or(h.cfg.Title, "Your privacy request")
	h.cfg.Organisation = cmp.Or(h.cfg.Organisation, o.Config.Access.Controller)
	h.perIP = h.newLimiter(bucketForm, h.cfg.PerClient, time.Hour)
	h.verifyL = h.newLimiter(bucketVerify, 30, time.Hour)
	for _, p := range []string{"form", "submitted", "confirm", "verified", "problem", "download", "stepup", "higher"} {
		t, err := template.ParseFS(files, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("intake: page %s: %w", p, err)
		}
		h.pages[p] = t
	}
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	h.static = sub
	return h, nil
}

var typeLabels = map[string]string{
	"access":     "Send me a copy of the personal data you hold about me",
	"erasure":    "Delete the personal data you hold about me",
	"correction": "Correct personal data about me that is wrong",
	"opt_out":    "Stop using my data for marketing, and do not sell or share it",
}

func (h *Handler) now() time.Time {
	if h.o.Now != nil {
		return h.o.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (h *Handler) ttl() time.Duration { return cmp.Or(h.o.TTL, 24*time.Hour) }

func (h *Handler) logger() *slog.Logger {
	if h.o.Logger != nil {
		return h.o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Handler returns the public pages behind cross-origin protection and the
// security headers. Mount it at /privacy/.
func (h *Handler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathRequest, h.form)
	mux.HandleFunc("POST "+PathRequest, h.submit)
	mux.HandleFunc("POST "+PathVerify, h.verifyCode)
	mux.HandleFunc("GET "+PathVerify+"/{token}", h.confirm)
	mux.HandleFunc("POST "+PathVerify+"/{token}", h.verifyLink)
	mux.HandleFunc("POST "+PathStepUp, h.stepUp)
	mux.HandleFunc("GET "+PathHigher, h.higher)
	mux.HandleFunc("GET "+PathDownload+"/{token}", h.download)
	mux.HandleFunc("POST "+PathDownload+"/{token}/code", h.sendCode)
	mux.HandleFunc("POST "+PathDownload+"/{token}", h.deliver)
	mux.Handle("GET "+PathStatic, http.StripPrefix(PathStatic, http.FileServerFS(h.static)))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.problem(w, r, httpx.KindCrossOrigin, "Request refused", "This form can only be sent from our own page. Open it and try again.")
	}))
	return headers(cop.Handler(mux))
}

// headers are httpx's, with the policy of a page without script.
var headers = httpx.Headers(httpx.PagePolicy)

// page is what every page's layout shows.
type page struct {
	Title, Org, Contact string
	// form
	Intro                  string
	Types, Jurisdictions   []choice
	FirstType              string
	Email, Phone           string
	Errors                 []fieldError
	EmailError, PhoneError bool
	// the authorised agent's part (agent.go) and the step-up (stepup.go)
	Agent                 bool
	AgentName, AgentEmail string
	AgentErrors           map[string]bool
	StepUp                stepUpPage
	// confirm
	Token string
	// verified, download
	Due, LowerLevel string
	Sent            bool
	// problem
	Heading, Message string
}

type choice struct {
	Value, Label string
	Checked      bool
}

type fieldError struct{ Field, Text string }

func (h *Handler) base(title string) page {
	return page{Title: title, Org: h.cfg.Organisation, Contact: h.o.Config.Access.ContactDPO}
}

// render writes a page from a buffer, so a failing template never sends half
// a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		// No page can be trusted to render now: a problem, logged.
		httpx.Error(w, r, h.logger(), fmt.Errorf("intake: rendering the %s page: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// problem answers a refusal through web/httpx's table (httpx.Respond): the
// problem page, with a heading and message written for the person, for a
// browser; application/problem+json of kind k for a client asking for JSON.
// The caller logs what it must (by class, never a value).
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, k httpx.Kind, heading, msg string) {
	httpx.Respond(w, r, nil, httpx.Explain(k, heading, msg, nil), h.errorPage)
}

// errorPage is the public pages' HTML error page (httpx.ErrorPage).
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	p := h.base(heading)
	p.Heading, p.Message = heading, msg
	h.render(w, r, status, "problem", p)
}

func (h *Handler) formPage(f Form, errs []fieldError) page {
	p := h.base(h.cfg.Title)
	p.Intro, p.Email, p.Phone, p.Errors = h.cfg.Intro, f.Email, f.Phone, errs
	p.Agent, p.AgentName, p.AgentEmail, p.AgentErrors = f.Agent, f.AgentName, f.AgentEmail, map[string]bool{}
	for _, t := range h.cfg.Types {
		p.Types = append(p.Types, choice{Value: t, Label: typeLabels[t], Checked: t == f.Type})
	}
	p.FirstType = h.cfg.Types[0]
	sel := cmp.Or(f.Jurisdiction, h.cfg.DefaultJurisdiction)
	for _, j := range h.cfg.Jurisdictions {
		label := j
		if info, err := jurisdiction.For(deadline.Jurisdiction(j)); err == nil {
			label = info.Region + " (" + info.Clock.Name + ")"
		}
		p.Jurisdictions = append(p.Jurisdictions, choice{Value: j, Label: label, Checked: j == sel})
	}
	for _, e := range errs {
		p.EmailError = p.EmailError || e.Field == "email"
		p.PhoneError = p.PhoneError || e.Field == "phone"
		p.AgentErrors[e.Field] = true
	}
	return p
}

func (h *Handler) form(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "form", h.formPage(Form{}, nil))
}

// Form is a posted request form.
type Form struct {
	Type, Email, Phone, Jurisdiction string
	// Honeypot is the hidden field a person leaves empty.
	Honeypot string
	// Agent is set when an authorised agent files for the person (agent.go):
	// their name and address, and the signed permission uploaded (Upload),
	// or why it was refused (UploadErr).
	Agent                 bool
	AgentName, AgentEmail string
	Upload                *Upload
	UploadErr             error
}

// ErrFormTooLarge and ErrFormType are forms ParseForm refuses.
var (
	ErrFormTooLarge = errors.New("intake: the form is too large")
	ErrFormType     = errors.New("intake: the form must be application/x-www-form-urlencoded")
)

// ParseForm reads the fields of a posted form
// (application/x-www-form-urlencoded, at most maxForm bytes: a 10 MB upload
// is refused without being read).
func ParseForm(r *http.Request) (Form, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err == nil && mt == "multipart/form-data" && params["boundary"] != "" {
			return parseMultipart(r, params["boundary"])
		}
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return Form{}, ErrFormType
		}
	}
	if r.ContentLength > maxForm {
		return Form{}, ErrFormTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil {
		return Form{}, err
	}
	if len(body) > maxForm {
		return Form{}, ErrFormTooLarge
	}
	return parseFields(string(body))
}

// parseFields decodes a urlencoded body; a field given twice is refused, as
// is anything that does not decode.
func parseFields(body string) (Form, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return Form{}, err
	}
	return formOf(v)
}

// formOf reads a form's fields from v; a field given twice is refused.
func formOf(v url.Values) (Form, error) {
	for _, vs := range v {
		if len(vs) > 1 {
			return Form{}, errors.New("intake: a field is given twice")
		}
	}
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := Form{Type: get("type"), Email: get("email"), Phone: get("phone"), Jurisdiction: get("jurisdiction"), Honeypot: v.Get("website")}
	agentFields(&f, get)
	return f, nil
}

// Check validates f against the offered types and laws and returns the
// identifiers, or the errors to show next to the fields (never repeating a
// value).
func (h *Handler) Check(f Form) (dsar.Identifiers, deadline.Jurisdiction, []fieldError) {
	var errs []fieldError
	if !slices.Contains(h.cfg.Types, f.Type) {
		errs = append(errs, fieldError{"type-" + h.cfg.Types[0], "Choose what you would like us to do."})
	}
	ids := dsar.Identifiers{Emails: []string{f.Email}}
	if f.Email == "" {
		errs = append(errs, fieldError{"email", "Enter your e-mail address."})
	} else if _, err := (dsar.Identifiers{Emails: []string{f.Email}}).Normalized(); err != nil {
		errs = append(errs, fieldError{"email", "Enter an e-mail address like name@example.com."})
	}
	if f.Phone != "" {
		if _, err := (dsar.Identifiers{Phones: []string{f.Phone}}).Normalized(); err != nil || len(f.Phone) > 40 {
			errs = append(errs, fieldError{"phone", "Enter a phone number with digits, spaces and + - ( ) only, or leave it empty."})
		} else {
			ids.Phones = []string{f.Phone}
		}
	}
	j := cmp.Or(f.Jurisdiction, h.cfg.DefaultJurisdiction)
	if !slices.Contains(h.cfg.Jurisdictions, j) {
		errs = append(errs, fieldError{"jurisdiction", "Choose where you live from the list."})
	}
	errs = append(errs, checkAgent(f)...)
	if len(errs) > 0 {
		return dsar.Identifiers{}, "", errs
	}
	norm, err := ids.Normalized()
	if err != nil {
		return dsar.Identifiers{}, "", []fieldError{{"email", "Enter an e-mail address like name@example.com."}}
	}
	return norm, deadline.Jurisdiction(j), nil
}

func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	f, err := ParseForm(r)
	if err != nil {
		if errors.Is(err, ErrFormTooLarge) {
			h.problem(w, r, httpx.KindTooLarge, "Too much data", "The form was larger than it can be. Fill it in again.")
			return
		}
		h.problem(w, r, httpx.KindBadRequest, "The form could not be read", "Fill it in again.")
		return
	}
	if !h.perIP.allow(r.Context(), clientKey(r), h.now()) {
		h.problem(w, r, httpx.KindThrottled, "Too many requests", "Too many forms were sent from your network in the last hour. Try again later.")
		return
	}
	if f.Honeypot != "" {
		// A robot filled the hidden field: it gets the same page as anyone.
		h.submitted(w, r, store.NewID("int_"))
		return
	}
	ids, j, errs := h.Check(f)
	if len(errs) > 0 {
		// A browser gets the form again with the errors by their fields; a
		// client asking for JSON an "invalid" problem naming the first field.
		if httpx.PrefersJSON(r) {
			httpx.WriteProblem(w, httpx.Problem{Type: httpx.ProblemBase + httpx.KindInvalid.Name, Title: httpx.KindInvalid.Title,
				Status: httpx.KindInvalid.Status, Detail: errs[0].Text, Field: errs[0].Field})
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "form", h.formPage(f, errs))
		return
	}
	id, err := h.file(r.Context(), requestType(f.Type), j, ids, f.agentPart())
	switch {
	case errors.Is(err, errQueueFull):
		h.problem(w, r, httpx.KindBusy, "We are busy", "Too many requests are waiting for confirmation. Try again in a few hours.")
		return
	case err != nil:
		h.logger().Error("intake: the form could not be stored", "error", errClass(err))
		h.problem(w, r, httpx.KindInternal, "Something went wrong", "Your request was not saved. Try again in a few minutes.")
		return
	}
	h.submitted(w, r, id)
}

// requestType is the request a form type files: an opt-out is an objection
// to direct marketing and to the sale or sharing of the data.
func requestType(formType string) store.RequestType {
	if formType == "opt_out" {
		return store.RequestObjection
	}
	return store.RequestType(formType)
}

// submitted answers a posted form: the same page, and a cookie of the same
// shape, whatever happened to it.
func (h *Handler) submitted(w http.ResponseWriter, r *http.Request, intakeID string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: intakeID, Path: PathVerify, MaxAge: int(h.ttl() / time.Second),
		HttpOnly: true, Secure: r.TLS != nil || strings.HasPrefix(h.o.PublicURL, "https://"), SameSite: http.SameSiteStrictMode})
	h.render(w, r, http.StatusOK, "submitted", h.base("Check your e-mail"))
}

var errQueueFull = errors.New("intake: too many requests wait for verification")

// file writes the intake and its verification message in one transaction.
// A silenced address (over its limit) gets no new intake and no message,
// and the caller answers as usual.
func (h *Handler) file(ctx context.Context, typ store.RequestType, j deadline.Jurisdiction, ids dsar.Identifiers, agent *agentUpload) (string, error) {
	now := h.now()
	ref, err := h.o.Vault.SubjectRef(vault.KindEmail, ids.Emails[0])
	if err != nil {
		return "", err
	}
	pending, forEmail, err := h.o.Store.CountIntakes(ctx, now, ref)
	if err != nil {
		return "", err
	}
	if pending >= int64(h.cfg.MaxPending) {
		return "", errQueueFull
	}
	id := store.NewID("int_")
	if forEmail >= int64(h.cfg.PerEmail) {
		h.logger().Warn("intake: an address is over its limit of requests waiting for verification; no message sent", "limit", h.cfg.PerEmail)
		return id, nil
	}
	token, code := NewToken(), NewCode()
	th, _ := ParseToken(token)
	plain, err := json.Marshal(ids)
	if err != nil {
		return "", err
	}
	law, err := jurisdiction.For(j)
	if err != nil {
		return "", err
	}
	d := messages.Data{Controller: h.o.Config.Access.Controller, Contact: h.o.Config.Access.ContactDPO, RequestID: id,
		RequestWhat: messages.RequestWhat(typ), Law: law, ReceivedAt: now, DueAt: now.Add(h.ttl()),
		VerifyURL: h.o.PublicURL + PathVerify + "/" + token, Code: code, ViaAgent: agent != nil}
	if typ == store.RequestObjection {
		d.RequestWhat = "us to stop using your data for marketing and not to sell or share it"
	}
	rendered, err := h.o.Templates.Render(messages.Verification, j, h.o.Lang, d)
	if err != nil {
		return "", err
	}
	err = h.o.Store.InTx(ctx, func(tx store.Tx) error {
		enc, err := h.o.Vault.With(tx).Encrypt(ctx, keyID(id), aad(id), plain)
		if err != nil {
			return err
		}
		if _, err := tx.CreateIntake(ctx, store.Intake{ID: id, RequestType: typ, Jurisdiction: string(j), IdentifiersEnc: enc,
			EmailRef: ref, TokenHash: th, CodeHash: codeHash(id, code), CreatedAt: now, ExpiresAt: now.Add(h.ttl())}); err != nil {
			return err
		}
		if _, _, err = h.o.Outbox.Enqueue(ctx, tx, mail.Message{Kind: string(messages.Verification), DedupKey: "intake/" + id + "/verification",
			To: ids.Emails[0], Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML}); err != nil {
			return err
		}
		if agent != nil {
			return h.storeAgent(ctx, tx, id, d, j, agent)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if h.o.Kick != nil {
		h.o.Kick(ctx)
	}
	return id, nil
}

func keyID(intakeID string) string { return "intake:" + intakeID }

func aad(intakeID string) vault.AAD {
	return vault.AAD{Table: "intakes", Column: "identifiers_enc", Row: intakeID}
}

// errClass names a failure without its text.
func errClass(err error) string {
	switch {
	case errors.Is(err, store.ErrBusy):
		return "database busy"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

func (h *Handler) invalidLink(w http.ResponseWriter, r *http.Request) {
	h.problem(w, r, httpx.KindNotFound, "This link does not work",
		"The link is not valid any more: it was already used, it is older than 24 hours, or it was copied incompletely. Make the request again.")
}

func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (store.Intake, string, bool) {
	if !h.verifyL.allow(r.Context(), clientKey(r), h.now()) {
		h.problem(w, r, httpx.KindThrottled, "Too many attempts", "Too many links or codes were tried from your network. Try again in an hour.")
		return store.Intake{}, "", false
	}
	token := r.PathValue("token")
	th, err := ParseToken(token)
	if err != nil {
		h.invalidLink(w, r)
		return store.Intake{}, "", false
	}
	in, err := h.o.Store.IntakeByToken(r.Context(), th)
	if err != nil || in.State != store.IntakePending || !h.now().Before(in.ExpiresAt) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.logger().Error("intake: lookup failed", "error", errClass(err))
		}
		h.invalidLink(w, r)
		return store.Intake{}, "", false
	}
	return in, token, true
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) {
	_, token, ok := h.lookup(w, r)
	if !ok {
		return
	}
	p := h.base("Confirm your request")
	p.Token = token
	h.render(w, r, http.StatusOK, "confirm", p)
}

func (h *Handler) verifyLink(w http.ResponseWriter, r *http.Request) {
	in, _, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.settle(w, r, in, "e-mail link (web form)")
}

func (h *Handler) verifyCode(w http.ResponseWriter, r *http.Request) {
	if !h.verifyL.allow(r.Context(), clientKey(r), h.now()) {
		h.problem(w, r, httpx.KindThrottled, "Too many attempts", "Too many links or codes were tried from your network. Try again in an hour.")
		return
	}
	var typed string
	if r.ContentLength <= maxForm {
		if b, err := io.ReadAll(io.LimitReader(r.Body, maxForm)); err == nil {
			if v, err := url.ParseQuery(string(b)); err == nil {
				typed = v.Get("code")
			}
		}
	}
	c, err := r.Cookie(cookieName)
	code, cerr := ParseCode(typed)
	if err != nil || !strings.HasPrefix(c.Value, "int_") || len(c.Value) > 40 {
		h.problem(w, r, httpx.KindBadRequest, "Use the link instead",
			"The code works only in the browser where you made the request. Open the link in the e-mail instead.")
		return
	}
	in, err := h.o.Store.GetIntake(r.Context(), c.Value)
	if err != nil || in.State != store.IntakePending || !h.now().Before(in.ExpiresAt) {
		h.invalidLink(w, r)
		return
	}
	if cerr == nil && sameHash(codeHash(in.ID, code), in.CodeHash) {
		h.settle(w, r, in, "e-mail code (web form)")
		return
	}
	next := in
	next.Attempts++
	if next.Attempts >= maxAttempts {
		next.State, next.SettledAt, next.IdentifiersEnc = store.IntakeExpired, h.now(), nil
	}
	err = h.o.Store.InTx(r.Context(), func(tx store.Tx) error {
		if err := tx.UpdateIntake(r.Context(), next, in); err != nil {
			return err
		}
		if next.State == store.IntakeExpired {
			if err := tx.DeleteAgentPermissionOfIntake(r.Context(), in.ID); err != nil {
				return err
			}
			_, err := h.o.Vault.DestroyPersonKey(r.Context(), tx, keyID(in.ID))
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrStateConflict) {
		h.logger().Error("intake: a wrong code could not be counted", "error", errClass(err))
	}
	if next.State == store.IntakeExpired {
		h.problem(w, r, httpx.KindInvalid, "Too many wrong codes", "This request was cancelled after too many wrong codes. Make the request again.")
		return
	}
	h.problem(w, r, httpx.KindInvalid, "That code is not right",
		fmt.Sprintf("Check the code in the e-mail and try again (%d tries left), or open the link in it.", maxAttempts-next.Attempts))
}

// settle files the request of in as verified by method, in the transaction
// that settles the intake and destroys its key.
func (h *Handler) settle(w http.ResponseWriter, r *http.Request, in store.Intake, method string) {
	ctx := r.Context()
	plain, err := h.o.Vault.Decrypt(ctx, keyID(in.ID), aad(in.ID), in.IdentifiersEnc)
	if err != nil {
		h.invalidLink(w, r)
		return
	}
	var ids dsar.Identifiers
	if err := json.Unmarshal(plain, &ids); err != nil || len(ids.Emails) == 0 {
		h.invalidLink(w, r)
		return
	}
	evidence := method + "; address confirmed by the person; Intercom match not checked"
	lower := ""
	if h.o.Matches != nil {
		n, err := h.o.Matches(ctx, ids.Emails[0])
		switch {
		case err != nil:
			evidence = method + "; address confirmed by the person; Intercom match could not be checked"
		default:
			evidence = fmt.Sprintf("%s; address confirmed by the person and matching %d Intercom contact(s): reasonable degree of certainty (CCPA Regs 7062(b))", method, n)
		}
	}
	if store.RequestType(in.RequestType) == store.RequestAccess {
		lower = "We confirmed your e-mail address. For a copy of the data itself (not only its categories), the law may ask us to confirm two pieces of information about you; if we need more, we will write to you."
		if info, err := jurisdiction.For(deadline.Jurisdiction(in.Jurisdiction)); err == nil && info.Verification.Tiered {
			lower = "We confirmed your e-mail address. That is enough for us to tell you the categories of personal information we hold about you, where it came from, why we use it and who we share it with. For a copy of the information itself, the law asks us to confirm a second piece of information about you: reply to our e-mail with your phone number or account id as you gave it to us, and our privacy team will check it and send you the full copy."
		}
	}
	j, _ := deadline.ParseJurisdiction(in.Jurisdiction)
	var offer string // the step-up token, when the higher level is offered
	var payload dsar.Payload
	if in.RequestType == store.RequestObjection {
		payload.Scope = []string{dsar.ScopeMarketing, dsar.ScopeSaleSharing}
	}
	req, err := h.o.DSAR.Submit(ctx, dsar.Submission{
		Type: in.RequestType, Identifiers: ids, Jurisdiction: j, Channel: "web_form", ReceivedAt: in.CreatedAt, VerifiedBy: evidence,
		VerificationLevel: store.VerificationLow, Payload: payload,
		Within: func(ctx context.Context, tx store.Tx, req store.Request) error {
			next := in
			next.State, next.RequestID, next.SettledAt, next.IdentifiersEnc = store.IntakeVerified, req.ID, h.now(), nil
			if err := tx.UpdateIntake(ctx, next, in); err != nil {
				return err
			}
			if err := h.attachAgent(ctx, tx, in, req); err != nil {
				return err
			}
			if offer, err = h.offerStepUp(ctx, tx, req); err != nil {
				return err
			}
			_, err := h.o.Vault.DestroyPersonKey(ctx, tx, keyID(in.ID))
			return err
		},
	})
	if errors.Is(err, store.ErrStateConflict) {
		h.invalidLink(w, r) // confirmed twice at once: the other one filed it
		return
	}
	if errors.Is(err, dsar.ErrInvalidRequest) {
		h.problem(w, r, httpx.KindInvalid, "We cannot take this request here",
			"This kind of request cannot be made with this form yet. Write to us at the privacy contact below.")
		return
	}
	if err != nil {
		h.logger().Error("intake: the request could not be filed", "error", errClass(err))
		h.problem(w, r, httpx.KindInternal, "Something went wrong", "Your request was not confirmed. Open the link again in a few minutes.")
		return
	}
	h.o.Vault.Forget(keyID(in.ID))
	if h.o.Filed != nil {
		h.o.Filed(ctx, req)
	}
	if h.o.Kick != nil {
		h.o.Kick(ctx)
	}
	if offer != "" {
		h.stepUpPage(w, r, http.StatusOK, offer, req, nil)
		return
	}
	p := h.base("Request confirmed")
	due := req.DueAt
	if !req.ExtendedDueAt.IsZero() {
		due = req.ExtendedDueAt
	}
	p.Due, p.LowerLevel = due.UTC().Format("2 January 2006"), lower
	h.render(w, r, http.StatusOK, "verified", p)
}

// Expire settles the intakes whose time ran out (expired, their identifiers
// and key destroyed) and forgets the address of the download links that can
// no longer be used (expired or used up). The workers run it hourly.
func Expire(ctx context.Context, st store.Store, v *vault.Vault, now time.Time) (int, error) {
	n := 0
	for {
		spent, err := st.SpentDownloadLinks(ctx, now, 100)
		if err != nil {
			return n, err
		}
		if len(spent) == 0 {
			break
		}
		for _, l := range spent {
			if err := st.InTx(ctx, func(tx store.Tx) error {
				if err := tx.ForgetDownloadAddress(ctx, l.ID); err != nil {
					return err
				}
				_, err := v.DestroyPersonKey(ctx, tx, linkKey(l.ID))
				return err
			}); err != nil {
				return n, err
			}
			v.Forget(linkKey(l.ID))
		}
	}
	for {
		due, err := st.ExpiredIntakes(ctx, now, 100)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, in := range due {
			next := in
			next.State, next.SettledAt, next.IdentifiersEnc = store.IntakeExpired, now, nil
			err := st.InTx(ctx, func(tx store.Tx) error {
				if err := tx.UpdateIntake(ctx, next, in); err != nil {
					return err
				}
				if err := tx.DeleteAgentPermissionOfIntake(ctx, in.ID); err != nil {
					return err
				}
				_, err := v.DestroyPersonKey(ctx, tx, keyID(in.ID))
				return err
			})
			if err != nil && !errors.Is(err, store.ErrStateConflict) {
				return n, err
			}
			v.Forget(keyID(in.ID))
			n++
		}
	}
}

func shorten(s string) string {
	if len(s) > 20 || strings.ContainsAny(s, "@") {
		return "(withheld)"
	}
	return s
}
