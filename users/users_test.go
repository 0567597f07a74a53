package users_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/users/userstest"
)

var bg = context.Background()

const pw = "correct horse battery staple"

func each(t *testing.T, f func(t *testing.T, e *userstest.Env)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { f(t, userstest.New(t, b)) })
	}
}

func actions(recs []audit.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Action)+"/"+string(r.Outcome))
	}
	return out
}

// noEmail fails if any audit record holds the email (they name ids only).
func noEmail(t *testing.T, e *userstest.Env, emails ...string) {
	t.Helper()
	for _, r := range e.Records(t) {
		s := r.Actor + r.Reason + strings.Join(r.ObjectIDs, ",")
		for _, em := range emails {
			if strings.Contains(strings.ToLower(s), strings.ToLower(em)) {
				t.Fatalf("audit record %d holds an email", r.Seq)
			}
		}
	}
}

func TestSignInEnrolSecondFactorSignOut(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		id, secret, codes, cookie := e.Enrolled(t, "Ada@Example.com", authz.RolePrivacyOfficer, pw)
		if len(codes) != users.RecoveryCodes {
			t.Fatalf("%d recovery codes", len(codes))
		}
		p, err := s.Authenticate(bg, cookie)
		if err != nil || p.UserID != id || p.Role != authz.RolePrivacyOfficer || p.Via != authz.ViaSession || p.SessionID == "" {
			t.Fatalf("authenticate: %+v, %v", p, err)
		}

		// The second sign-in asks for the code; the pending session is not a
		// principal, and the signed-in one comes under a new secret.
		st, err := s.SignIn(bg, "ada@example.com", pw, "192.0.2.1")
		if err != nil || st.Session.Stage != store.StagePassword {
			t.Fatalf("sign in: %+v, %v", st.Session, err)
		}
		if _, err := s.Authenticate(bg, st.Secret); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("a session awaiting its second factor authenticated: %v", err)
		}
		code := e.Code(t, secret)
		full, err := s.SecondFactor(bg, st.Secret, code, "192.0.2.1")
		if err != nil || full.Secret == st.Secret || full.Session.ID == st.Session.ID {
			t.Fatalf("second factor: %+v, %v (want a rotated session)", full.Session, err)
		}
		if _, err := s.Stage(bg, st.Secret); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatal("the pending session outlived its rotation")
		}
		// The same code again (a replay) is refused, within its step.
		st2, err := s.SignIn(bg, "ada@example.com", pw, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SecondFactor(bg, st2.Secret, code, "192.0.2.1"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("replayed TOTP code: %v", err)
		}
		// A recovery code works once, typed any way.
		rc := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))
		if _, err := s.SecondFactor(bg, st2.Secret, rc, "192.0.2.1"); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		st3, _ := s.SignIn(bg, "ada@example.com", pw, "192.0.2.1")
		if _, err := s.SecondFactor(bg, st3.Secret, codes[0], "192.0.2.1"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("recovery code used twice: %v", err)
		}

		// Sign-out ends the session: the same cookie replayed is refused.
		if err := s.SignOut(bg, full.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(bg, full.Secret); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("cookie replayed after sign-out: %v", err)
		}
		if err := s.SignOut(bg, full.Secret); err != nil {
			t.Fatalf("signing out twice: %v", err)
		}
		// Sign out everywhere ends the first session too.
		if n, err := s.SignOutEverywhere(bg, p); err != nil || n < 1 {
			t.Fatalf("everywhere: %d, %v", n, err)
		}
		if _, err := s.Authenticate(bg, cookie); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("session survived sign out everywhere: %v", err)
		}

		acts := strings.Join(actions(e.Records(t)), " ")
		for _, want := range []string{"user.added/success", "user.enrolled/success", "auth.sign_in/success", "auth.sign_in/failure", "auth.session_ended/success"} {
			if !strings.Contains(acts, want) {
				t.Errorf("audit trail lacks %s: %s", want, acts)
			}
		}
		noEmail(t, e, "ada@example.com")
	})
}

