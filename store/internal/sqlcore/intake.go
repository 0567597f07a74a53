package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const intakeCols = `id, request_type, jurisdiction, identifiers_enc, email_ref, token_hash, code_hash, state, attempts, request_id, created_at, expires_at, settled_at`

func scanIntake(r Rows) (store.Intake, error) {
	var in store.Intake
	var typ, state string
	var attempts int64
	err := r.Scan(&in.ID, &typ, &in.Jurisdiction, &in.IdentifiersEnc, &in.EmailRef, &in.TokenHash, &in.CodeHash, &state, &attempts,
		&in.RequestID, tc(&in.CreatedAt), tc(&in.ExpiresAt), tc(&in.SettledAt))
	in.RequestType, in.State, in.Attempts, in.IdentifiersEnc = store.RequestType(typ), store.IntakeState(state), int(attempts), nilIfEmpty(in.IdentifiersEnc)
	return in, err
}

// CreateIntake implements store.Intakes.
func (o *Ops) CreateIntake(ctx context.Context, in store.Intake) (store.Intake, error) {
	if in.RequestType == "" || in.Jurisdiction == "" || len(in.IdentifiersEnc) == 0 || len(in.TokenHash) == 0 || len(in.CodeHash) == 0 || in.ExpiresAt.IsZero() {
		return store.Intake{}, fmt.Errorf("%w: an intake needs a type, a jurisdiction, identifiers, a token, a code and an expiry", store.ErrInvalid)
	}
	if in.ID == "" {
		in.ID = store.NewID("int_")
	}
	if in.State == "" {
		in.State = store.IntakePending
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = o.now()
	}
	_, err := o.exec(ctx, `INSERT INTO intakes (`+intakeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		in.ID, string(in.RequestType), in.Jurisdiction, bval(in.IdentifiersEnc), in.EmailRef, bval(in.TokenHash), bval(in.CodeHash),
		string(in.State), int64(in.Attempts), in.RequestID, in.CreatedAt.UTC().UnixMicro(), in.ExpiresAt.UTC().UnixMicro(), ts(in.SettledAt))
	if err != nil {
		return store.Intake{}, err
	}
	return o.GetIntake(ctx, in.ID)
}

// GetIntake implements store.Intakes.
func (o *Ops) GetIntake(ctx context.Context, id string) (store.Intake, error) {
	return queryOne(ctx, o, "intake", `SELECT `+intakeCols+` FROM intakes WHERE id = $1`, []any{id}, scanIntake)
}

// IntakeByToken implements store.Intakes.
func (o *Ops) IntakeByToken(ctx context.Context, tokenHash []byte) (store.Intake, error) {
	return queryOne(ctx, o, "intake", `SELECT `+intakeCols+` FROM intakes WHERE token_hash = $1`, []any{bval(tokenHash)}, scanIntake)
}

// UpdateIntake implements store.Intakes.
func (o *Ops) UpdateIntake(ctx context.Context, in, expected store.Intake) error {
	c, err := o.exec(ctx, `UPDATE intakes SET state = $3, attempts = $4, request_id = $5, settled_at = $6, identifiers_enc = $7
		WHERE id = $1 AND state = $2 AND attempts = $8`,
		in.ID, string(expected.State), string(in.State), int64(in.Attempts), in.RequestID, ts(in.SettledAt), bval(in.IdentifiersEnc),
		int64(expected.Attempts))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := o.GetIntake(ctx, in.ID); err != nil {
			return err
		}
		return fmt.Errorf("%w: intake %s is no longer %s after %d attempts", store.ErrStateConflict, in.ID, expected.State, expected.Attempts)
	}
	return nil
}

