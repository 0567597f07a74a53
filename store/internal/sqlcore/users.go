package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const userCols = `id, email_idx, email_enc, role, password_hash, totp_enc, totp_confirmed, totp_last_step, oidc_subject,
	disabled_at, created_at, updated_at`

func scanUser(r Rows) (store.User, error) {
	var u store.User
	var confirmed int64
	err := r.Scan(&u.ID, &u.EmailIndex, &u.EmailEnc, &u.Role, &u.PasswordHash, &u.TOTPEnc, &confirmed, &u.TOTPLastStep,
		&u.OIDCSubject, tc(&u.DisabledAt), tc(&u.CreatedAt), tc(&u.UpdatedAt))
	u.TOTPConfirmed = confirmed != 0
	u.TOTPEnc = nilIfEmpty(u.TOTPEnc)
	return u, err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateUser implements store.Users.
func (o *Ops) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if len(u.EmailIndex) == 0 || len(u.EmailEnc) == 0 || u.Role == "" {
		return store.User{}, fmt.Errorf("%w: a user needs an email index, an encrypted email and a role", store.ErrInvalid)
	}
	if u.ID == "" {
		u.ID = store.NewID("usr_")
	}
	now := o.now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC().Truncate(time.Microsecond), u.UpdatedAt.UTC().Truncate(time.Microsecond)
	u.DisabledAt = u.DisabledAt.UTC().Truncate(time.Microsecond)
	_, err := o.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, u.EmailIndex, u.EmailEnc, u.Role, u.PasswordHash, nilIfEmpty(u.TOTPEnc), boolInt(u.TOTPConfirmed), u.TOTPLastStep,
		u.OIDCSubject, ts(u.DisabledAt), u.CreatedAt.UnixMicro(), u.UpdatedAt.UnixMicro())
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// GetUser implements store.Users.
func (o *Ops) GetUser(ctx context.Context, id string) (store.User, error) {
	return queryOne(ctx, o, "user", `SELECT `+userCols+` FROM users WHERE id = $1`, []any{id}, scanUser)
}

// UserByEmailIndex implements store.Users.
func (o *Ops) UserByEmailIndex(ctx context.Context, idx []byte) (store.User, error) {
	return queryOne(ctx, o, "user", `SELECT `+userCols+` FROM users WHERE email_idx = $1`, []any{bval(idx)}, scanUser)
}

// ListUsers implements store.Users.
func (o *Ops) ListUsers(ctx context.Context) ([]store.User, error) {
	return queryList(ctx, o, `SELECT `+userCols+` FROM users ORDER BY created_at, id`, nil, scanUser)
}

// UpdateUser implements store.Users.
func (o *Ops) UpdateUser(ctx context.Context, u store.User) error {
	if u.Role == "" {
		return fmt.Errorf("%w: a user needs a role", store.ErrInvalid)
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = o.now()
	}
	n, err := o.exec(ctx, `UPDATE users SET role = $2, password_hash = $3, totp_enc = $4, totp_confirmed = $5,
		totp_last_step = $6, oidc_subject = $7, disabled_at = $8, updated_at = $9 WHERE id = $1`,
		u.ID, u.Role, u.PasswordHash, nilIfEmpty(u.TOTPEnc), boolInt(u.TOTPConfirmed), u.TOTPLastStep, u.OIDCSubject,
		ts(u.DisabledAt), u.UpdatedAt.UnixMicro())
	if err != nil {
		return err
	}
	if n == 0 {
		return store.NotFound("user")
	}
	return nil
}

