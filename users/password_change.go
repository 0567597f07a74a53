package users

import (
	"context"
	"errors"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// PasswordChange is what a signed-in person types to change their password:
// the current one, the new one twice, and the client address the attempt is
// throttled by (as a sign-in is).
type PasswordChange struct {
	Current, New, Confirm string
	Addr                  string
}

// ChangePassword sets a new password on the principal's own account. The new
// password must meet CheckPassword, be typed the same twice and differ from
// the current one (a *PasswordError otherwise, nothing counted). A wrong
// current password is counted against the account and the address like a
// failed sign-in, recorded (user.password_changed, failure) and answered
// with ErrWrongPassword; at the limit the change is refused with a
// *ThrottledError until the window ends, whatever is typed. On success the
// hash is replaced, every other session of the account ends (the one of
// p.SessionID stays signed in), and the audit record names the account and
// the sessions ended, in one transaction. API tokens are kept. It returns how
// many sessions ended.
func (s *Service) ChangePassword(ctx context.Context, p authz.Principal, in PasswordChange) (int, error) {
	if p.UserID == "" {
		return 0, ErrUnauthenticated
	}
	switch {
	case in.New != in.Confirm:
		return 0, &PasswordError{Problem: "and its confirmation differ; type the new password twice alike"}
	case in.New == in.Current && in.New != "":
		return 0, &PasswordError{Problem: "is the current one; choose a new password"}
	}
	if err := CheckPassword(in.New); err != nil {
		return 0, err
	}
	u, err := s.Store.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrUnauthenticated
	}
	if err != nil {
		return 0, err
	}
	if u.Disabled() {
		return 0, ErrUnauthenticated
	}
	now := s.now()
	keys := s.keys(u.EmailIndex, in.Addr)
	if err := s.throttled(ctx, now, keys...); err != nil {
		return 0, err
	}
	ok, err := s.verify(ctx, u.PasswordHash, in.Current)
	if err != nil {
		return 0, err
	}
	if !ok {
		reason := "wrong current password"
		if u.PasswordHash == "" {
			reason = "the account has no password"
		}
		rec := audit.Record{Actor: p.Actor(), Action: audit.ActionUserPasswordChanged, Outcome: audit.OutcomeFailure,
			Reason: reason, ObjectIDs: []string{u.ID}}
		if err := s.countFailure(ctx, now, keys, rec); err != nil {
			return 0, err
		}
		return 0, ErrWrongPassword
	}
	hash, err := s.hash(ctx, in.New)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.PasswordHash != u.PasswordHash || cur.Disabled() {
			// Changed or disabled meanwhile: the current password checked
			// is no longer the account's.
			return ErrWrongPassword
		}
		cur.PasswordHash, cur.UpdatedAt = hash, now
		if err := tx.UpdateUser(ctx, cur); err != nil {
			return err
		}
		ended, err := tx.EndUserSessions(ctx, u.ID, p.SessionID, now, "password_changed")
		if err != nil {
			return err
		}
		n = len(ended)
		if err := tx.ClearSignInFailures(ctx, keys[0].key); err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: p.Actor(), Action: audit.ActionUserPasswordChanged, Outcome: audit.OutcomeSuccess,
			ObjectIDs: append([]string{u.ID}, ended...), Reason: "password changed by its owner; other sessions ended",
			Counts: map[string]int64{"sessions_ended": int64(n)}})
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
