package users

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Limits of API tokens.
const (
	MaxTokenNameLen = 100
	// MaxTokenLifetime is the longest expiry a token may be given.
	MaxTokenLifetime = 5 * 365 * 24 * time.Hour
)

// ParseExpiry reads a token lifetime: a number of days ("90d") or a Go
// duration ("12h", "90m"); "" and "never" mean none (0). It refuses zero,
// negative and longer-than-MaxTokenLifetime values with an error that names
// the accepted forms, never the value.
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 32)
		if err != nil || n == 0 || n > uint64(MaxTokenLifetime/(24*time.Hour)) {
			return 0, fmt.Errorf("%w: the expiry must be 1d to %dd, a duration such as 12h, or never", ErrInvalidToken, MaxTokenLifetime/(24*time.Hour))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 || d > MaxTokenLifetime {
			return 0, fmt.Errorf("%w: the expiry must be a number of days (90d), a duration such as 12h, or never", ErrInvalidToken)
		}
	}
	if d < time.Minute {
		return 0, fmt.Errorf("%w: the expiry must be at least a minute", ErrInvalidToken)
	}
	return d, nil
}

func checkTokenName(name string) error {
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxTokenNameLen ||
		strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("%w: a token name is 1 to %d printable characters", ErrInvalidToken, MaxTokenNameLen)
	}
	return nil
}

// Token describes an API token (never its secret).
type Token struct {
	ID         string
	UserID     string
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Active reports whether the token works at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

func tokenOf(t store.APIToken) Token {
	return Token{ID: t.ID, UserID: t.UserID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// CreateToken creates an API token for the account of email, valid for ttl
// (0: until revoked), and returns its secret, to be shown once (only its hash
// is stored), with the audit record in the same transaction. The name is for
// its owner's list and is not written to the audit trail.
func (s *Service) CreateToken(ctx context.Context, email, name string, ttl time.Duration) (string, Token, error) {
	if err := checkTokenName(name); err != nil {
		return "", Token{}, err
	}
	if ttl < 0 || ttl > MaxTokenLifetime {
		return "", Token{}, fmt.Errorf("%w: the expiry is out of range", ErrInvalidToken)
	}
	u, err := s.byEmail(ctx, email)
	if err != nil {
		return "", Token{}, err
	}
	if u.Disabled() {
		return "", Token{}, ErrDisabled
	}
	secret, hash := newSecret(TokenPrefix)
	actor := s.actor(ctx)
	var tok store.APIToken
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		now := s.now()
		t := store.APIToken{SecretHash: hash, UserID: u.ID, Name: name, CreatedAt: now}
		if ttl > 0 {
			t.ExpiresAt = now.Add(ttl)
		}
		var err error
		if tok, err = tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionTokenCreated, Outcome: audit.OutcomeSuccess,
			ObjectIDs: []string{u.ID, tok.ID}})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, tokenOf(tok), nil
}

// Tokens lists the tokens of the account of email ("" for every account),
// oldest first.
func (s *Service) Tokens(ctx context.Context, email string) ([]Token, error) {
	id := ""
	if email != "" {
		u, err := s.byEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		id = u.ID
	}
	ts, err := s.Store.APITokens(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(ts))
	for i, t := range ts {
		out[i] = tokenOf(t)
	}
	return out, nil
}

// RevokeToken revokes the token with this id, with the audit record, in one
// transaction; from the next request on, the token is refused. Revoking a
// revoked token changes nothing; an unknown id is ErrNoToken.
func (s *Service) RevokeToken(ctx context.Context, id string) (Token, error) {
	actor := s.actor(ctx)
	var out store.APIToken
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.GetAPIToken(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoToken
		}
		if err != nil {
			return err
		}
		now := s.now()
		ok, err := tx.RevokeAPIToken(ctx, id, now)
		if err != nil || !ok {
			out = t
			return err
		}
		t.RevokedAt = now
		out = t
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionTokenRevoked, Outcome: audit.OutcomeSuccess,
			ObjectIDs: []string{t.UserID, t.ID}})
		return err
	})
	return tokenOf(out), err
}

// AuthenticateToken returns the Principal of an API token (the value after
// "Bearer "). The token and its account are read at every call, so a revoked
// token or a disabled account is refused at the next request. It returns
// ErrUnauthenticated for a malformed, unknown, revoked or expired token, or
// a disabled account.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (authz.Principal, error) {
	h, err := ParseSecret(TokenPrefix, secret)
	if err != nil {
		return authz.Principal{}, ErrUnauthenticated
	}
	t, err := s.Store.APITokenBySecretHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return authz.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return authz.Principal{}, err
	}
	now := s.now()
	if !tokenOf(t).Active(now) {
		return authz.Principal{}, ErrUnauthenticated
	}
	u, err := s.Store.GetUser(ctx, t.UserID)
	if err != nil || u.Disabled() {
		return authz.Principal{}, ErrUnauthenticated
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.Store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return authz.Principal{}, err
		}
	}
	return authz.Principal{UserID: u.ID, Role: authz.Role(u.Role), Via: authz.ViaToken, TokenID: t.ID}, nil
}
