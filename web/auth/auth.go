// Package auth is the sign-in of the console and the API: the sign-in pages
// (password, then a TOTP code or the enrolment of one, then a session), sign-in
// through the company's OpenID Connect provider, sign-out, and the
// Authenticate middleware that turns a session cookie or a bearer token into
// an authz.Principal for the handlers behind it.
//
// The pages are server-rendered html/template files embedded in the binary,
// with no script and a strict Content-Security-Policy. The session cookie is
// __Host- prefixed, HttpOnly, Secure, SameSite=Lax and Path=/; it holds a random
// secret whose hash the store keeps (package users). Every state-changing
// route is behind http.CrossOriginProtection, and Authenticate ignores a
// session cookie on a cross-origin state-changing request, so a page on
// another site can neither sign someone in or out nor act as them. The rules
// (throttling, sessions, tokens, audit) live in package users; this package
// only speaks HTTP.
package auth

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// SessionCookie is the name of the session cookie. The __Host- prefix makes
// browsers refuse it unless Secure, Path=/ and without Domain, so a
// sub-domain cannot plant or read it.
const SessionCookie = "__Host-intercom-privacy-session"

// Paths this package serves.
const (
	PathSignIn   = "/auth/signin"
	PathCode     = "/auth/signin/code"
	PathEnrol    = "/auth/signin/enrol"
	PathEnrolQR  = "/auth/signin/enrol/qr.png"
	PathSignOut  = "/auth/signout"
	PathSignOutE = "/auth/signout/everywhere"
	PathOIDC     = "/auth/oidc/start"
	PathCallback = "/auth/oidc/callback"
	pathStatic   = "/auth/static/"
)

//go:embed templates/*.html static/*
var files embed.FS

// Options configure New.
type Options struct {
	// Users keeps the accounts (required).
	Users *users.Service
	// Config is the configuration's auth section: trusted proxies and OIDC.
	Config config.Auth
	// OIDCClientSecret is the OIDC client's secret (read by the caller from
	// the variable auth.oidc.client_secret_env names).
	OIDCClientSecret string
	// HTTPClient reaches the identity provider (nil: a client with a 10 s
	// timeout).
	HTTPClient *http.Client
	// AfterSignIn is where a signed-in browser goes ("/" when empty).
	AfterSignIn string
	// Logger logs failures of the store and the provider (discarding when nil).
	Logger *slog.Logger
	// Now is the clock for the OIDC state cookie (time.Now when nil).
	Now func() time.Time
}

// Handler serves the sign-in routes and provides the Authenticate middleware.
type Handler struct {
	users   *users.Service
	pages   map[string]*template.Template
	static  http.Handler
	cop     *http.CrossOriginProtection
	proxies []netip.Prefix
	after   string
	log     *slog.Logger
	oidc    *oidcFlow
	now     func() time.Time
}

