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
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/users"
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
	post := func(pattern string, f http.HandlerFunc) { mux.Handle("POST "+pattern, h.cop.Handler(h.pageHeaders(f))) }
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

// pageHeaders sets the headers of every page: no script at all, nothing
// framed, nothing cached, no referrer (the OIDC callback's URL holds a code).
func (h *Handler) pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
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
func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("auth: rendering a page failed", "page", name, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
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

// failure answers a failed step: the same words for every wrong credential,
// 429 with Retry-After when throttled, 503 when the store failed.
func (h *Handler) failure(w http.ResponseWriter, r *http.Request, err error, name string, p page) {
	var te *users.ThrottledError
	switch {
	case errors.As(err, &te):
		mins := int(te.RetryAfter.Round(time.Minute) / time.Minute)
		w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Round(time.Second)/time.Second)))
		p.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", max(mins, 1))
		h.render(w, http.StatusTooManyRequests, name, p)
	case errors.Is(err, users.ErrSignInFailed):
		if name == "signin" {
			p.Error = "Wrong email or password."
		} else {
			p.Error = "That code is not right. Try the current one."
		}
		h.render(w, http.StatusUnauthorized, name, p)
	case errors.Is(err, users.ErrUnauthenticated), errors.Is(err, users.ErrWrongStage):
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
	default:
		h.log.Error("auth: sign-in step failed", "error", err)
		p.Error = "Signing in is not possible right now. Try again in a minute."
		h.render(w, http.StatusServiceUnavailable, name, p)
	}
}

// SafeNext returns raw if it is a path on this site to go to after
// sign-in ("/requests/req_1?tab=steps"), else "": never another host, a
// scheme, a protocol-relative "//host", a backslash or a control character,
// so the sign-in cannot be used as an open redirect.
func SafeNext(raw string) string {
	if len(raw) == 0 || len(raw) > 1024 || raw[0] != '/' || strings.HasPrefix(raw, "//") ||
		strings.ContainsAny(raw, "\\") || strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return raw
}

