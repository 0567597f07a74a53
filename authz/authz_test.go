package authz

import (
	"context"
	"errors"
	"testing"
)

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		got, err := ParseRole(string(r))
		if err != nil || got != r || !got.Valid() {
			t.Fatalf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "root", "privacy officer"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrUnknownRole) {
			t.Fatalf("ParseRole(%q): %v", s, err)
		}
	}
}

func TestPrincipalInContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := PrincipalFrom(ctx); ok {
		t.Fatal("empty context has a principal")
	}
	if got := ActorFrom(ctx, "cli"); got != "cli" {
		t.Fatalf("fallback actor %q", got)
	}
	p := Principal{UserID: "u_01", Role: RoleAgent, Via: ViaSession, SessionID: "s1"}
	ctx = WithPrincipal(ctx, p)
	got, ok := PrincipalFrom(ctx)
	if !ok || got != p {
		t.Fatalf("PrincipalFrom = %+v, %v", got, ok)
	}
	if ActorFrom(ctx, "cli") != "user:u_01" {
		t.Fatalf("actor %q", ActorFrom(ctx, "cli"))
	}
	if !p.Has(RoleAgent, RoleAdmin) || p.Has(RoleAuditor) {
		t.Fatal("Has")
	}
	if (Principal{Role: RoleAdmin}).Has(RoleAdmin) {
		t.Fatal("a principal without a user id has no role")
	}
	if _, ok := PrincipalFrom(WithPrincipal(context.Background(), Principal{Role: RoleAdmin})); ok {
		t.Fatal("a principal without a user id was returned")
	}
}