// New parses the templates (an error here stops the server at start) and
// returns the Handler.
func New(o Options) (*Handler, error) {
	if o.Users == nil {
		return nil, errors.New("auth: Options.Users is required")
	}
	h := &Handler{users: o.Users, cop: http.NewCrossOriginProtection(), after: o.AfterSignIn, log: o.Logger, now: o.Now}
	if h.after == "" {
		h.after = "/"
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, httpx.Explain(httpx.KindCrossOrigin, "Request refused",
			"This form was sent from another site, so nothing was done. Open the sign-in page and try again.", nil))
	}))
	if h.now == nil {
		h.now = time.Now
	}
	for _, p := range o.Config.TrustedProxies {
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, fmt.Errorf("auth: trusted proxy %d is not an address or CIDR range", len(h.proxies))
			}
			pf = netip.PrefixFrom(a, a.BitLen())
		}
		h.proxies = append(h.proxies, pf.Masked())
	}
	var err error
	if h.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	h.static = http.StripPrefix(pathStatic, http.FileServerFS(sub))
	if o.Config.OIDC.Enabled() {
		h.oidc = newOIDCFlow(o.Config.OIDC, o.OIDCClientSecret, o.HTTPClient)
	}
	o.Users.Prepare()
	return h, nil
}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range []string{"signin", "code", "enrol", "recovery", "message"} {
		t, err := template.ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("auth: parsing the %s page: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Register adds the sign-in routes to mux. The state-changing ones are
// wrapped in http.CrossOriginProtection; none needs a role.
func (h *Handler) Register(mux *http.ServeMux) {
	post := func(pattern string, f http.HandlerFunc) { mux.Handle("POST "+pattern, h.pageHeaders(h.cop.Handler(f))) }
	get := func(pattern string, f http.HandlerFunc) { mux.Handle("GET "+pattern, h.pageHeaders(f)) }
	get(PathSignIn, h.signInForm)
	post(PathSignIn, h.signIn)
	get(PathCode, h.codeForm)
	post(PathCode, h.code)
	get(PathEnrol, h.enrolForm)
	get(PathEnrolQR, h.enrolQR)
	post(PathEnrol, h.enrol)
	post(PathSignOut, h.signOut)
	post(PathSignOutE, h.signOutEverywhere)
	get(PathOIDC, h.oidcStart)
	get(PathCallback, h.oidcCallback)
	mux.Handle("GET "+pathStatic, h.static)
}

// Handler returns a mux with the sign-in routes alone (for tests and for a
// server that mounts it under /auth/).
func (h *Handler) Handler() http.Handler {
	mux := http.NewServeMux()
	h.Register(mux)
	return mux
}

// pageHeaders sets the headers of every page: httpx's, with the policy of a
// page without script (no referrer matters here: the OIDC callback's URL
// holds a code).
func (h *Handler) pageHeaders(next http.Handler) http.Handler {
	return httpx.Headers(httpx.PagePolicy)(next)
}

// page is the data of every page.
type page struct {
	Title   string
	Error   string
	Email   string
	OIDC    bool
	Key     string
	Codes   []string
	Next    string
	Message string
}

// render executes a page into a buffer first, so a failing template never
// sends half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		// No page can be trusted to render now: a problem, logged.
		httpx.Error(w, r, h.log, fmt.Errorf("auth: rendering the %s page: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) setSession(w http.ResponseWriter, st users.Started) {
	// Max-Age, not Expires: relative to the server's clock, whatever the
	// browser's says. The store decides when the session really ends.
	age := int(st.Session.ExpiresAt.Sub(h.now()) / time.Second)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: st.Secret, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: max(age, 1)})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func sessionSecret(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// errorPage is the sign-in's HTML error page (httpx.ErrorPage): the message
// page with the heading and message httpx.Describe wrote.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	h.render(w, r, status, "message", page{Title: heading, Message: message})
}

// fail answers err through web/httpx's table (httpx.Respond): the error page
// for a browser, a problem for a client asking for JSON.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Respond(w, r, h.log, err, h.errorPage)
}

// failure answers a failed step through web/httpx's table: the same words for
// every wrong credential (401), 429 with Retry-After when throttled, 503 when
// the store failed; a browser gets the step's form again with the message, a
// client asking for JSON a problem. A step out of order goes back to the
// sign-in page.
func (h *Handler) failure(w http.ResponseWriter, r *http.Request, err error, name string, p page) {
	var te *users.ThrottledError
	switch {
	case errors.As(err, &te):
		mins := int(te.RetryAfter.Round(time.Minute) / time.Minute)
		err = httpx.Explain(httpx.KindOf(err), p.Title, fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", max(mins, 1)), err)
	case errors.Is(err, users.ErrSignInFailed):
		msg := "That code is not right. Try the current one."
		if name == "signin" {
			msg = "Wrong email or password."
		}
		err = httpx.Explain(httpx.KindOf(err), p.Title, msg, err)
	case errors.Is(err, users.ErrUnauthenticated), errors.Is(err, users.ErrWrongStage):
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	default:
		err = httpx.Explain(httpx.KindBusy, p.Title, "Signing in is not possible right now. Try again in a minute.", err)
	}
	httpx.Respond(w, r, h.log, err, func(w http.ResponseWriter, r *http.Request, status int, _, message string) {
		p.Error = message
		h.render(w, r, status, name, p)
	})
}