// CountIntakes implements store.Intakes.
func (o *Ops) CountIntakes(ctx context.Context, now time.Time, emailRef string) (int64, int64, error) {
	var pending, forEmail int64
	err := o.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN email_ref = $3 THEN 1 ELSE 0 END), 0)
		FROM intakes WHERE state = $1 AND expires_at > $2`,
		[]any{string(store.IntakePending), now.UTC().UnixMicro(), emailRef}, &pending, &forEmail)
	return pending, forEmail, err
}

// ExpiredIntakes implements store.Intakes.
func (o *Ops) ExpiredIntakes(ctx context.Context, now time.Time, limit int) ([]store.Intake, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+intakeCols+` FROM intakes WHERE state = $1 AND expires_at <= $2 ORDER BY expires_at, id LIMIT $3`,
		[]any{string(store.IntakePending), now.UTC().UnixMicro(), int64(limit)}, scanIntake)
}

var _ store.Intakes = (*Ops)(nil)

const linkCols = `id, request_id, blob_id, token_hash, email_enc, max_uses, uses, code_hash, code_expires_at, code_attempts, codes_sent, version, expires_at, created_at`

func scanLink(r Rows) (store.DownloadLink, error) {
	var l store.DownloadLink
	var maxUses, uses, attempts, sent, version int64
	err := r.Scan(&l.ID, &l.RequestID, &l.BlobID, &l.TokenHash, &l.EmailEnc, &maxUses, &uses, &l.CodeHash, tc(&l.CodeExpiresAt),
		&attempts, &sent, &version, tc(&l.ExpiresAt), tc(&l.CreatedAt))
	l.MaxUses, l.Uses, l.CodeAttempts, l.CodesSent, l.Version = int(maxUses), int(uses), int(attempts), int(sent), int(version)
	l.CodeHash = nilIfEmpty(l.CodeHash)
	return l, err
}

// CreateDownloadLink implements store.DownloadLinks.
func (o *Ops) CreateDownloadLink(ctx context.Context, l store.DownloadLink) (store.DownloadLink, error) {
	if l.RequestID == "" || l.BlobID == "" || len(l.TokenHash) == 0 || len(l.EmailEnc) == 0 || l.MaxUses < 1 || l.ExpiresAt.IsZero() {
		return store.DownloadLink{}, fmt.Errorf("%w: a download link needs a request, a blob, a token, an address, uses and an expiry", store.ErrInvalid)
	}
	if l.ID == "" {
		l.ID = store.NewID("dl_")
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = o.now()
	}
	_, err := o.exec(ctx, `INSERT INTO download_links (`+linkCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		l.ID, l.RequestID, l.BlobID, bval(l.TokenHash), bval(l.EmailEnc), int64(l.MaxUses), int64(l.Uses), bval(l.CodeHash),
		ts(l.CodeExpiresAt), int64(l.CodeAttempts), int64(l.CodesSent), int64(l.Version), l.ExpiresAt.UTC().UnixMicro(), l.CreatedAt.UTC().UnixMicro())
	if err != nil {
		return store.DownloadLink{}, err
	}
	return queryOne(ctx, o, "download_link", `SELECT `+linkCols+` FROM download_links WHERE id = $1`, []any{l.ID}, scanLink)
}

// DownloadLinkByToken implements store.DownloadLinks.
func (o *Ops) DownloadLinkByToken(ctx context.Context, tokenHash []byte) (store.DownloadLink, error) {
	return queryOne(ctx, o, "download_link", `SELECT `+linkCols+` FROM download_links WHERE token_hash = $1`, []any{bval(tokenHash)}, scanLink)
}

// UpdateDownloadLink implements store.DownloadLinks.
func (o *Ops) UpdateDownloadLink(ctx context.Context, l store.DownloadLink) (store.DownloadLink, error) {
	c, err := o.exec(ctx, `UPDATE download_links SET uses = $3, code_hash = $4, code_expires_at = $5, code_attempts = $6,
		codes_sent = $7, version = version + 1 WHERE id = $1 AND version = $2`,
		l.ID, int64(l.Version), int64(l.Uses), bval(l.CodeHash), ts(l.CodeExpiresAt), int64(l.CodeAttempts), int64(l.CodesSent))
	if err != nil {
		return store.DownloadLink{}, err
	}
	got, err := queryOne(ctx, o, "download_link", `SELECT `+linkCols+` FROM download_links WHERE id = $1`, []any{l.ID}, scanLink)
	if err != nil {
		return store.DownloadLink{}, err
	}
	if c == 0 {
		return store.DownloadLink{}, fmt.Errorf("%w: download link %s changed meanwhile", store.ErrStateConflict, l.ID)
	}
	return got, nil
}

// SpentDownloadLinks implements store.DownloadLinks.
func (o *Ops) SpentDownloadLinks(ctx context.Context, now time.Time, limit int) ([]store.DownloadLink, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+linkCols+` FROM download_links
		WHERE email_enc <> $1 AND (expires_at <= $2 OR uses >= max_uses) ORDER BY expires_at, id LIMIT $3`,
		[]any{[]byte{}, now.UTC().UnixMicro(), int64(limit)}, scanLink)
}

// ForgetDownloadAddress implements store.DownloadLinks.
func (o *Ops) ForgetDownloadAddress(ctx context.Context, id string) error {
	c, err := o.exec(ctx, `UPDATE download_links SET email_enc = $2, version = version + 1 WHERE id = $1`, id, []byte{})
	if err != nil {
		return err
	}
	if c == 0 {
		return store.NotFound("download_link")
	}
	return nil
}

var _ store.DownloadLinks = (*Ops)(nil)
