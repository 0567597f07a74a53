// Package userstest builds a users.Service on a fresh store for tests (this
// package's, the web packages'), with a clock the test moves, cheap argon2id
// parameters, and helpers to sign a user in and read the audit trail.
package userstest

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// FastParams are argon2id parameters cheap enough for tests (never for use).
var FastParams = users.Params{Memory: 64, Time: 1, Threads: 1}

// Clock is a clock a test sets and moves; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Env is a users.Service on a fresh store.
type Env struct {
	Store   store.Store
	Vault   *vault.Vault
	Chain   *audit.Chain
	Clock   *Clock
	Service *users.Service
}

// New opens a fresh store on b, initialises its vault and audit chain, and
// returns a users.Service on them with FastParams and the clock at a fixed
// date. Adjust the Service's settings before its first use.
func New(t testing.TB, b storetest.Backend) *Env {
	t.Helper()
	ctx := context.Background()
	st := b.Open(t)
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	mk, err := vault.NewLocalMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := vault.Init(ctx, st, mk); err != nil && !errors.Is(err, vault.ErrAlreadyInitialised) {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, st, mk)
	if err != nil {
		t.Fatal(err)
	}
	clock := NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	chain, err := audit.NewChain(v.AuditSigner(), audit.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := &users.Service{Store: st, Vault: v, Chain: chain, Actor: "test", Now: clock.Now, Params: FastParams}
	if err := svc.Init(); err != nil {
		t.Fatal(err)
	}
	return &Env{Store: st, Vault: v, Chain: chain, Clock: clock, Service: svc}
}

// Code returns the TOTP code of secret (base32) at the clock's time.
func (e *Env) Code(t testing.TB, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Enrolled adds an account, signs it in with its password, enrols its
// second factor, and returns its id, the TOTP secret, the recovery codes and
// the signed-in session's cookie value. The clock moves on by one TOTP step
// so that the next code differs.
func (e *Env) Enrolled(t testing.TB, email string, role authz.Role, password string) (id, totpSecret string, recovery []string, cookie string) {
	t.Helper()
	ctx := context.Background()
	id, err := e.Service.Add(ctx, users.AddInput{Email: email, Role: role, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Service.SignIn(ctx, email, password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	en, err := e.Service.BeginEnrolment(ctx, st.Secret)
	if err != nil {
		t.Fatal(err)
	}
	full, codes, err := e.Service.ConfirmEnrolment(ctx, st.Secret, e.Code(t, en.Key.Secret()), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(30 * time.Second)
	return id, en.Key.Secret(), codes, full.Secret
}

// Records returns every audit record, decoded, in order.
func (e *Env) Records(t testing.TB) []audit.Record {
	t.Helper()
	var out []audit.Record
	for sr, err := range e.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		r, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
