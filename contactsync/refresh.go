package contactsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Refresh writes the minimal copy of one contact just read from Intercom,
// inside tx, if a copy is kept: a correction refreshes the copy of every
// contact it corrected in the transaction that records the step. It reports
// "stored", "not_cached" (no copy to refresh), "stale" (the copy is newer),
// "suppressed" (the person is on the suppression list: any copy is purged) or
// "restricted" (the person's processing is restricted: the copy is left as it
// was). Keys destroyed by a purge are forgotten by the caller's next read; the
// transaction owns the destruction.
func (s *Syncer) Refresh(ctx context.Context, tx store.Tx, c intercom.Contact) (string, error) {
	if err := s.check(false); err != nil {
		return "", err
	}
	p, err := s.prepare(c, s.syncConfig())
	if err != nil {
		return "", err
	}
	if _, err := tx.GetContact(ctx, p.id); errors.Is(err, store.ErrNotFound) {
		return "not_cached", nil
	} else if err != nil {
		return "", fmt.Errorf("contactsync: read the copy of %s: %w", p.id, err)
	}
	var bc batchCounts
	o, err := s.storeOne(ctx, tx, p, time.Time{}, &bc)
	if err != nil {
		return "", err
	}
	return map[outcome]string{outStored: "stored", outStale: "stale", outSuppressed: "suppressed",
		outDeletedMeanwhile: "deleted_meanwhile", outRestricted: "restricted"}[o], nil
}
