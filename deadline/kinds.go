package deadline

import (
	"fmt"
	"time"
)

// Kind is what a clock times: the answer to a request (the zero Kind), an
// opt-out, or an appeal.
type Kind string

// The kinds of clock besides the answer to a request.
const (
	// KindOptOut: an opt-out of sale or sharing, a limit of the use of
	// sensitive data, an objection to direct marketing. Under a law with an
	// opt-out period (CCPA: 15 business days) that period applies, without
	// acknowledgement or extension; otherwise the answer clock does.
	KindOptOut Kind = "opt_out"
	// KindAppeal: the answer to an appeal of a decision on a request (the US
	// state laws), with the law's appeal period and appeal extension. A law
	// without an appeal process fails with ErrNoAppeal.
	KindAppeal Kind = "appeal"
)

// ComputeKind returns the clock of kind for a request received at received
// under j. The zero Kind is Compute.
func (k Calculator) ComputeKind(kind Kind, j Jurisdiction, received time.Time, loc *time.Location) (Clock, error) {
	switch kind {
	case "":
		return k.Compute(j, received, loc)
	case KindOptOut:
		c, err := k.Compute(j, received, loc)
		if err != nil {
			return c, err
		}
		c.Kind = KindOptOut
		r, _ := RulesFor(j)
		if r.OptOut.IsZero() {
			return c, nil
		}
		if loc == nil {
			loc = time.UTC
		}
		due, err := k.end(r, DateOf(received.In(loc)), r.OptOut)
		if err != nil {
			return Clock{}, err
		}
		c.AckDue = time.Time{}
		c.Due, c.OriginalDue, c.MaxExtendedDue = due.EndOfDay(loc), due.EndOfDay(loc), due.EndOfDay(loc)
		return c, nil
	case KindAppeal:
		c, err := k.Compute(j, received, loc)
		if err != nil {
			return c, err
		}
		due, maxDue, err := k.AppealDue(j, received, loc)
		if err != nil {
			return Clock{}, err
		}
		c.Kind, c.AckDue = KindAppeal, time.Time{}
		c.Due, c.OriginalDue, c.MaxExtendedDue = due, due, maxDue
		return c, nil
	}
	return Clock{}, fmt.Errorf("deadline: unknown kind of clock %q", truncate(string(kind), 16))
}
