package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAuthSection(t *testing.T) {
	ok := `auth:
  session_idle: 20m
  session_lifetime: 8h
  throttle: {account_failures: 3, address_failures: 30, window: 10m}
  trusted_proxies: [10.0.0.0/8, 127.0.0.1]
  oidc:
    issuer: https://idp.example.com
    client_id: intercom-privacy
    client_secret_env: OIDC_SECRET
    redirect_url: https://privacy.example.com/auth/oidc/callback
    role_claim: groups
    role_map: {dpo: privacy_officer, support: agent}
    provision: true
`
	c, err := Parse("c.yaml", strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Auth.OIDC.Enabled() || c.Auth.OIDC.Scopes[0] != "openid" || c.Auth.Throttle.AccountFailures != 3 {
		t.Fatalf("%+v", c.Auth)
	}
	for name, tc := range map[string]struct{ yaml, field string }{
		"idle":        {"auth: {session_idle: 1s}", "auth.session_idle"},
		"lifetime":    {"auth: {session_idle: 2h, session_lifetime: 1h}", "auth.session_lifetime"},
		"throttle":    {"auth: {throttle: {account_failures: -1}}", "auth.throttle.account_failures"},
		"window":      {"auth: {throttle: {window: 48h}}", "auth.throttle.window"},
		"proxy":       {"auth: {trusted_proxies: [proxy.local]}", "auth.trusted_proxies[0]"},
		"no issuer":   {"auth: {oidc: {client_id: x}}", "auth.oidc.issuer"},
		"http issuer": {"auth: {oidc: {issuer: 'http://idp.example.com', client_id: x, client_secret_env: S, redirect_url: 'https://a.example/auth/oidc/callback'}}", "auth.oidc.issuer"},
		"no client":   {"auth: {oidc: {issuer: 'https://idp.example.com'}}", "auth.oidc.client_id"},
		"no secret":   {"auth: {oidc: {issuer: 'https://idp.example.com', client_id: x}}", "auth.oidc.client_secret_env"},
		"redirect":    {"auth: {oidc: {issuer: 'https://idp.example.com', client_id: x, client_secret_env: S, redirect_url: 'https://a.example/cb'}}", "auth.oidc.redirect_url"},
		"role claim":  {"auth: {oidc: {issuer: 'https://idp.example.com', client_id: x, client_secret_env: S, redirect_url: 'https://a.example/auth/oidc/callback', provision: true}}", "auth.oidc.role_claim"},
		"role map":    {"auth: {oidc: {issuer: 'https://idp.example.com', client_id: x, client_secret_env: S, redirect_url: 'https://a.example/auth/oidc/callback', role_claim: g, role_map: {a: root}}}", "auth.oidc.role_map"},
	} {
		_, err := Parse("c.yaml", strings.NewReader(tc.yaml))
		var ce *Error
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want an error on %s", name, err, tc.field)
		}
	}
}
