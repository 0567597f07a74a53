package jobs

import (
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
)

// Cron parses a standard five-field cron expression ("0 3 * * *": daily at 03:00)
// evaluated in loc (UTC when nil), as a River periodic schedule.
func Cron(expr string, loc *time.Location) (river.PeriodicSchedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("jobs: cron expression %q: %w", expr, err)
	}
	if loc == nil {
		loc = time.UTC
	}
	return inZone{s, loc}, nil
}

// inZone evaluates a cron schedule in a time zone, so that "03:00" means 03:00 local
// time across daylight-saving changes.
type inZone struct {
	s   cron.Schedule
	loc *time.Location
}

func (z inZone) Next(t time.Time) time.Time { return z.s.Next(t.In(z.loc)) }
