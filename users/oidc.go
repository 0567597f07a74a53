package users

import (
	"context"
	"errors"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Identity is what the identity provider vouched for in a verified ID token.
type Identity struct {
	// Subject is the provider's "sub".
	Subject string
	// Email is the verified email (the provider said email_verified).
	Email string
	// Role is the role the configured claim maps to; "" when the claim gave
	// none this product knows.
	Role authz.Role
}

// OIDCPolicy says how identities become accounts.
type OIDCPolicy struct {
	// Provision creates an account at the first sign-in of an email that
	// has none (with Role, which must then be set); otherwise such a sign-in
	// fails with ErrNotProvisioned.
	Provision bool
	// RoleFromProvider makes the provider's role win at every sign-in (the
	// account's role is updated, with an audit record); otherwise the role
	// of an existing account is managed here and the claim only matters when
	// provisioning.
	RoleFromProvider bool
}

// SignInOIDC opens a signed-in session (authz.ViaOIDC) for an identity the
// provider vouched for, matching the account by email and, once matched, by
// subject too (another subject claiming the same email is refused). The
// provider is trusted for the second factor. Failures are audited and answer
// ErrSignInFailed, ErrNotProvisioned or ErrNoRole.
func (s *Service) SignInOIDC(ctx context.Context, id Identity, p OIDCPolicy) (Started, error) {
	now := s.now()
	email, err := NormalizeEmail(id.Email)
	if err != nil || id.Subject == "" {
		return Started{}, s.fail(ctx, now, nil, "", "identity provider gave no usable email or subject")
	}
	idx, err := s.emailIndex(email)
	if err != nil {
		return Started{}, err
	}
	u, err := s.Store.UserByEmailIndex(ctx, idx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !p.Provision {
			_ = s.fail(ctx, now, nil, "", "identity provider sign-in without an account (provisioning off)")
			return Started{}, ErrNotProvisioned
		}
		if !id.Role.Valid() {
			_ = s.fail(ctx, now, nil, "", "identity provider sign-in without a known role")
			return Started{}, ErrNoRole
		}
		uid, err := s.create(ctx, email, id.Role, "", id.Subject, "", "provisioned at the first sign-in through the identity provider")
		if err != nil {
			return Started{}, err
		}
		if u, err = s.Store.GetUser(ctx, uid); err != nil {
			return Started{}, err
		}
	case err != nil:
		return Started{}, err
	}
	switch {
	case u.Disabled():
		return Started{}, s.fail(ctx, now, nil, u.ID, "the account is disabled")
	case u.OIDCSubject != "" && u.OIDCSubject != id.Subject:
		return Started{}, s.fail(ctx, now, nil, u.ID, "identity provider subject does not match the account")
	case p.RoleFromProvider && !id.Role.Valid():
		_ = s.fail(ctx, now, nil, u.ID, "identity provider gave no known role")
		return Started{}, ErrNoRole
	}
	var out Started
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		changed := false
		if cur.OIDCSubject == "" {
			cur.OIDCSubject, changed = id.Subject, true
		}
		if p.RoleFromProvider && string(id.Role) != cur.Role {
			if _, err := s.Chain.Append(ctx, tx, audit.Record{Actor: "oidc", Action: audit.ActionUserRoleChanged,
				Outcome: audit.OutcomeSuccess, ObjectIDs: []string{cur.ID},
				Reason: "role from the identity provider: " + cur.Role + " to " + string(id.Role)}); err != nil {
				return err
			}
			cur.Role, changed = string(id.Role), true
		}
		if changed {
			cur.UpdatedAt = now
			if err := tx.UpdateUser(ctx, cur); err != nil {
				return err
			}
		}
		out, err = s.openFull(ctx, tx, cur, store.Session{}, authz.ViaOIDC, "the identity provider")
		return err
	})
	return out, err
}
