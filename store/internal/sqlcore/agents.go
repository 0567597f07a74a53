package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const agentCols = `id, intake_id, request_id, media_type, size, document_enc, agent_enc, state, decided_by, decided_at, created_at`

func scanAgent(r Rows) (store.AgentPermission, error) {
	var p store.AgentPermission
	var state string
	err := r.Scan(&p.ID, &p.IntakeID, &p.RequestID, &p.MediaType, &p.Size, &p.DocumentEnc, &p.AgentEnc, &state, &p.DecidedBy,
		tc(&p.DecidedAt), tc(&p.CreatedAt))
	p.State, p.DocumentEnc, p.AgentEnc = store.AgentState(state), nilIfEmpty(p.DocumentEnc), nilIfEmpty(p.AgentEnc)
	return p, err
}

// CreateAgentPermission implements store.AgentPermissions.
func (o *Ops) CreateAgentPermission(ctx context.Context, p store.AgentPermission) (store.AgentPermission, error) {
	if p.IntakeID == "" || p.MediaType == "" || p.Size <= 0 || len(p.DocumentEnc) == 0 || len(p.AgentEnc) == 0 {
		return store.AgentPermission{}, fmt.Errorf("%w: an agent's permission needs an intake, a media type, a size, a document and the agent", store.ErrInvalid)
	}
	if p.ID == "" {
		p.ID = store.NewID("agp_")
	}
	if p.State == "" {
		p.State = store.AgentPending
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = o.now()
	}
	_, err := o.exec(ctx, `INSERT INTO agent_permissions (`+agentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, p.IntakeID, p.RequestID, p.MediaType, p.Size, bval(p.DocumentEnc), bval(p.AgentEnc), string(p.State), p.DecidedBy,
		ts(p.DecidedAt), p.CreatedAt.UTC().UnixMicro())
	if err != nil {
		return store.AgentPermission{}, err
	}
	return queryOne(ctx, o, "agent_permission", `SELECT `+agentCols+` FROM agent_permissions WHERE id = $1`, []any{p.ID}, scanAgent)
}

// AgentPermissionByIntake implements store.AgentPermissions.
func (o *Ops) AgentPermissionByIntake(ctx context.Context, intakeID string) (store.AgentPermission, error) {
	return queryOne(ctx, o, "agent_permission", `SELECT `+agentCols+` FROM agent_permissions WHERE intake_id = $1`, []any{intakeID}, scanAgent)
}

// AgentPermissionByRequest implements store.AgentPermissions.
func (o *Ops) AgentPermissionByRequest(ctx context.Context, requestID string) (store.AgentPermission, error) {
	if requestID == "" {
		return store.AgentPermission{}, fmt.Errorf("%w: agent_permission", store.ErrNotFound)
	}
	return queryOne(ctx, o, "agent_permission", `SELECT `+agentCols+` FROM agent_permissions WHERE request_id = $1 ORDER BY created_at, id LIMIT 1`,
		[]any{requestID}, scanAgent)
}

// UpdateAgentPermission implements store.AgentPermissions.
func (o *Ops) UpdateAgentPermission(ctx context.Context, p store.AgentPermission, expected store.AgentState) error {
	c, err := o.exec(ctx, `UPDATE agent_permissions SET request_id = $3, document_enc = $4, agent_enc = $5, state = $6, decided_by = $7, decided_at = $8
		WHERE id = $1 AND state = $2`,
		p.ID, string(expected), p.RequestID, bval(p.DocumentEnc), bval(p.AgentEnc), string(p.State), p.DecidedBy, ts(p.DecidedAt))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := queryOne(ctx, o, "agent_permission", `SELECT `+agentCols+` FROM agent_permissions WHERE id = $1`, []any{p.ID}, scanAgent); err != nil {
			return err
		}
		return fmt.Errorf("%w: agent permission %s is no longer %s", store.ErrStateConflict, p.ID, expected)
	}
	return nil
}

