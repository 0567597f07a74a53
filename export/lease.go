package export

import (
	"context"
	"encoding/json"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// DefaultLease is how long a run may download a job before another run may take
// the download over; a run renews it as it decodes rows.
const DefaultLease = 2 * time.Minute

// lease marks which run is downloading a completed job, so that two runs resuming
// the same job at once do not both fetch and write it. It lives in the job's
// outcome JSON; a run killed while holding it blocks others only until it lapses.
type lease struct {
	Owner string    `json:"owner"`
	Until time.Time `json:"until"`
}

// leaseOf splits a job's outcome JSON into its fields (nil when it is not a JSON
// object) and the download lease among them (zero when there is none, or it does
// not decode).
func leaseOf(outcome json.RawMessage) (map[string]json.RawMessage, lease) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(outcome, &raw) != nil {
		return nil, lease{}
	}
	var l lease
	if b, ok := raw["lease"]; ok && json.Unmarshal(b, &l) != nil {
		l = lease{}
	}
	return raw, l
}

func (s *Service) leaseTTL() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

// claim takes (or renews) the download lease. held reports another run's live
// lease; finished reports that the job is no longer open (someone finished it).
func (r *run) claim(ctx context.Context) (held, finished bool, err error) {
	now := r.s.now()
	err = r.s.Store.InTx(ctx, func(tx store.Tx) error {
		j, err := tx.GetExportJob(ctx, r.job.JobIdentifier)
		if err != nil {
			return err
		}
		if !Resumable(j.State) {
			finished = true
			r.job = j
			return nil
		}
		raw, l := leaseOf(j.Outcome)
		if raw == nil {
			raw = map[string]json.RawMessage{}
		}
		if l.Owner != "" && l.Owner != r.owner && now.Before(l.Until) {
			held = true
			return nil
		}
		b, err := json.Marshal(lease{Owner: r.owner, Until: now.Add(r.s.leaseTTL())})
		if err != nil {
			return err
		}
		raw["lease"] = b
		if j.Outcome, err = json.Marshal(raw); err != nil {
			return err
		}
		r.leasedAt = now
		return tx.PutExportJob(ctx, j)
	})
	return held, finished, err
}

// renew extends the lease when a third of it has passed (called between rows;
// a short transaction of its own, no network call inside).
func (r *run) renew(ctx context.Context) error {
	if r.s.now().Sub(r.leasedAt) < r.s.leaseTTL()/3 {
		return nil
	}
	_, _, err := r.claim(ctx)
	return err
}

// release gives the lease up when a run stops without finishing the job (it was
// interrupted or failed in a way a rerun may fix), so a rerun need not wait for
// it to lapse. It runs even when ctx is cancelled, bounded by a short timeout.
func (r *run) release(ctx context.Context) {
	if r.leasedAt.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = r.s.Store.InTx(ctx, func(tx store.Tx) error {
		j, err := tx.GetExportJob(ctx, r.job.JobIdentifier)
		if err != nil || !Resumable(j.State) {
			return err
		}
		raw, l := leaseOf(j.Outcome)
		if l.Owner != r.owner {
			return nil
		}
		delete(raw, "lease")
		b, err := json.Marshal(raw)
		if err != nil {
			return err
		}
		j.Outcome = b
		return tx.PutExportJob(ctx, j)
	})
	r.leasedAt = time.Time{}
}
