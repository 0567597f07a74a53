// Package authz names who may act through the console and the API: the four
// roles, the Principal a request acts as, and how it travels in a context.
//
// It holds no credentials and checks none. Package users keeps accounts,
// passwords, second factors, sessions and API tokens and turns a cookie or a
// bearer token into a Principal; the web packages attach the roles allowed to
// each route when they register it; workflows read the Principal's Actor for
// their audit records. Keeping the vocabulary here, apart from all three, lets
// each depend on it without depending on the others.
package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Role is what a signed-in user may do. A user has exactly one.
type Role string

// The roles, from most to least power over requests.
const (
	// RoleAdmin manages users and settings and sees the keys' status; it
	// works requests like a privacy officer.
	RoleAdmin Role = "admin"
	// RolePrivacyOfficer does everything on requests, approves erasures
	// filed by someone else and downloads packages.
	RolePrivacyOfficer Role = "privacy_officer"
	// RoleAgent files and works requests; it cannot approve an erasure or
	// download a package.
	RoleAgent Role = "agent"
	// RoleAuditor reads: requests without decrypted identifiers, the audit
	// trail and its verification, metrics, retention runs.
	RoleAuditor Role = "auditor"
)

// Roles lists every role, in the order above.
var Roles = []Role{RoleAdmin, RolePrivacyOfficer, RoleAgent, RoleAuditor}

// ErrUnknownRole is returned by ParseRole for a name that is not a role.
var ErrUnknownRole = errors.New("authz: unknown role")

// ParseRole returns the role named s ("admin", "privacy_officer", "agent",
// "auditor").
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("%w %q: use one of admin, privacy_officer, agent, auditor", ErrUnknownRole, s)
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Via says how a Principal proved who it is.
type Via string

const (
	// ViaSession is a console session cookie.
	ViaSession Via = "session"
	// ViaToken is an API bearer token.
	ViaToken Via = "token"
	// ViaOIDC is a console session opened through the identity provider;
	// it behaves as ViaSession.
	ViaOIDC Via = "oidc"
)

// Principal is the user a request acts as.
type Principal struct {
	// UserID is the store's id of the user: never an email, so that it
	// may appear in audit records and logs.
	UserID string
	// Role is the user's role when the session or token was checked.
	Role Role
	// Via says how it was authenticated.
	Via Via
	// SessionID or TokenID is the id (never the secret) of what
	// authenticated it, so that signing out can end it.
	SessionID string
	TokenID   string
}

// Actor is the name of p in audit records: "user:<id>".
func (p Principal) Actor() string { return "user:" + p.UserID }

// Has reports whether p's role is one of roles.
func (p Principal) Has(roles ...Role) bool { return p.UserID != "" && slices.Contains(roles, p.Role) }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// PrincipalFrom returns the Principal ctx carries, and whether there is one.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok && p.UserID != ""
}

// ActorFrom returns the audit actor of ctx's Principal, or fallback when ctx
// carries none (the CLI, the worker).
func ActorFrom(ctx context.Context, fallback string) string {
	if p, ok := PrincipalFrom(ctx); ok {
		return p.Actor()
	}
	return fallback
}
