package audit

import (
	"errors"
	"fmt"
	"time"
)

// Audit retention. Records are kept DefaultRetentionMonths by default and
// never less than MinRetentionMonths (CCPA §7101 asks for 24 months). They
// are removed only by Chain.Prune (see PlanPrune), which writes a signed
// prune record; nothing removes them automatically.
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