// DeleteAgentPermissionOfIntake implements store.AgentPermissions.
func (o *Ops) DeleteAgentPermissionOfIntake(ctx context.Context, intakeID string) error {
	_, err := o.exec(ctx, `DELETE FROM agent_permissions WHERE intake_id = $1 AND request_id = ''`, intakeID)
	return err
}

var _ store.AgentPermissions = (*Ops)(nil)

const stepUpCols = `id, request_id, token_hash, state, attempts, method, declared_at, created_at, expires_at, settled_at`

func scanStepUp(r Rows) (store.StepUp, error) {
	var s store.StepUp
	var state string
	var attempts int64
	err := r.Scan(&s.ID, &s.RequestID, &s.TokenHash, &state, &attempts, &s.Method, tc(&s.DeclaredAt), tc(&s.CreatedAt), tc(&s.ExpiresAt), tc(&s.SettledAt))
	s.State, s.Attempts = store.StepUpState(state), int(attempts)
	return s, err
}

// CreateStepUp implements store.StepUps.
func (o *Ops) CreateStepUp(ctx context.Context, s store.StepUp) (store.StepUp, error) {
	if s.RequestID == "" || len(s.TokenHash) == 0 || s.ExpiresAt.IsZero() {
		return store.StepUp{}, fmt.Errorf("%w: a step-up needs a request, a token and an expiry", store.ErrInvalid)
	}
	if s.ID == "" {
		s.ID = store.NewID("stu_")
	}
	if s.State == "" {
		s.State = store.StepUpOpen
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = o.now()
	}
	_, err := o.exec(ctx, `INSERT INTO step_ups (`+stepUpCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, s.RequestID, bval(s.TokenHash), string(s.State), int64(s.Attempts), s.Method, ts(s.DeclaredAt), s.CreatedAt.UTC().UnixMicro(),
		s.ExpiresAt.UTC().UnixMicro(), ts(s.SettledAt))
	if err != nil {
		return store.StepUp{}, err
	}
	return queryOne(ctx, o, "step_up", `SELECT `+stepUpCols+` FROM step_ups WHERE id = $1`, []any{s.ID}, scanStepUp)
}

// StepUpByToken implements store.StepUps.
func (o *Ops) StepUpByToken(ctx context.Context, tokenHash []byte) (store.StepUp, error) {
	return queryOne(ctx, o, "step_up", `SELECT `+stepUpCols+` FROM step_ups WHERE token_hash = $1`, []any{bval(tokenHash)}, scanStepUp)
}

// OpenStepUp implements store.StepUps.
func (o *Ops) OpenStepUp(ctx context.Context, requestID string, now time.Time) (store.StepUp, error) {
	return queryOne(ctx, o, "step_up", `SELECT `+stepUpCols+` FROM step_ups WHERE request_id = $1 AND state = $2 AND expires_at > $3
		ORDER BY created_at DESC, id LIMIT 1`, []any{requestID, string(store.StepUpOpen), now.UTC().UnixMicro()}, scanStepUp)
}

// UpdateStepUp implements store.StepUps.
func (o *Ops) UpdateStepUp(ctx context.Context, s, expected store.StepUp) error {
	c, err := o.exec(ctx, `UPDATE step_ups SET state = $3, attempts = $4, method = $5, declared_at = $6, settled_at = $7
		WHERE id = $1 AND state = $2 AND attempts = $8`,
		s.ID, string(expected.State), string(s.State), int64(s.Attempts), s.Method, ts(s.DeclaredAt), ts(s.SettledAt), int64(expected.Attempts))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := queryOne(ctx, o, "step_up", `SELECT `+stepUpCols+` FROM step_ups WHERE id = $1`, []any{s.ID}, scanStepUp); err != nil {
			return err
		}
		return fmt.Errorf("%w: step-up %s is no longer %s after %d attempts", store.ErrStateConflict, s.ID, expected.State, expected.Attempts)
	}
	return nil
}

var _ store.StepUps = (*Ops)(nil)
