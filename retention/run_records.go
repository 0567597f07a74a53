package retention

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Retention of the product's own records.
//
// Finished privacy requests (completed, denied, cancelled) are removed once
// their request_records age has passed since they finished, unless a legal hold
// names the request, a notice to a recipient is still open, or an exception the
// erasure applied still keeps an object. Each batch is one transaction that
// takes the audit chain's head, deletes the requests with their steps, files
// and notices, destroys their keys (the request's own and its packages'),
// appends a requests.pruned audit record naming the requests removed and the
// rule, and signs a checkpoint at it: a signed prune record. Suppression
// entries older than suppression_list's age (off by default) go the same way,
// counted in their own requests.pruned record. The audit records of the
// requests stay until the audit trail's own retention (`audit prune`).

// maxPrunedIDs caps the request ids one prune record lists (its counts stay
// exact); a batch never holds more than the batch size.
const maxPrunedIDs = 500

// pruneRecords removes (or, on a dry run, counts) one record category.
func (r *Runner) pruneRecords(ctx context.Context, res *RunResult, cr *CategoryResult, limit int, progress func(Category, int64), hb *heartbeat) error {
	if res.DryRun {
		var n int64
		if cr.Category == RequestRecords {
			rs, err := r.Store.PrunableRequests(ctx, cr.Cutoff, MaxBatchSize)
			if err != nil {
				return fmt.Errorf("retention: run %s: count request records: %w", res.RunID, err)
			}
			n = int64(len(rs))
		} else {
			var err error
			if n, err = r.Store.CountSuppressionsBefore(ctx, cr.Cutoff); err != nil {
				return fmt.Errorf("retention: run %s: count suppression entries: %w", res.RunID, err)
			}
		}
		cr.Deleted, res.Total = n, res.Total+n
		hb.set(cr.Category, n)
		if progress != nil {
			progress(cr.Category, n)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("retention: run %s stopped in %s: %w", res.RunID, cr.Category, err)
		}
		var n int64
		err := r.Store.InTx(ctx, func(tx store.Tx) error {
			if _, _, err := tx.Head(ctx); err != nil {
				return err
			}
			var err error
			if cr.Category == RequestRecords {
				n, err = r.pruneRequests(ctx, tx, cr, limit)
			} else {
				n, err = r.pruneSuppressions(ctx, tx, res.RunID, cr, limit)
			}
			if err != nil || n == 0 {
				return err
			}
			// The prune record is signed in the transaction that removes.
			_, _, err = r.Chain.Checkpoint(ctx, tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("retention: run %s: prune %s: %w", res.RunID, cr.Category, err)
		}
		cr.Batches++
		cr.Deleted += n
		res.Total += n
		hb.set(cr.Category, cr.Deleted)
		if progress != nil {
			progress(cr.Category, cr.Deleted)
		}
		if r.afterBatch != nil {
			if err := r.afterBatch(store.Category(cr.Category), cr.Batches); err != nil {
				return errKilled
			}
		}
		if n < int64(limit) {
			return nil
		}
	}
}

// pruneRequests removes one batch of finished request records in tx.
func (r *Runner) pruneRequests(ctx context.Context, tx store.Tx, cr *CategoryResult, limit int) (int64, error) {
	reqs, err := tx.PrunableRequests(ctx, cr.Cutoff, limit)
	if err != nil || len(reqs) == 0 {
		return 0, err
	}
	ids := make([]string, 0, len(reqs))
	keys := map[string]bool{}
	for _, q := range reqs {
		ids = append(ids, q.ID)
		keys["request:"+q.ID] = true
		blobs, err := tx.BlobsByRequest(ctx, q.ID)
		if err != nil {
			return 0, err
		}
		for _, b := range blobs {
			if b.PersonKeyID != "" {
				keys[b.PersonKeyID] = true
			}
		}
	}
	var destroyed int64
	if r.Vault != nil {
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			existed, err := r.Vault.DestroyPersonKey(ctx, tx, k)
			if err != nil {
				return 0, fmt.Errorf("destroy the key of a request record: %w", err)
			}
			if existed {
				destroyed++
			}
		}
	} else if len(keys) > 0 {
		return 0, errors.Join(ErrNotConfigured, errors.New("removing request records needs the Vault to destroy their keys"))
	}
	c, err := tx.DeleteRequests(ctx, ids)
	if err != nil {
		return 0, err
	}
	_, err = r.Chain.Append(ctx, tx, audit.Record{Actor: r.actor(ctx), Action: audit.ActionRequestsPruned, Outcome: audit.OutcomeSuccess,
		ObjectIDs: capPruned(ids),
		Counts: map[string]int64{"requests": c.Requests, "steps": c.Steps, "blobs": c.Blobs, "recipient_notices": c.Notices,
			"object_holds": c.ObjectHolds, "legal_holds_released": c.LegalHolds, "keys_destroyed": destroyed,
			"finished_before_unix": cr.Cutoff.Unix()},
		Reason: "request records past their retention (request_records " + cr.Age + ") removed; their audit records stay until the audit retention",
	})
	return c.Requests, err
}

// pruneSuppressions removes one batch of suppression entries in tx.
func (r *Runner) pruneSuppressions(ctx context.Context, tx store.Tx, runID string, cr *CategoryResult, limit int) (int64, error) {
	n, err := tx.DeleteSuppressionsBefore(ctx, cr.Cutoff, limit)
	if err != nil || n == 0 {
		return n, err
	}
	_, err = r.Chain.Append(ctx, tx, audit.Record{Actor: r.actor(ctx), Action: audit.ActionRequestsPruned, Outcome: audit.OutcomeSuccess,
		ObjectIDs: []string{runID},
		Counts:    map[string]int64{"suppression_entries": n, "created_before_unix": cr.Cutoff.Unix()},
		Reason:    "suppression entries past their retention (suppression_list " + cr.Age + ") removed by the retention run in object_ids",
	})
	return n, err
}

func capPruned(ids []string) []string {
	if len(ids) > maxPrunedIDs {
		return slices.Clone(ids[:maxPrunedIDs])
	}
	return slices.Clone(ids)
}