// withNext adds the next parameter to a path of the sign-in.
func withNext(path, next string) string {
	if next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// nextOf is where a completed sign-in goes: the next parameter carried
// through the steps, else AfterSignIn.
func (h *Handler) nextOf(next string) string {
	if n := SafeNext(next); n != "" {
		return n
	}
	return h.after
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "signin", page{Title: "Sign in", OIDC: h.oidc != nil, Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	next := SafeNext(r.PostFormValue("next"))
	p := page{Title: "Sign in", OIDC: h.oidc != nil, Next: next}
	if len(email) <= 254 {
		p.Email = email // the person's own input, shown back to them only
	}
	// Any session this browser held ends: a sign-in always starts afresh.
	if old := sessionSecret(r); old != "" {
		_ = h.users.SignOut(r.Context(), old)
	}
	st, err := h.users.SignIn(r.Context(), email, pw, h.clientAddr(r))
	if err != nil {
		h.failure(w, r, err, "signin", p)
		return
	}
	h.setSession(w, st)
	step := PathCode
	if st.Session.Stage == store.StageEnrol {
		step = PathEnrol
	}
	http.Redirect(w, r, withNext(step, next), http.StatusSeeOther)
}

func (h *Handler) codeForm(w http.ResponseWriter, r *http.Request) {
	if stage, err := h.users.Stage(r.Context(), sessionSecret(r)); err != nil || stage != store.StagePassword {
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "code", page{Title: "Second factor", Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) code(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	next := SafeNext(r.PostFormValue("next"))
	st, err := h.users.SecondFactor(r.Context(), sessionSecret(r), r.PostFormValue("code"), h.clientAddr(r))
	if err != nil {
		h.failure(w, r, err, "code", page{Title: "Second factor", Next: next})
		return
	}
	h.setSession(w, st)
	http.Redirect(w, r, h.nextOf(next), http.StatusSeeOther)
}

func (h *Handler) enrolForm(w http.ResponseWriter, r *http.Request) {
	en, err := h.users.BeginEnrolment(r.Context(), sessionSecret(r))
	if err != nil {
		h.failure(w, r, err, "enrol", page{Title: "Set up your second factor"})
		return
	}
	h.render(w, http.StatusOK, "enrol", page{Title: "Set up your second factor", Key: en.Key.Secret(), Next: SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) enrolQR(w http.ResponseWriter, r *http.Request) {
	en, err := h.users.BeginEnrolment(r.Context(), sessionSecret(r))
	if err != nil {
		http.Error(w, "Not signed in.", http.StatusUnauthorized)
		return
	}
	img, err := en.Key.Image(200, 200)
	if err != nil {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) enrol(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	next := SafeNext(r.PostFormValue("next"))
	p := page{Title: "Set up your second factor", Next: next}
	st, codes, err := h.users.ConfirmEnrolment(r.Context(), sessionSecret(r), r.PostFormValue("code"), h.clientAddr(r))
	if err != nil {
		if en, kerr := h.users.BeginEnrolment(r.Context(), sessionSecret(r)); kerr == nil {
			p.Key = en.Key.Secret()
		}
		h.failure(w, r, err, "enrol", p)
		return
	}
	h.setSession(w, st)
	h.render(w, http.StatusOK, "recovery", page{Title: "Recovery codes", Codes: codes, Next: h.nextOf(next)})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if err := h.users.SignOut(r.Context(), sessionSecret(r)); err != nil {
		h.log.Error("auth: sign-out failed", "error", err)
		http.Error(w, "Signing out failed; try again.", http.StatusServiceUnavailable)
		return
	}
	clearCookie(w, SessionCookie)
	http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
}

func (h *Handler) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	p, err := h.users.Authenticate(r.Context(), sessionSecret(r))
	if err != nil {
		http.Redirect(w, r, PathSignIn, http.StatusSeeOther)
		return
	}
	if _, err := h.users.SignOutEverywhere(r.Context(), p); err != nil {
		h.log.Error("auth: sign-out everywhere failed", "error", err)
		http.Error(w, "Signing out failed; try again.", http.StatusServiceUnavailable)
		return
	}
	clearCookie(w, SessionCookie)
	h.render(w, http.StatusOK, "message", page{Title: "Signed out", Message: "Every session of your account has ended."})
}

// Authenticate puts the authz.Principal of the request in its context, or
// none: from "Authorization: Bearer <token>" (an API token) when the header
// is present, otherwise from the session cookie (a signed-in console
// session). A malformed, unknown, revoked or expired credential gives no
// Principal (the route then answers 401); a request with an Authorization
// header never falls back to the cookie. The cookie is ignored on a
// cross-origin request with an unsafe method (CSRF), whatever the route
// does with it. The store is read at every request, so a revoked token or an
// ended session stops working at once. When the store cannot be read it
// answers 503 itself.
func (h *Handler) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.principal(r)
		switch {
		case err == nil:
			r = r.WithContext(authz.WithPrincipal(r.Context(), p))
		case errors.Is(err, users.ErrUnauthenticated), errors.Is(err, errNoCredential):
		case errors.Is(err, context.Canceled):
			return
		default:
			h.log.Error("auth: checking a credential failed", "error", err)
			w.Header().Set("Retry-After", "5")
			http.Error(w, "Service unavailable.", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errNoCredential = errors.New("auth: no credential")

func (h *Handler) principal(r *http.Request) (authz.Principal, error) {
	if v := r.Header.Values("Authorization"); len(v) > 0 {
		tok, ok := BearerToken(v)
		if !ok {
			return authz.Principal{}, users.ErrUnauthenticated
		}
		return h.users.AuthenticateToken(r.Context(), tok)
	}
	secret := sessionSecret(r)
	if secret == "" {
		return authz.Principal{}, errNoCredential
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && h.cop.Check(r) != nil {
		return authz.Principal{}, errNoCredential
	}
	return h.users.Authenticate(r.Context(), secret)
}

// BearerToken returns the token of the Authorization header values: exactly
// one header, "Bearer" (any case), one space-separated token.
func BearerToken(values []string) (string, bool) {
	if len(values) != 1 || len(values[0]) > 256 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	tok = strings.TrimLeft(tok, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// clientAddr is the address sign-ins are throttled by: the connection's
// peer, or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not a trusted proxy.
func (h *Handler) clientAddr(r *http.Request) string {
	return ClientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), h.proxies)
}

// ClientAddr is clientAddr without a request (fuzzed).
func ClientAddr(remote string, xff []string, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(remote)
	var peer netip.Addr
	if err == nil {
		peer = ap.Addr().Unmap()
	} else if peer, err = netip.ParseAddr(remote); err != nil {
		return ""
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0 && i >= len(hops)-32; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer.String() // a hop we cannot read: stop at the proxy we trust
		}
		a = a.Unmap()
		if !isTrusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}
