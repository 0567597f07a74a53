package users_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/users/userstest"
)

// TestChangePassword: the owner changes their password with the current one;
// a mismatch, a weak or unchanged password is refused before anything is
// counted; a wrong current password is counted and recorded; the change ends
// every other session and keeps the current one; the old password no longer
// signs in, the new one does; all in the audit trail by id.
func TestChangePassword(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		const email, next = "owner@example.com", "a much newer passphrase"
		id, key, _, cookieA := e.Enrolled(t, email, authz.RoleAgent, pw)
		pend, err := e.Service.SignIn(bg, email, pw, "192.0.2.7")
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Service.SecondFactor(bg, pend.Secret, e.Code(t, key), "192.0.2.7")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Service.Authenticate(bg, cookieA)
		if err != nil || p.SessionID == "" {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		for _, in := range []users.PasswordChange{
			{Current: pw, New: next, Confirm: next + "x"},
			{Current: pw, New: "short", Confirm: "short"},
			{Current: pw, New: pw, Confirm: pw},
		} {
			if _, err := e.Service.ChangePassword(bg, p, in); !errors.Is(err, users.ErrWeakPassword) {
				t.Errorf("%+v: %v", in.New, err)
			}
		}
		if _, err := e.Service.ChangePassword(bg, p, users.PasswordChange{Current: "not it at all", New: next, Confirm: next, Addr: "192.0.2.8"}); !errors.Is(err, users.ErrWrongPassword) {
			t.Fatalf("wrong current: %v", err)
		}
		if _, err := e.Service.ChangePassword(bg, authz.Principal{}, users.PasswordChange{Current: pw, New: next, Confirm: next}); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("no principal: %v", err)
		}
		n, err := e.Service.ChangePassword(bg, p, users.PasswordChange{Current: pw, New: next, Confirm: next, Addr: "192.0.2.8"})
		if err != nil || n != 1 {
			t.Fatalf("change: %d %v", n, err)
		}
		if _, err := e.Service.Authenticate(bg, cookieA); err != nil {
			t.Errorf("the current session ended: %v", err)
		}
		if _, err := e.Service.Authenticate(bg, b.Secret); !errors.Is(err, users.ErrUnauthenticated) {
			t.Errorf("the other session lives: %v", err)
		}
		if _, err := e.Service.SignIn(bg, email, pw, "192.0.2.9"); !errors.Is(err, users.ErrSignInFailed) {
			t.Errorf("the old password signs in: %v", err)
		}
		if _, err := e.Service.SignIn(bg, email, next, "192.0.2.9"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		recs := e.Records(t)
		var changes []audit.Record
		for _, r := range recs {
			if r.Action == audit.ActionUserPasswordChanged {
				changes = append(changes, r)
			}
		}
		if len(changes) != 2 || changes[0].Outcome != audit.OutcomeFailure || changes[1].Outcome != audit.OutcomeSuccess ||
			changes[1].Actor != "user:"+id || !slices.Equal(changes[1].ObjectIDs, []string{id, b.Session.ID}) || changes[1].Counts["sessions_ended"] != 1 {
			t.Fatalf("audit: %+v", changes)
		}
		noEmail(t, e, email)
	})
}

// TestChangePasswordThrottled: wrong current passwords are throttled like
// sign-ins: at the limit even the right one is refused until the window
// ends, and the account's sign-ins are throttled too.
func TestChangePasswordThrottled(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		const email, next = "guess@example.com", "a much newer passphrase"
		_, _, _, cookie := e.Enrolled(t, email, authz.RolePrivacyOfficer, pw)
		p, err := e.Service.Authenticate(bg, cookie)
		if err != nil {
			t.Fatal(err)
		}
		for i := range users.DefaultAccountFailures {
			if _, err := e.Service.ChangePassword(bg, p, users.PasswordChange{Current: "guess number " + string(rune('a'+i)), New: next, Confirm: next, Addr: "198.51.100.1"}); !errors.Is(err, users.ErrWrongPassword) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		var te *users.ThrottledError
		if _, err := e.Service.ChangePassword(bg, p, users.PasswordChange{Current: pw, New: next, Confirm: next, Addr: "198.51.100.2"}); !errors.As(err, &te) || te.RetryAfter <= 0 {
			t.Fatalf("at the limit: %v", err)
		}
		if _, err := e.Service.SignIn(bg, email, pw, "198.51.100.3"); !errors.Is(err, users.ErrThrottled) {
			t.Fatalf("sign-in at the limit: %v", err)
		}
		e.Clock.Advance(users.DefaultThrottleWindow)
		if _, err := e.Service.ChangePassword(bg, p, users.PasswordChange{Current: pw, New: next, Confirm: next, Addr: "198.51.100.2"}); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}
