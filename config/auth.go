package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/authz"
)

// Auth configures how people sign in to the console and the API (packages
// users and web/auth). Every field has a default; the section may be absent.
type Auth struct {
	// SessionIdle ends a console session unused this long (default 30m; 1m
	// to 24h).
	SessionIdle time.Duration `yaml:"session_idle"`
	// SessionLifetime ends a console session this long after sign-in, used
	// or not (default 12h; at least session_idle, at most 720h).
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	// Throttle limits failed sign-ins.
	Throttle Throttle `yaml:"throttle"`
	// TrustedProxies are the addresses or CIDR ranges of the reverse proxies
	// whose X-Forwarded-For gives the client address (for throttling);
	// otherwise the connection's address is used.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// OIDC is sign-in with the company's identity provider; off unless
	// issuer is set.
	OIDC OIDC `yaml:"oidc"`
}

// Throttle limits failed sign-ins per account and per client address.
type Throttle struct {
	// AccountFailures per account in Window (default 5; 1 to 100).
	AccountFailures int `yaml:"account_failures"`
	// AddressFailures per client address in Window (default 50; 1 to 10000).
	AddressFailures int `yaml:"address_failures"`
	// Window is how long failures count, and how long sign-ins are refused
	// once the limit is reached (default 15m; 1m to 24h).
	Window time.Duration `yaml:"window"`
}

// OIDC configures sign-in through an OpenID Connect provider.
type OIDC struct {
	// Issuer is the provider's issuer URL (https; http only on loopback).
	Issuer string `yaml:"issuer"`
	// ClientID is this product's client id at the provider.
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the environment variable holding the client
	// secret (never the secret itself in the file).
	ClientSecretEnv string `yaml:"client_secret_env"`
	// RedirectURL is this product's callback, ending in /auth/oidc/callback
	// (https; http only on loopback).
	RedirectURL string `yaml:"redirect_url"`
	// Scopes asked for (default openid, email, profile; openid is always asked).
	Scopes []string `yaml:"scopes"`
	// RoleClaim is the ID token claim holding role names: a string or a list
	// of strings (e.g. groups).
	RoleClaim string `yaml:"role_claim"`
	// RoleMap maps a value of RoleClaim to a role (admin, privacy_officer,
	// agent, auditor); when several values map, the most powerful role wins.
	// Empty: the claim's values must be the role names themselves.
	RoleMap map[string]string `yaml:"role_map"`
	// Provision creates an account at the first sign-in of a verified email
	// that has none (default false: an admin adds accounts with `users add`).
	Provision bool `yaml:"provision"`
	// RoleFromProvider makes the claim's role win at every sign-in (default
	// false: roles of existing accounts are managed here).
	RoleFromProvider bool `yaml:"role_from_provider"`
}

// Enabled reports whether sign-in through the identity provider is on.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// ClientSecret reads the client secret from the variable ClientSecretEnv names.
func (o OIDC) ClientSecret() string { return os.Getenv(o.ClientSecretEnv) }

func (c *Config) validateAuth() error {
	a := &c.Auth
	bad := func(field, format string, args ...any) error {
		return &Error{Field: "auth." + field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
	}
	if a.SessionIdle != 0 && (a.SessionIdle < time.Minute || a.SessionIdle > 24*time.Hour) {
		return bad("session_idle", "%v (1m to 24h; 0 for the default, 30m)", a.SessionIdle)
	}
	if a.SessionLifetime != 0 && (a.SessionLifetime < time.Minute || a.SessionLifetime > 720*time.Hour) {
		return bad("session_lifetime", "%v (1m to 720h; 0 for the default, 12h)", a.SessionLifetime)
	}
	if a.SessionIdle != 0 && a.SessionLifetime != 0 && a.SessionLifetime < a.SessionIdle {
		return bad("session_lifetime", "shorter than session_idle")
	}
	if t := a.Throttle; t.AccountFailures < 0 || t.AccountFailures > 100 {
		return bad("throttle.account_failures", "%d (1 to 100; 0 for the default, 5)", t.AccountFailures)
	}
	if t := a.Throttle; t.AddressFailures < 0 || t.AddressFailures > 10000 {
		return bad("throttle.address_failures", "%d (1 to 10000; 0 for the default, 50)", t.AddressFailures)
	}
	if w := a.Throttle.Window; w != 0 && (w < time.Minute || w > 24*time.Hour) {
		return bad("throttle.window", "%v (1m to 24h; 0 for the default, 15m)", w)
	}
	for i, p := range a.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return bad(fmt.Sprintf("trusted_proxies[%d]", i), "not an IP address or CIDR range (e.g. 10.0.0.0/8)")
			}
		}
	}
	o := &a.OIDC
	if !o.Enabled() {
		if o.ClientID != "" || o.RedirectURL != "" || o.RoleClaim != "" || len(o.RoleMap) > 0 {
			return bad("oidc.issuer", "the oidc section has settings but no issuer: set issuer to turn it on")
		}
		return nil
	}
	if err := checkAuthURL(o.Issuer); err != nil {
		return bad("oidc.issuer", "%v", err)
	}
	if o.ClientID == "" {
		return bad("oidc.client_id", "required with an issuer")
	}
	if o.ClientSecretEnv == "" {
		return bad("oidc.client_secret_env", "required with an issuer: the name of the environment variable holding the client secret")
	}
	if err := checkAuthURL(o.RedirectURL); err != nil {
		return bad("oidc.redirect_url", "%v", err)
	}
	if u, _ := url.Parse(o.RedirectURL); u.Path != "/auth/oidc/callback" {
		return bad("oidc.redirect_url", "the path must be /auth/oidc/callback")
	}
	if o.RoleClaim == "" && (o.Provision || o.RoleFromProvider) {
		return bad("oidc.role_claim", "required when provision or role_from_provider is on: the claim holding the role")
	}
	if o.RoleClaim == "" && len(o.RoleMap) > 0 {
		return bad("oidc.role_claim", "required with role_map")
	}
	for k, v := range o.RoleMap {
		if k == "" {
			return bad("oidc.role_map", "an empty claim value")
		}
		if !authz.Role(v).Valid() {
			return bad("oidc.role_map", "a value maps to %q: use admin, privacy_officer, agent or auditor", v)
		}
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "email", "profile"}
	}
	if !slices.Contains(o.Scopes, "openid") {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	return nil
}

// checkAuthURL allows https, and http only to a loopback host (tests, a
// provider on the same machine).
func checkAuthURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not an absolute URL")
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("http is allowed only to a loopback host; use https")
	}
	return fmt.Errorf("scheme must be https")
}