func TestThrottleSameAnswerForUnknownAccounts(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		if _, err := s.Add(bg, users.AddInput{Email: "known@example.com", Role: authz.RoleAgent, Password: pw}); err != nil {
			t.Fatal(err)
		}
		answers := map[string][]string{}
		for _, email := range []string{"known@example.com", "nobody@example.com"} {
			for i := range users.DefaultAccountFailures + 1 {
				_, err := s.SignIn(bg, email, "wrong password "+string(rune('a'+i)), "198.51.100.7")
				answers[email] = append(answers[email], errClass(err))
			}
			// Even the right password is refused while throttled.
			_, err := s.SignIn(bg, email, pw, "198.51.100.7")
			answers[email] = append(answers[email], errClass(err))
		}
		k, u := strings.Join(answers["known@example.com"], ","), strings.Join(answers["nobody@example.com"], ",")
		if k != u {
			t.Fatalf("known account answered %s, unknown %s", k, u)
		}
		if want := "failed,failed,failed,failed,failed,throttled,throttled"; k != want {
			t.Fatalf("answers %s, want %s", k, want)
		}
		var te *users.ThrottledError
		_, err := s.SignIn(bg, "known@example.com", pw, "198.51.100.7")
		if !errors.As(err, &te) || te.RetryAfter <= 0 || te.RetryAfter > users.DefaultThrottleWindow {
			t.Fatalf("throttled: %v", err)
		}
		e.Clock.Advance(users.DefaultThrottleWindow)
		if st, err := s.SignIn(bg, "known@example.com", pw, "198.51.100.7"); err != nil || st.Session.Stage != store.StageEnrol {
			t.Fatalf("after the window: %v", err)
		}
		// One throttled-from-now record per key reaching its limit, not one
		// per refused attempt.
		n := 0
		for _, r := range e.Records(t) {
			if r.Action == audit.ActionSignIn && r.Outcome == audit.OutcomeFailure {
				n++
			}
		}
		if n != 2*users.DefaultAccountFailures {
			t.Fatalf("%d failure records, want %d", n, 2*users.DefaultAccountFailures)
		}
		noEmail(t, e, "known@example.com", "nobody@example.com")
	})
}

func TestThrottlePerAddress(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		s.AddressFailures = 3
		// Something that is not an email fails like a wrong password and
		// counts against the address.
		if _, err := s.SignIn(bg, "not an email", "nope nope nope", "2001:db8::1"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("not an email: %v", err)
		}
		for i := range 2 {
			if _, err := s.SignIn(bg, "user"+string(rune('a'+i))+"@example.com", "nope nope nope", "2001:db8::1"); !errors.Is(err, users.ErrSignInFailed) {
				t.Fatal(err)
			}
		}
		// Another account from the same /64: throttled; from elsewhere: not.
		if _, err := s.SignIn(bg, "fresh@example.com", "nope nope nope", "2001:db8::ffff"); !errors.Is(err, users.ErrThrottled) {
			t.Fatalf("same address: %v", err)
		}
		if _, err := s.SignIn(bg, "fresh@example.com", "nope nope nope", "2001:db8:1::1"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("other address: %v", err)
		}
	})
}

func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, users.ErrThrottled):
		return "throttled"
	case errors.Is(err, users.ErrSignInFailed):
		return "failed"
	}
	return err.Error()
}

func TestSessionIdleAndAbsoluteLifetime(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		_, _, _, cookie := e.Enrolled(t, "ida@example.com", authz.RoleAuditor, pw)
		p, err := s.Authenticate(bg, cookie)
		if err != nil {
			t.Fatal(err)
		}
		ses, err := e.Store.GetSession(bg, p.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		start := ses.CreatedAt
		e.Clock.Advance(users.DefaultSessionIdle - time.Minute)
		if _, err := s.Authenticate(bg, cookie); err != nil {
			t.Fatalf("before the idle timeout: %v", err)
		}
		// Used every 20 minutes, it lives until its absolute lifetime.
		for e.Clock.Now().Sub(start) < users.DefaultSessionLifetime+time.Hour {
			e.Clock.Advance(20 * time.Minute)
			_, err := s.Authenticate(bg, cookie)
			alive := e.Clock.Now().Sub(start) < users.DefaultSessionLifetime
			if alive != (err == nil) {
				t.Fatalf("at %v after sign-in: %v", e.Clock.Now().Sub(start), err)
			}
		}
		// Idle: a new session left alone for the idle timeout is refused.
		_, sec, _, c2 := e.Enrolled(t, "idle@example.com", authz.RoleAgent, pw)
		_ = sec
		e.Clock.Advance(users.DefaultSessionIdle)
		if _, err := s.Authenticate(bg, c2); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("idle session: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		id, err := s.Add(bg, users.AddInput{Email: "bot@example.com", Role: authz.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		ttl, err := users.ParseExpiry("90d")
		if err != nil {
			t.Fatal(err)
		}
		secret, tok, err := s.CreateToken(bg, "bot@example.com", "nightly", ttl)
		if err != nil || !strings.HasPrefix(secret, users.TokenPrefix) || tok.UserID != id {
			t.Fatalf("create: %+v, %v", tok, err)
		}
		p, err := s.AuthenticateToken(bg, secret)
		if err != nil || p.UserID != id || p.Via != authz.ViaToken || p.TokenID != tok.ID {
			t.Fatalf("authenticate: %+v, %v", p, err)
		}
		// Change one character in the middle to another valid one (the last
		// character carries only 2 bits, so it could already be the one chosen).
		mid := len(secret) / 2
		swap := "A"
		if secret[mid] == 'A' {
			swap = "B"
		}
		altered := secret[:mid] + swap + secret[mid+1:]
		if _, err := s.AuthenticateToken(bg, altered); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("altered token: %v", err)
		}
		// Revoked mid-use: the next request is refused.
		if _, err := s.RevokeToken(bg, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(bg, secret); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("revoked token: %v", err)
		}
		if _, err := s.RevokeToken(bg, "tok_missing"); !errors.Is(err, users.ErrNoToken) {
			t.Fatalf("unknown token: %v", err)
		}
		// Expiry.
		short, _, err := s.CreateToken(bg, "bot@example.com", "short", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Hour)
		if _, err := s.AuthenticateToken(bg, short); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("expired token: %v", err)
		}
		// A disabled account's tokens stop.
		live, _, err := s.CreateToken(bg, "bot@example.com", "live", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Disable(bg, "bot@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(bg, live); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatalf("disabled account's token: %v", err)
		}
		list, err := s.Tokens(bg, "bot@example.com")
		if err != nil || len(list) != 3 || list[2].Active(e.Clock.Now()) {
			t.Fatalf("list: %+v, %v", list, err)
		}
		acts := strings.Join(actions(e.Records(t)), " ")
		for _, want := range []string{"auth.token_created/success", "auth.token_revoked/success", "user.disabled/success"} {
			if !strings.Contains(acts, want) {
				t.Errorf("audit trail lacks %s", want)
			}
		}
	})
}

