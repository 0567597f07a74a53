package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// stateCookie holds the state, nonce and PKCE verifier of one sign-in through
// the identity provider, for 10 minutes, in the browser that started it:
// the callback must come back to the same browser (login CSRF).
const stateCookie = "__Host-intercom-privacy-oidc"

const stateLifetime = 10 * time.Minute

// oidcFlow is the authorization code flow with PKCE against the configured
// provider. The provider's discovery document is fetched at the first
// sign-in, and again after a failure, so serve starts while the provider
// is unreachable.
type oidcFlow struct {
	cfg    config.OIDC
	secret string
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCFlow(cfg config.OIDC, secret string, client *http.Client) *oidcFlow {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	return &oidcFlow{cfg: cfg, secret: secret, client: client}
}

func (f *oidcFlow) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, f.client), f.client)
}

func (f *oidcFlow) get(ctx context.Context) (*oidc.Provider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provider != nil {
		return f.provider, nil
	}
	p, err := oidc.NewProvider(f.ctx(ctx), f.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	f.provider = p
	return p, nil
}

func (f *oidcFlow) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: f.cfg.ClientID, ClientSecret: f.secret, Endpoint: p.Endpoint(),
		RedirectURL: f.cfg.RedirectURL, Scopes: f.cfg.Scopes}
}

// flowState is what the state cookie carries.
type flowState struct {
	State, Nonce, Verifier string
	Expires                time.Time
	// Next is the page to end on (SafeNext), "" for AfterSignIn.
	Next string
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// encode is "state.nonce.verifier.expiry-unix.next", next in unpadded
// base64url.
func (s flowState) encode() string {
	return s.State + "." + s.Nonce + "." + s.Verifier + "." + strconv.FormatInt(s.Expires.Unix(), 10) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(s.Next))
}

var errBadState = errors.New("auth: malformed sign-in state")

// parseFlowState reads a state cookie strictly: three 43-character base64url
// values, a Unix time and a next page SafeNext accepts (or none).
func parseFlowState(v string) (flowState, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 5 {
		return flowState{}, errBadState
	}
	next, err := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	if err != nil || (len(next) > 0 && SafeNext(string(next)) != string(next)) {
		return flowState{}, errBadState
	}
	for _, p := range parts[:3] {
		if len(p) != 43 {
			return flowState{}, errBadState
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
			return flowState{}, errBadState
		}
	}
	n, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || n <= 0 || n > 1<<40 || parts[3][0] == '0' || parts[3][0] == '+' {
		return flowState{}, errBadState
	}
	return flowState{State: parts[0], Nonce: parts[1], Verifier: parts[2], Expires: time.Unix(n, 0), Next: string(next)}, nil
}

func (h *Handler) oidcStart(w http.ResponseWriter, r *http.Request) {
	if h.oidc == nil {
		h.fail(w, r, httpx.Explain(httpx.KindNotFound, "Not found", "Sign-in with an identity provider is not set up here.", nil))
		return
	}
	p, err := h.oidc.get(r.Context())
	if err != nil {
		h.fail(w, r, httpx.Explain(httpx.KindBusy, "Sign in", "The identity provider cannot be reached. Try again in a minute, or sign in with your password.", err))
		return
	}
	st := flowState{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Expires: h.now().Add(stateLifetime),
		Next: SafeNext(r.URL.Query().Get("next"))}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: st.encode(), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(stateLifetime / time.Second)})
	url := h.oidc.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	http.Redirect(w, r, url, http.StatusFound)
}