// UseTOTPStep implements store.Users: one conditional UPDATE, so two requests
// carrying the same code cannot both pass.
func (o *Ops) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	n, err := o.exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := o.GetUser(ctx, userID); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// ReplaceRecoveryCodes implements store.Users.
func (o *Ops) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	return o.Atomic(ctx, func(t *Ops) error {
		if _, err := t.exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if len(h) == 0 {
				return fmt.Errorf("%w: empty recovery code hash", store.ErrInvalid)
			}
			if _, err := t.exec(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode implements store.Users.
func (o *Ops) UseRecoveryCode(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error) {
	n, err := o.exec(ctx, `UPDATE user_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		userID, bval(hash), at.UnixMicro())
	return n == 1, err
}

// UnusedRecoveryCodes implements store.Users.
func (o *Ops) UnusedRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int64
	err := o.queryRow(ctx, `SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, []any{userID}, &n)
	return int(n), err
}

// ---- sessions ----

const sessionCols = `id, secret_hash, user_id, stage, via, created_at, last_seen_at, expires_at, ended_at, end_reason`

func scanSession(r Rows) (store.Session, error) {
	var s store.Session
	var stage string
	err := r.Scan(&s.ID, &s.SecretHash, &s.UserID, &stage, &s.Via, tc(&s.CreatedAt), tc(&s.LastSeenAt), tc(&s.ExpiresAt),
		tc(&s.EndedAt), &s.EndReason)
	s.Stage = store.SessionStage(stage)
	return s, err
}

// CreateSession implements store.Sessions.
func (o *Ops) CreateSession(ctx context.Context, s store.Session) (store.Session, error) {
	if len(s.SecretHash) == 0 || s.UserID == "" || s.Stage == "" || s.Via == "" || s.ExpiresAt.IsZero() {
		return store.Session{}, fmt.Errorf("%w: a session needs a secret hash, a user, a stage, a via and an expiry", store.ErrInvalid)
	}
	if s.ID == "" {
		s.ID = store.NewID("ses_")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = o.now()
	}
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	for _, t := range []*time.Time{&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.EndedAt} {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Microsecond)
		}
	}
	_, err := o.exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, s.SecretHash, s.UserID, string(s.Stage), s.Via, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro(),
		s.ExpiresAt.UnixMicro(), ts(s.EndedAt), s.EndReason)
	if err != nil {
		return store.Session{}, err
	}
	return s, nil
}

// SessionBySecretHash implements store.Sessions.
func (o *Ops) SessionBySecretHash(ctx context.Context, hash []byte) (store.Session, error) {
	return queryOne(ctx, o, "session", `SELECT `+sessionCols+` FROM sessions WHERE secret_hash = $1`, []any{bval(hash)}, scanSession)
}

// GetSession implements store.Sessions.
func (o *Ops) GetSession(ctx context.Context, id string) (store.Session, error) {
	return queryOne(ctx, o, "session", `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, []any{id}, scanSession)
}

// TouchSession implements store.Sessions.
func (o *Ops) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2`,
		id, at.UnixMicro())
	return err
}

// EndSession implements store.Sessions.
func (o *Ops) EndSession(ctx context.Context, id string, at time.Time, reason string) (bool, error) {
	n, err := o.exec(ctx, `UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL`,
		id, at.UnixMicro(), reason)
	return n == 1, err
}

