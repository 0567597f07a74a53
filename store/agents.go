package store

import (
	"context"
	"time"
)

// AgentState is where an authorised agent's permission stands.
type AgentState string

// The states of an AgentPermission.
const (
	// AgentPending: uploaded, waiting for an operator's decision; the
	// request's run waits.
	AgentPending AgentState = "pending"
	// AgentAccepted: an operator accepted the permission.
	AgentAccepted AgentState = "accepted"
	// AgentRefused: an operator refused it; the request is denied (CCPA Regs
	// §7063(a)).
	AgentRefused AgentState = "refused"
)

// AgentPermission is the signed permission an authorised agent (CCPA Regs
// §7063) uploaded with a request filed on the public form for someone. The
// document and the agent's details are ciphertext: under the intake's key
// until the person confirms, then under the request's own key.
type AgentPermission struct {
	ID          string
	IntakeID    string
	RequestID   string
	MediaType   string
	Size        int64
	DocumentEnc []byte
	AgentEnc    []byte
	State       AgentState
	// DecidedBy is the actor id of the operator who decided.
	DecidedBy string
	DecidedAt time.Time
	CreatedAt time.Time
}

// AgentPermissions keeps the permissions of authorised agents.
type AgentPermissions interface {
	// CreateAgentPermission inserts a pending permission (ID generated when
	// empty).
	CreateAgentPermission(ctx context.Context, p AgentPermission) (AgentPermission, error)
	// AgentPermissionByIntake returns the permission uploaded with an intake.
	AgentPermissionByIntake(ctx context.Context, intakeID string) (AgentPermission, error)
	// AgentPermissionByRequest returns the permission of a filed request.
	AgentPermissionByRequest(ctx context.Context, requestID string) (AgentPermission, error)
	// UpdateAgentPermission replaces RequestID, DocumentEnc, AgentEnc,
	// State, DecidedBy and DecidedAt if the stored State is still expected;
	// otherwise ErrStateConflict.
	UpdateAgentPermission(ctx context.Context, p AgentPermission, expected AgentState) error
	// DeleteAgentPermissionOfIntake deletes the permission of an intake that
	// expired (nothing when there is none).
	DeleteAgentPermissionOfIntake(ctx context.Context, intakeID string) error
}

// StepUpState is where an offer to reach the higher verification level
// stands.
type StepUpState string

// The states of a StepUp.
const (
	// StepUpOpen: offered; the request's run waits until it is settled or
	// expires.
	StepUpOpen StepUpState = "open"
	// StepUpRaised: the person matched a second data point (and signed the
	// declaration where the law asks it); the request is at the high level.
	StepUpRaised StepUpState = "raised"
	// StepUpDeclined: the person chose the lower level's answer.
	StepUpDeclined StepUpState = "declined"
	// StepUpFailed: too many wrong answers.
	StepUpFailed StepUpState = "failed"
)

// StepUp is the offer, after the e-mail link, to verify to a reasonably high
// degree of certainty (CCPA Regs §7062(c)). The token is a digest; the typed
// answer and name are never stored.
type StepUp struct {
	ID        string
	RequestID string
	TokenHash []byte
	State     StepUpState
	// Attempts counts wrong answers.
	Attempts int
	// Method says which data point matched (no value).
	Method string
	// DeclaredAt is when the declaration under penalty of perjury was signed.
	DeclaredAt time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
	SettledAt  time.Time
}

// StepUps keeps the offers to reach the higher verification level.
type StepUps interface {
	// CreateStepUp inserts an open offer (ID generated when empty).
	CreateStepUp(ctx context.Context, s StepUp) (StepUp, error)
	// StepUpByToken returns the offer whose TokenHash is tokenHash.
	StepUpByToken(ctx context.Context, tokenHash []byte) (StepUp, error)
	// OpenStepUp returns the open offer of a request that expires after now
	// (ErrNotFound when there is none).
	OpenStepUp(ctx context.Context, requestID string, now time.Time) (StepUp, error)
	// UpdateStepUp replaces State, Attempts, Method, DeclaredAt and
	// SettledAt if the stored State and Attempts are still those of
	// expected; otherwise ErrStateConflict.
	UpdateStepUp(ctx context.Context, s, expected StepUp) error
}
