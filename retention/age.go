package retention

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the unit of an Age.
type Unit string

// The units an Age may be written in. Months are "mo", never "m", so that
// "24m" cannot be misread as 24 minutes (Go) or 24 months (people): it is
// rejected with a message saying which to write.
const (
	Hours  Unit = "h"
	Days   Unit = "d"
	Weeks  Unit = "w"
	Months Unit = "mo"
	Years  Unit = "y"
)

// Age is a maximum age: a positive whole number of a Unit, or Off (keep
// until removed by some other rule; never allowed for the audit trail).
// The zero Age is Off.
//
// Syntax, as written in the policy: an integer from 1 to 100000 directly
// followed by a unit: "36h", "30d", "12w", "24mo", "7y"; or "off". Days
// and weeks are calendar days in the policy's time zone (a day across a DST
// change is 23 or 25 hours); months and years are calendar months and
// years, clamped to the end of a shorter month (see Policy.Cutoff). "0"
// and negative ages are errors: an age of zero would delete everything at
// once, so "keep forever" must be said with "off".
type Age struct {
	N    int  // how many Units; 0 means Off
	Unit Unit // the unit of N
}

// Off is the Age that disables automatic removal.
var Off = Age{}

// IsOff reports whether automatic removal is disabled.
func (a Age) IsOff() bool { return a.N <= 0 }

// String formats the age in policy syntax ("30d", "off").
func (a Age) String() string {
	if a.IsOff() {
		return "off"
	}
	return strconv.Itoa(a.N) + string(a.Unit)
}

// ErrInvalidAge is the sentinel for an age the syntax does not allow.
var ErrInvalidAge = errors.New("invalid age")

const maxAgeN = 100000

// ParseAge parses the policy syntax described on Age.
func ParseAge(s string) (Age, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Off, nil
	}
	i := 0
	for i < len(s) && (s[i] == '-' || s[i] == '+' || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	num, unit := s[:i], strings.ToLower(s[i:])
	quoted := shownAge(s)
	if num == "" {
		return Age{}, fmt.Errorf("%w %s: want a number and a unit (h, d, w, mo, y), e.g. 30d, or off", ErrInvalidAge, quoted)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n > maxAgeN {
		return Age{}, fmt.Errorf("%w %s: the number must be a whole number from 1 to %d", ErrInvalidAge, quoted, maxAgeN)
	}
	if n <= 0 {
		return Age{}, fmt.Errorf("%w %s: ages must be positive; write off to disable removal", ErrInvalidAge, quoted)
	}
	switch Unit(unit) {
	case Hours, Days, Weeks, Months, Years:
		return Age{n, Unit(unit)}, nil
	case "m":
		return Age{}, fmt.Errorf("%w %s: m is ambiguous; write mo for months (e.g. %dmo) or h for hours", ErrInvalidAge, quoted, n)
	case "":
		return Age{}, fmt.Errorf("%w %s: missing unit; write h, d, w, mo or y (e.g. %dd)", ErrInvalidAge, quoted, n)
	}
	return Age{}, fmt.Errorf("%w %s: unknown unit; write h, d, w, mo or y", ErrInvalidAge, quoted)
}

// Before returns now minus the age: calendar arithmetic in now's location,
// with month and year ends clamped (31 March minus 1mo is 28 or 29
// February, so nothing younger than a full month is ever before the
// cutoff). An Off age returns the zero time.
func (a Age) Before(now time.Time) time.Time {
	if a.IsOff() {
		return time.Time{}
	}
	switch a.Unit {
	case Hours:
		return now.Add(-time.Duration(a.N) * time.Hour)
	case Days:
		return now.AddDate(0, 0, -a.N)
	case Weeks:
		return now.AddDate(0, 0, -7*a.N)
	case Months:
		return subMonths(now, a.N)
	case Years:
		return subMonths(now, 12*a.N)
	}
	return time.Time{}
}

func subMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m-time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), min(d, last), hh, mm, ss, t.Nanosecond(), t.Location())
}

// covers reports whether the age is at least months calendar months long in
// every case (a day count must cover the longest such span: 24 months can
// be 731 days).
func (a Age) covers(months int) bool {
	switch a.Unit {
	case Months:
		return a.N >= months
	case Years:
		return a.N*12 >= months
	case Weeks:
		return a.N*7 >= longestDays(months)
	case Days:
		return a.N >= longestDays(months)
	case Hours:
		return a.N >= longestDays(months)*24+1 // +1 for a DST change
	}
	return false
}

// longestDays is the most days a span of months calendar months can have.
// It scans every start month of a 400-year Gregorian cycle.
func longestDays(months int) int {
	best := 0
	for i := range 400 * 12 {
		start := time.Date(2000, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC)
		end := time.Date(2000, time.Month(1+i+months), 1, 0, 0, 0, 0, time.UTC)
		best = max(best, int(end.Sub(start).Hours()/24))
	}
	return best
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// shownAge quotes an age for an error message when it is made only of the
// characters an age is written with (so it cannot be a name, an e-mail address or a
// phone number pasted in the wrong place); anything else is withheld.
func shownAge(s string) string {
	if len(s) > 12 || strings.Trim(strings.ToLower(s), "0123456789+-hdwmoyf") != "" {
		return "(the value given)"
	}
	return strconv.Quote(s)
}
