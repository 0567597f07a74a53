package store

import (
	"context"
	"time"
)

// IntakeState is where a request filed on the public form stands.
type IntakeState string

// The states of an Intake.
const (
	// IntakePending: waiting for the person to follow the link or type the code.
	IntakePending IntakeState = "pending"
	// IntakeVerified: followed; RequestID names the request filed.
	IntakeVerified IntakeState = "verified"
	// IntakeExpired: not followed in time, or too many wrong codes.
	IntakeExpired IntakeState = "expired"
)

// Intake is a request filed on the public form, before the person proved
// they can read the mail of the address they gave. It holds no personal data
// in clear: the identifiers are ciphertext under the key "intake:<ID>", the
// address is a blind index, the token and code are SHA-256 digests.
type Intake struct {
	ID             string
	RequestType    RequestType
	Jurisdiction   string
	IdentifiersEnc []byte
	EmailRef       string
	TokenHash      []byte
	CodeHash       []byte
	State          IntakeState
	// Attempts counts wrong codes.
	Attempts  int
	RequestID string
	CreatedAt time.Time
	ExpiresAt time.Time
	SettledAt time.Time
}

// Intakes keeps the requests of the public form until they are verified or
// expire.
type Intakes interface {
	// CreateIntake inserts a pending intake (ID generated when empty).
	CreateIntake(ctx context.Context, in Intake) (Intake, error)
	// GetIntake returns one intake.
	GetIntake(ctx context.Context, id string) (Intake, error)
	// IntakeByToken returns the intake whose TokenHash is tokenHash.
	IntakeByToken(ctx context.Context, tokenHash []byte) (Intake, error)
	// UpdateIntake replaces State, Attempts, RequestID, SettledAt and
	// IdentifiersEnc if the stored State and Attempts are still those of
	// expected; otherwise ErrStateConflict.
	UpdateIntake(ctx context.Context, in, expected Intake) error
	// CountIntakes counts the pending intakes that expire after now (the
	// bounded queue), and those among them with emailRef when it is set.
	CountIntakes(ctx context.Context, now time.Time, emailRef string) (pending, forEmail int64, err error)
	// ExpiredIntakes lists up to limit pending intakes that expired at or
	// before now, oldest first.
	ExpiredIntakes(ctx context.Context, now time.Time, limit int) ([]Intake, error)
}

// DownloadLink is the link to an access package sent to the person. The
// token and the current code are digests; the address codes go to is
// ciphertext under the key "download:<ID>".
type DownloadLink struct {
	ID            string
	RequestID     string
	BlobID        string
	TokenHash     []byte
	EmailEnc      []byte
	MaxUses       int
	Uses          int
	CodeHash      []byte
	CodeExpiresAt time.Time
	CodeAttempts  int
	CodesSent     int
	// Version counts updates; UpdateDownloadLink checks it.
	Version   int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// DownloadLinks keeps the links to access packages.
type DownloadLinks interface {
	// CreateDownloadLink inserts a link (ID generated when empty).
	CreateDownloadLink(ctx context.Context, l DownloadLink) (DownloadLink, error)
	// DownloadLinkByToken returns the link whose TokenHash is tokenHash.
	DownloadLinkByToken(ctx context.Context, tokenHash []byte) (DownloadLink, error)
	// UpdateDownloadLink replaces Uses, CodeHash, CodeExpiresAt,
	// CodeAttempts and CodesSent and increments Version, if the stored
	// Version is still l.Version; otherwise ErrStateConflict.
	UpdateDownloadLink(ctx context.Context, l DownloadLink) (DownloadLink, error)
	// SpentDownloadLinks lists up to limit links that still hold an address
	// but can no longer be used (expired at or before now, or every use
	// spent), oldest first.
	SpentDownloadLinks(ctx context.Context, now time.Time, limit int) ([]DownloadLink, error)
	// ForgetDownloadAddress empties a link's EmailEnc (its key is destroyed
	// in the same transaction).
	ForgetDownloadAddress(ctx context.Context, id string) error
}