func (h *Handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if h.oidc == nil {
		h.fail(w, r, httpx.Explain(httpx.KindNotFound, "Not found", "Sign-in with an identity provider is not set up here.", nil))
		return
	}
	refuse := func(k httpx.Kind, msg string, cause error) {
		clearCookie(w, stateCookie)
		h.fail(w, r, httpx.Explain(k, "Sign in", msg, cause))
	}
	c, err := r.Cookie(stateCookie)
	if err != nil {
		refuse(httpx.KindBadRequest, "This sign-in did not start here, or took longer than 10 minutes. Start again.", nil)
		return
	}
	st, err := parseFlowState(c.Value)
	q := r.URL.Query()
	if err != nil || !h.now().Before(st.Expires) || q.Get("state") != st.State {
		refuse(httpx.KindBadRequest, "This sign-in did not start here, or took longer than 10 minutes. Start again.", nil)
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		refuse(httpx.KindUnauth, "The identity provider did not sign you in.", nil)
		return
	}
	id, err := h.oidc.exchange(r.Context(), q.Get("code"), st)
	if err != nil {
		h.log.Warn("auth: an identity provider sign-in was refused", "error", err)
		refuse(httpx.KindUnauth, "The identity provider's answer could not be verified. Start again.", nil)
		return
	}
	started, err := h.users.SignInOIDC(r.Context(), id, users.OIDCPolicy{Provision: h.oidc.cfg.Provision, RoleFromProvider: h.oidc.cfg.RoleFromProvider})
	switch {
	case errors.Is(err, users.ErrNotProvisioned):
		refuse(httpx.KindForbidden, "There is no account for you here. Ask an admin to add one.", nil)
		return
	case errors.Is(err, users.ErrNoRole):
		refuse(httpx.KindForbidden, "Your company account has no role in this product. Ask an admin.", nil)
		return
	case errors.Is(err, users.ErrSignInFailed):
		refuse(httpx.KindForbidden, "Your company account may not sign in here. Ask an admin.", nil)
		return
	case err != nil:
		refuse(httpx.KindBusy, "Signing in is not possible right now. Try again in a minute.", err)
		return
	}
	if old := sessionSecret(r); old != "" {
		_ = h.users.SignOut(r.Context(), old)
	}
	clearCookie(w, stateCookie)
	h.setSession(w, started)
	http.Redirect(w, r, h.nextOf(st.Next), http.StatusSeeOther)
}

// exchange redeems the code with the PKCE verifier and verifies the ID token
// (signature, issuer, audience, expiry, nonce), then reads its claims.
func (f *oidcFlow) exchange(ctx context.Context, code string, st flowState) (users.Identity, error) {
	p, err := f.get(ctx)
	if err != nil {
		return users.Identity{}, err
	}
	ctx = f.ctx(ctx)
	tok, err := f.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return users.Identity{}, errors.New("auth: the code exchange failed")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return users.Identity{}, errors.New("auth: the provider returned no ID token")
	}
	idt, err := p.VerifierContext(ctx, &oidc.Config{ClientID: f.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return users.Identity{}, errors.New("auth: the ID token did not verify")
	}
	if idt.Nonce != st.Nonce {
		return users.Identity{}, errors.New("auth: the ID token's nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return users.Identity{}, errors.New("auth: the ID token's claims do not decode")
	}
	// Many providers put the email (and custom claims) only in the UserInfo
	// answer unless configured otherwise: ask for what the ID token lacks.
	_, hasEmail := claims["email"]
	_, hasRole := claims[f.cfg.RoleClaim]
	if (!hasEmail || (f.cfg.RoleClaim != "" && !hasRole)) && p.UserInfoEndpoint() != "" {
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return users.Identity{}, errors.New("auth: the UserInfo request failed")
		}
		if ui.Subject != idt.Subject {
			return users.Identity{}, errors.New("auth: the UserInfo subject differs from the ID token's")
		}
		var more map[string]any
		if err := ui.Claims(&more); err != nil {
			return users.Identity{}, errors.New("auth: the UserInfo claims do not decode")
		}
		for k, v := range more {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	email, _ := claims["email"].(string)
	if v, _ := claims["email_verified"].(bool); !v || email == "" {
		return users.Identity{}, errors.New("auth: the ID token has no verified email")
	}
	id := users.Identity{Subject: idt.Subject, Email: email}
	if f.cfg.RoleClaim != "" {
		id.Role = RoleFromClaim(claims[f.cfg.RoleClaim], f.cfg.RoleMap)
	}
	return id, nil
}

// RoleFromClaim maps a role claim's value (a string or a list of strings) to
// a role through m (claim value → role name; when m is empty the values are
// role names). When several values map, the most powerful role (the first of
// authz.Roles) wins; "" when none does.
func RoleFromClaim(v any, m map[string]string) authz.Role {
	var vals []string
	switch x := v.(type) {
	case string:
		vals = []string{x}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				vals = append(vals, s)
			}
		}
	case []string:
		vals = x
	}
	best := -1
	for _, s := range vals {
		name := s
		if len(m) > 0 {
			name = m[s]
		}
		if i := slices.Index(authz.Roles, authz.Role(name)); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return authz.Roles[best]
}