func TestDisableAndReset(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		_, _, _, cookie := e.Enrolled(t, "dee@example.com", authz.RoleAgent, pw)
		if _, err := s.Reset(bg, users.ResetInput{Email: "dee@example.com", Password: "a brand new passphrase"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(bg, cookie); !errors.Is(err, users.ErrUnauthenticated) {
			t.Fatal("a session survived the reset")
		}
		if _, err := s.SignIn(bg, "dee@example.com", pw, "192.0.2.9"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("old password after reset: %v", err)
		}
		st, err := s.SignIn(bg, "dee@example.com", "a brand new passphrase", "192.0.2.9")
		if err != nil || st.Session.Stage != store.StageEnrol {
			t.Fatalf("after reset: %+v, %v (want enrolment again)", st.Session, err)
		}
		if _, err := s.Disable(bg, "dee@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Disable(bg, "dee@example.com"); !errors.Is(err, users.ErrDisabled) {
			t.Fatalf("disable twice: %v", err)
		}
		if _, err := s.SignIn(bg, "dee@example.com", "a brand new passphrase", "192.0.2.9"); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("disabled account signed in: %v", err)
		}
		list, err := s.List(bg)
		if err != nil || len(list) != 1 || list[0].Email != "dee@example.com" || !list[0].Disabled || list[0].Enrolled || list[0].LastSeen.IsZero() {
			t.Fatalf("list: %+v, %v", list, err)
		}
		if _, err := s.Add(bg, users.AddInput{Email: "DEE@example.com", Role: authz.RoleAgent}); !errors.Is(err, users.ErrUserExists) {
			t.Fatalf("same email twice: %v", err)
		}
		if _, err := s.Add(bg, users.AddInput{Email: "x@example.com", Role: authz.RoleAgent, Password: "short"}); !errors.Is(err, users.ErrWeakPassword) {
			t.Fatalf("short password: %v", err)
		}
		if _, err := s.Add(bg, users.AddInput{Email: "not an email", Role: authz.RoleAgent}); !errors.Is(err, users.ErrInvalidEmail) {
			t.Fatalf("bad email: %v", err)
		}
		if _, err := s.Add(bg, users.AddInput{Email: "y@example.com", Role: "root"}); !errors.Is(err, authz.ErrUnknownRole) {
			t.Fatalf("bad role: %v", err)
		}
		noEmail(t, e, "dee@example.com")
	})
}

