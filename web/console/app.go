package console

import (
	"context"
	"io"
	"iter"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/retention"
)

// FromApp returns the options of a console on a's services, with the
// retention policy in force. Metrics, Users, Notes and Approve are left for
// the caller (serve) to set from the packages that provide them.
func FromApp(a *app.App) (Options, error) {
	policy, err := retention.FromConfig(a.Config)
	if err != nil {
		return Options{}, err
	}
	return Options{
		DSAR:      a.DSAR,
		Store:     a.Store,
		Retention: &retention.Runner{Store: a.Store, Chain: a.Chain, Vault: a.Vault, Actor: a.Settings.Actor, Logger: a.Logger, Clock: a.Settings.Now},
		Policy:    policy,
		Audit:     appAudit{a},
		Enqueue: func(ctx context.Context, id string) error {
			q, err := jobs.Open(ctx, a.Settings.DatabaseURL, jobs.Options{Logger: a.Logger})
			if err != nil {
				return err
			}
			defer q.Close()
			_, err = dsar.Enqueue(ctx, q, id)
			return err
		},
		Now:    a.Settings.Now,
		Logger: a.Logger,
	}, nil
}

// appAudit reads the application's audit trail.
type appAudit struct{ a *app.App }

func (t appAudit) Verify(ctx context.Context) (audit.Report, error) { return t.a.VerifyAudit(ctx) }

func (t appAudit) Export(ctx context.Context, w io.Writer) error {
	pub, id := t.a.Vault.AuditPublicKey()
	return audit.Export(ctx, t.a.Store, w, audit.Keyring{{KeyID: id, Key: pub}})
}

// Timeline walks the chain for the request's records. The store has an
// index on the request id but no query by it yet; the request view of the
// dsar workflow is to bring one.
func (t appAudit) Timeline(ctx context.Context, requestID string) ([]audit.Record, error) {
	return timelineOf(t.a.Store.Records(ctx, 1), requestID)
}

// timelineOf decodes the records of requestID from a walk of the chain.
func timelineOf(recs iter.Seq2[audit.StoredRecord, error], requestID string) ([]audit.Record, error) {
	var out []audit.Record
	for sr, err := range recs {
		if err != nil {
			return nil, err
		}
		if sr.RequestID != requestID {
			continue
		}
		rec, err := audit.DecodeBody(sr.Body)
		if err != nil {
			return nil, err
		}
		rec.Seq, rec.Time = sr.Seq, sr.Time
		out = append(out, rec)
	}
	return out, nil
}