// EndUserSessions implements store.Sessions.
func (o *Ops) EndUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) ([]string, error) {
	var ids []string
	err := o.Atomic(ctx, func(t *Ops) error {
		var err error
		ids, err = queryList(ctx, t, `SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND ended_at IS NULL ORDER BY created_at, id`+t.D.ForUpdate,
			[]any{userID, exceptID}, func(r Rows) (string, error) { var id string; return id, r.Scan(&id) })
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE sessions SET ended_at = $3, end_reason = $4 WHERE user_id = $1 AND id <> $2 AND ended_at IS NULL`,
			userID, exceptID, at.UnixMicro(), reason)
		return err
	})
	return ids, err
}

// UserSessions implements store.Sessions.
func (o *Ops) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	return queryList(ctx, o, `SELECT `+sessionCols+` FROM sessions WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2
		ORDER BY created_at, id`, []any{userID, now.UnixMicro()}, scanSession)
}

// LastSeen implements store.Sessions.
func (o *Ops) LastSeen(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := o.queryAll(ctx, `SELECT user_id, MAX(last_seen_at) FROM sessions WHERE stage = $1 GROUP BY user_id`,
		[]any{string(store.StageFull)}, func(r Rows) error {
			var id string
			var t time.Time
			if err := r.Scan(&id, tc(&t)); err != nil {
				return err
			}
			out[id] = t
			return nil
		})
	return out, err
}

// DeleteSessionsBefore implements store.Sessions.
func (o *Ops) DeleteSessionsBefore(ctx context.Context, before time.Time) (int64, error) {
	return o.exec(ctx, `DELETE FROM sessions WHERE ended_at < $1 OR expires_at < $1`, before.UnixMicro())
}

// ---- API tokens ----

const tokenCols = `id, secret_hash, user_id, name, created_at, expires_at, last_used_at, revoked_at`

func scanToken(r Rows) (store.APIToken, error) {
	var t store.APIToken
	err := r.Scan(&t.ID, &t.SecretHash, &t.UserID, &t.Name, tc(&t.CreatedAt), tc(&t.ExpiresAt), tc(&t.LastUsedAt), tc(&t.RevokedAt))
	return t, err
}

// CreateAPIToken implements store.APITokens.
func (o *Ops) CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error) {
	if len(t.SecretHash) == 0 || t.UserID == "" || t.Name == "" {
		return store.APIToken{}, fmt.Errorf("%w: a token needs a secret hash, a user and a name", store.ErrInvalid)
	}
	if t.ID == "" {
		t.ID = store.NewID("tok_")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = o.now()
	}
	for _, p := range []*time.Time{&t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt} {
		if !p.IsZero() {
			*p = p.UTC().Truncate(time.Microsecond)
		}
	}
	_, err := o.exec(ctx, `INSERT INTO api_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.SecretHash, t.UserID, t.Name, t.CreatedAt.UnixMicro(), ts(t.ExpiresAt), ts(t.LastUsedAt), ts(t.RevokedAt))
	if err != nil {
		return store.APIToken{}, err
	}
	return t, nil
}

// APITokenBySecretHash implements store.APITokens.
func (o *Ops) APITokenBySecretHash(ctx context.Context, hash []byte) (store.APIToken, error) {
	return queryOne(ctx, o, "api_token", `SELECT `+tokenCols+` FROM api_tokens WHERE secret_hash = $1`, []any{bval(hash)}, scanToken)
}

// GetAPIToken implements store.APITokens.
func (o *Ops) GetAPIToken(ctx context.Context, id string) (store.APIToken, error) {
	return queryOne(ctx, o, "api_token", `SELECT `+tokenCols+` FROM api_tokens WHERE id = $1`, []any{id}, scanToken)
}

// APITokens implements store.APITokens.
func (o *Ops) APITokens(ctx context.Context, userID string) ([]store.APIToken, error) {
	if userID == "" {
		return queryList(ctx, o, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`, nil, scanToken)
	}
	return queryList(ctx, o, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id`, []any{userID}, scanToken)
}

// RevokeAPIToken implements store.APITokens.
func (o *Ops) RevokeAPIToken(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := o.exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, at.UnixMicro())
	return n == 1, err
}

// RevokeUserAPITokens implements store.APITokens.
func (o *Ops) RevokeUserAPITokens(ctx context.Context, userID string, at time.Time) ([]string, error) {
	var ids []string
	err := o.Atomic(ctx, func(t *Ops) error {
		var err error
		ids, err = queryList(ctx, t, `SELECT id FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`+t.D.ForUpdate,
			[]any{userID}, func(r Rows) (string, error) { var id string; return id, r.Scan(&id) })
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, at.UnixMicro())
		return err
	})
	return ids, err
}

// TouchAPIToken implements store.APITokens.
func (o *Ops) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
		id, at.UnixMicro())
	return err
}

// ---- sign-in throttle ----

// RecordSignInFailure implements store.SignInThrottle: one upsert, so
// concurrent failures for one key are all counted.
func (o *Ops) RecordSignInFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	if key == "" {
		return 0, time.Time{}, fmt.Errorf("%w: empty throttle key", store.ErrInvalid)
	}
	var n, start int64
	err := o.queryRow(ctx, `INSERT INTO signin_throttle (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN signin_throttle.window_start <= $3 THEN 1 ELSE signin_throttle.failures + 1 END,
			window_start = CASE WHEN signin_throttle.window_start <= $3 THEN $2 ELSE signin_throttle.window_start END
		RETURNING failures, window_start`,
		[]any{key, now.UnixMicro(), now.Add(-window).UnixMicro()}, &n, &start)
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(n), time.UnixMicro(start).UTC(), nil
}

// SignInFailures implements store.SignInThrottle.
func (o *Ops) SignInFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n, start int64
	err := o.queryRow(ctx, `SELECT failures, window_start FROM signin_throttle WHERE key = $1`, []any{key}, &n, &start)
	if err == errNoRows {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(n), time.UnixMicro(start).UTC(), nil
}

// ClearSignInFailures implements store.SignInThrottle.
func (o *Ops) ClearSignInFailures(ctx context.Context, key string) error {
	_, err := o.exec(ctx, `DELETE FROM signin_throttle WHERE key = $1`, key)
	return err
}

// DeleteSignInFailuresBefore implements store.SignInThrottle.
func (o *Ops) DeleteSignInFailuresBefore(ctx context.Context, before time.Time) (int64, error) {
	return o.exec(ctx, `DELETE FROM signin_throttle WHERE window_start < $1`, before.UnixMicro())
}

var (
	_ store.Users          = (*Ops)(nil)
	_ store.Sessions       = (*Ops)(nil)
	_ store.APITokens      = (*Ops)(nil)
	_ store.SignInThrottle = (*Ops)(nil)
)
