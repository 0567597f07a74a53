package export

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// ShredResult counts what ShredKeys did.
type ShredResult struct {
	// Checked is the number of export keys looked at.
	Checked int `json:"checked"`
	// Destroyed is the number of keys destroyed.
	Destroyed int `json:"destroyed"`
}

// ShredKeys destroys the key of every export job whose kept files are all gone.
// Retention deletes kept files (blobs) when they pass the export retention, but
// copies of them survive in backups; destroying the job's key makes those copies
// unreadable too. A key is destroyed only when its job is finished, it recorded kept
// files, and none of them is left in the store; each destruction commits with an
// export.job audit record. Jobs still being kept (no files recorded yet) are left
// alone.
func (s *Service) ShredKeys(ctx context.Context) (ShredResult, error) {
	var res ShredResult
	lister, ok := s.Store.(store.PersonKeyIDLister)
	if !ok {
		return res, errors.New("export: this store cannot list keys by prefix; export keys are not shredded")
	}
	const prefix = "export:"
	after := ""
	for {
		ids, err := lister.PersonKeyIDs(ctx, prefix, after, 200)
		if err != nil {
			return res, err
		}
		if len(ids) == 0 {
			return res, nil
		}
		after = ids[len(ids)-1]
		for _, id := range ids {
			res.Checked++
			job := strings.TrimPrefix(id, prefix)
			gone, err := s.filesGone(ctx, job)
			if err != nil {
				return res, err
			}
			if !gone {
				continue
			}
			// destroyed is set by the transaction's last attempt (the store may
			// run it again) and counted only once it has committed.
			var destroyed bool
			err = s.Store.InTx(ctx, func(tx store.Tx) error {
				var err error
				destroyed, err = s.Vault.DestroyPersonKey(ctx, tx, id)
				if err != nil || !destroyed {
					return err
				}
				_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(ctx), Action: audit.ActionExportJob,
					Outcome: audit.OutcomeSuccess, Reason: "key of expired kept files destroyed",
					ObjectIDs: []string{job}, Counts: map[string]int64{"keys_destroyed": 1}})
				return err
			})
			if err != nil {
				return res, fmt.Errorf("export: shred the key of job %s: %w", shownJob(job), err)
			}
			if destroyed {
				res.Destroyed++
			}
		}
	}
}

// filesGone reports whether a job is finished with kept files recorded, none of
// which is still in the store.
func (s *Service) filesGone(ctx context.Context, job string) (bool, error) {
	j, err := s.Store.GetExportJob(ctx, job)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // a job being recorded right now, or one whose row is gone: leave it
	}
	if err != nil {
		return false, err
	}
	if Resumable(j.State) {
		return false, nil
	}
	o := decodeOutcome(j.Outcome)
	recorded := 0
	for _, f := range o.Files {
		if f.BlobID == "" {
			continue
		}
		recorded++
		if _, err := s.Store.GetBlob(ctx, f.BlobID); err == nil {
			return false, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return recorded > 0, nil
}
