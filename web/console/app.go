package console

import (
	"context"
	"io"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/metrics"
)

// FromApp returns the options of a console on a's services: its dsar
// service, retention runner and policy, audit trail, metrics report and
// accounts.
func FromApp(a *app.App) (Options, error) {
	policy, err := a.RetentionPolicy()
	if err != nil {
		return Options{}, err
	}
	return Options{
		DSAR:      a.DSAR,
		Retention: a.Retention(a.Settings.Actor),
		Policy:    policy,
		Audit:     appAudit{a},
		Metrics: func(ctx context.Context, year int) (metrics.Report, error) {
			return metrics.Requests(ctx, a.Store, year, time.UTC)
		},
		Users:  a.Users,
		Scan:   scanRedactor(a),
		Now:    a.Settings.Now,
		Logger: a.Logger,
	}, nil
}

// AuditTrail is what the console reads of the audit trail.
type AuditTrail interface {
	// Verify walks the whole chain and its checkpoints.
	Verify(ctx context.Context) (audit.Report, error)
	// Export writes the chain as JSON lines with the signing keys (the
	// format of `audit export`).
	Export(ctx context.Context, w io.Writer) error
}

// appAudit reads the application's audit trail.
type appAudit struct{ a *app.App }

func (t appAudit) Verify(ctx context.Context) (audit.Report, error) { return t.a.VerifyAudit(ctx) }

func (t appAudit) Export(ctx context.Context, w io.Writer) error {
	pub, id := t.a.Vault.AuditPublicKey()
	return audit.Export(ctx, t.a.Store, w, audit.Keyring{{KeyID: id, Key: pub}})
}