func TestOIDCSignIn(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		if _, err := s.SignInOIDC(bg, users.Identity{Subject: "s1", Email: "new@example.com", Role: authz.RoleAgent}, users.OIDCPolicy{}); !errors.Is(err, users.ErrNotProvisioned) {
			t.Fatalf("provisioning off: %v", err)
		}
		st, err := s.SignInOIDC(bg, users.Identity{Subject: "s1", Email: "new@example.com", Role: authz.RoleAgent}, users.OIDCPolicy{Provision: true, RoleFromProvider: true})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(bg, st.Secret)
		if err != nil || p.Role != authz.RoleAgent || p.Via != authz.ViaOIDC {
			t.Fatalf("principal: %+v, %v", p, err)
		}
		// The claim now maps to another role: it wins, audited.
		st, err = s.SignInOIDC(bg, users.Identity{Subject: "s1", Email: "new@example.com", Role: authz.RoleAuditor}, users.OIDCPolicy{RoleFromProvider: true})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Authenticate(bg, st.Secret); p.Role != authz.RoleAuditor {
			t.Fatalf("role after change: %s", p.Role)
		}
		// Another subject with the same email is refused.
		if _, err := s.SignInOIDC(bg, users.Identity{Subject: "s2", Email: "new@example.com", Role: authz.RoleAuditor}, users.OIDCPolicy{}); !errors.Is(err, users.ErrSignInFailed) {
			t.Fatalf("other subject: %v", err)
		}
		if !strings.Contains(strings.Join(actions(e.Records(t)), " "), "user.role_changed/success") {
			t.Error("role change not audited")
		}
		noEmail(t, e, "new@example.com")
	})
}

func TestSweep(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		_, _, _, cookie := e.Enrolled(t, "sw@example.com", authz.RoleAgent, pw)
		if err := s.SignOut(bg, cookie); err != nil {
			t.Fatal(err)
		}
		_, _ = s.SignIn(bg, "sw@example.com", "wrong wrong wrong", "192.0.2.5")
		if r, err := s.Sweep(bg); err != nil || r.Sessions != 0 || r.ThrottleKeys != 0 {
			t.Fatalf("nothing old yet: %+v, %v", r, err)
		}
		e.Clock.Advance(users.SessionKeep + time.Hour)
		r, err := s.Sweep(bg)
		// The enrolment's pending session and the signed-in one; the
		// account and the address keys.
		if err != nil || r.Sessions != 2 || r.ThrottleKeys != 2 {
			t.Fatalf("sweep: %+v, %v", r, err)
		}
	})
}

func TestConcurrentSameCodeOnce(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		_, secret, _, _ := e.Enrolled(t, "cc@example.com", authz.RoleAgent, pw)
		var pending []string
		for range 4 {
			st, err := s.SignIn(bg, "cc@example.com", pw, "192.0.2.77")
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, st.Secret)
		}
		code := e.Code(t, secret)
		results := make(chan error, len(pending))
		for _, p := range pending {
			go func() {
				_, err := s.SecondFactor(bg, p, code, "192.0.2.77")
				results <- err
			}()
		}
		ok := 0
		for range pending {
			err := <-results
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, users.ErrSignInFailed):
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("one TOTP code signed in %d sessions at once; want 1", ok)
		}
	})
}

// An admin acting through the console: the audit records name the admin's
// user id as the actor, the invited account by id.
func TestInviteAndDisableByIDAsAdmin(t *testing.T) {
	each(t, func(t *testing.T, e *userstest.Env) {
		s := e.Service
		adminID, err := s.Add(bg, users.AddInput{Email: "boss@example.com", Role: authz.RoleAdmin, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		ctx := authz.WithPrincipal(bg, authz.Principal{UserID: adminID, Role: authz.RoleAdmin, Via: authz.ViaSession})
		id, password, err := s.Invite(ctx, "new@example.com", authz.RoleAuditor)
		if err != nil || len(password) != 24 {
			t.Fatalf("invite: %v", err)
		}
		if st, err := s.SignIn(bg, "new@example.com", password, "192.0.2.3"); err != nil || st.Session.Stage != store.StageEnrol {
			t.Fatalf("the invited person signs in with the password: %v", err)
		}
		if err := s.DisableID(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableID(ctx, "usr_missing"); !errors.Is(err, users.ErrNoUser) {
			t.Fatalf("unknown id: %v", err)
		}
		// The last active admin stays; with a second one, the first can go.
		if err := s.DisableID(ctx, adminID); !errors.Is(err, users.ErrLastAdmin) {
			t.Fatalf("last admin: %v", err)
		}
		if _, err := s.Add(bg, users.AddInput{Email: "boss2@example.com", Role: authz.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableID(ctx, adminID); err != nil {
			t.Fatalf("an admin with another beside: %v", err)
		}
		var seen int
		for _, r := range e.Records(t) {
			if (r.Action == audit.ActionUserAdded || r.Action == audit.ActionUserDisabled) && len(r.ObjectIDs) > 0 && r.ObjectIDs[0] == id {
				if r.Actor != "user:"+adminID {
					t.Fatalf("%s by %q, want the admin", r.Action, r.Actor)
				}
				seen++
			}
		}
		if seen != 2 {
			t.Fatalf("%d records of the admin's actions, want 2", seen)
		}
	})
}
