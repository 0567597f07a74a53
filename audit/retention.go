package audit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Audit retention. Records are kept DefaultRetentionMonths by default and
// never less than MinRetentionMonths (CCPA §7101 asks for 24 months). This
// package removes nothing; a store's retention job uses RetentionCutoff and
// PrunePoint to decide what it may remove, so that the chain still verifies
// afterwards (Verify accepts a removed beginning only at a signed
// checkpoint).
const (
	DefaultRetentionMonths = 7 * 12
	MinRetentionMonths     = 24
)

// ErrRetentionTooShort: an audit retention below MinRetentionMonths was
// configured.
var ErrRetentionTooShort = errors.New("audit: audit retention must be at least 24 months (CCPA §7101 record keeping)")

// RetentionCutoff returns the time before which audit records are past a
// retention of months calendar months (0 means DefaultRetentionMonths), or
// ErrRetentionTooShort.
func RetentionCutoff(now time.Time, months int) (time.Time, error) {
	if months == 0 {
		months = DefaultRetentionMonths
	}
	if months < MinRetentionMonths {
		return time.Time{}, fmt.Errorf("%w: %d months configured", ErrRetentionTooShort, months)
	}
	return now.UTC().AddDate(0, -months, 0), nil
}

// PrunePoint returns the highest seq up to which records may be removed for
// a retention cutoff: the seq of the last checkpoint written before cutoff
// (so every record up to it is older than cutoff, and the chain that remains
// starts at a signed checkpoint). It returns 0 when nothing may be removed.
func PrunePoint(ctx context.Context, r Reader, cutoff time.Time) (int64, error) {
	var seq int64
	for cp, err := range r.Checkpoints(ctx) {
		if err != nil {
			return 0, fmt.Errorf("audit: reading checkpoints: %w", err)
		}
		if cp.Time.Before(cutoff) && cp.Seq > seq {
			seq = cp.Seq
		}
	}
	return seq, nil
}
