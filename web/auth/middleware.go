package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// Authenticate puts the authz.Principal of the request in its context, or
// none: from "Authorization: Bearer <token>" (an API token) when the header
// is present, otherwise from the session cookie (a signed-in console
// session). A malformed, unknown, revoked or expired credential gives no
// Principal (the route then answers 401); a request with an Authorization
// header never falls back to the cookie. The cookie is ignored on a
// cross-origin request with an unsafe method (CSRF), whatever the route
// does with it. The store is read at every request, so a revoked token or an
// ended session stops working at once. When the store cannot be read it
// answers 503 itself. The client address sign-ins are throttled by goes in
// the context too (httpx.ClientAddr), for a surface that throttles alike.
func (h *Handler) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(httpx.WithClientAddr(r.Context(), h.clientAddr(r)))
		p, err := h.principal(r)
		switch {
		case err == nil:
			r = r.WithContext(authz.WithPrincipal(r.Context(), p))
		case errors.Is(err, users.ErrUnauthenticated), errors.Is(err, errNoCredential):
		case errors.Is(err, context.Canceled):
			return
		default:
			// A script with a token gets a problem; a browser the error page.
			page := httpx.ErrorPage(h.errorPage)
			if len(r.Header.Values("Authorization")) > 0 {
				page = nil
			}
			httpx.Respond(w, r, h.log, httpx.Explain(httpx.KindBusy, "Service unavailable",
				"Your sign-in cannot be checked right now. Try again in a minute.", fmt.Errorf("auth: checking a credential: %w", err)), page)
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
