// Package deadline computes the legal clocks of privacy requests: when a
// GDPR or CCPA access or erasure request must be acknowledged and answered,
// how far it may be extended, and whether it is on track, due soon or
// overdue.
//
// # GDPR (Art. 12(3))
//
// The answer is due one calendar month after receipt, not 30 days. The
// period follows Regulation (EEC, Euratom) No 1182/71 Art. 3: the day of
// receipt starts the clock and the month ends at the end of the day with the
// same date in the following month, or at the end of that month's last day
// when it has no such date (received 31 January, due 28 February, or 29 in a
// leap year; received 15 March, due 15 April). EDPB Guidelines 01/2022
// give the same reading (received 5 March, due 5 April).
//
// Art. 3(4) of that Regulation moves a period that ends on a Saturday,
// Sunday or public holiday to the end of the following working day. That
// rule is an option: set [Calculator.GDPRHolidays] to a calendar of the
// controller's member state (for example a [HolidayList], or [Weekdays] for
// weekends only). Off by default, because the earlier date is always safe.
//
// The controller may extend the period once by up to two further months
// (counted from receipt, so the longest clock ends three months after
// receipt), only while the first month runs and with a reason given to the
// person. GDPR sets no acknowledgement deadline; [Calculator.GDPRAckDays]
// adds one if the organisation wants it.
//
// # CCPA (Cal. Civ. Code §1798.130, CCPA Regulations §7021)
//
// Receipt must be confirmed within 10 business days after the day the
// request arrived (the day of receipt is not counted). The answer is due
// within 45 calendar days; the regulations say that period "begins on the
// day that the business receives the request", so this package counts the
// day of receipt as day 1 and day 45 is receipt + 44 days (the earlier,
// conservative reading). The business may extend once by up to 45 further
// days (90 in total) with notice and a reason given before day 45 ends.
// Business days exclude weekends and the holidays of the configured
// [BusinessCalendar]; the default is [USFederal] (US federal holidays
// computed for each year, observed dates).
//
// # The other laws
//
// Every law is a row of one table ([AllRules], [RulesFor]): UK GDPR (as the
// GDPR), the US state comprehensive privacy laws (45 days, +45 with notice;
// Iowa 90 days, +45; appeals answered within the state's period), Brazil's
// LGPD (15 days, no extension) and Canada's PIPEDA (30 days, +30). Each row
// names its source, the day the law applied, and its appeal clock
// ([Calculator.AppealDue]). Calendar-day periods count the day of receipt as
// day 1, as for the CCPA.
//
// All deadlines are the last instant of the last day in the request's time
// zone (see [Date.EndOfDay]), so they are right across DST changes.
package deadline

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Jurisdiction is the law whose clock a request runs on.
type Jurisdiction string

// The supported jurisdictions.
const (
	GDPR Jurisdiction = "gdpr"
	CCPA Jurisdiction = "ccpa"
)

// ParseJurisdiction parses the key of a row of the rules table ("gdpr",
// "ccpa", "uk_gdpr", "us_va", "lgpd", ...; case-insensitive, surrounding
// spaces ignored, "-" read as "_").
func ParseJurisdiction(s string) (Jurisdiction, error) {
	j := Jurisdiction(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if _, err := RulesFor(j); err != nil {
		return "", fmt.Errorf("%w: want one of %s", ErrUnknownJurisdiction, jurisdictionList())
	}
	return j, nil
}

// Errors returned by this package. Each is also reachable with errors.Is
// through the *ExtensionError that carries the details.
var (
	// ErrUnknownJurisdiction: the jurisdiction is not in the rules table.
	ErrUnknownJurisdiction = errors.New("deadline: unknown jurisdiction")
	// ErrExtensionTooLate: the extension notice comes after the first
	// period (GDPR: one month; CCPA: 45 days) has ended.
	ErrExtensionTooLate = errors.New("deadline: extension is only allowed before the original due date")
	// ErrAlreadyExtended: the clock has been extended once already; the law
	// allows a single extension.
	ErrAlreadyExtended = errors.New("deadline: request already extended once")
	// ErrReasonRequired: an extension needs a reason to give the person.
	ErrReasonRequired = errors.New("deadline: extension needs a reason")
	// ErrExtensionTooLong: more than the law allows (GDPR: 2 months;
	// CCPA: 45 days).
	ErrExtensionTooLong = errors.New("deadline: extension longer than the law allows")
	// ErrInvalidExtension: the extension is zero or negative.
	ErrInvalidExtension = errors.New("deadline: extension must be at least 1")
	// ErrNoExtension: the law allows no extension (LGPD).
	ErrNoExtension = errors.New("deadline: this law allows no extension")
	// ErrNoAppeal: the law has no appeal process (the person goes to the
	// authority instead).
	ErrNoAppeal = errors.New("deadline: this law has no appeal process")
	// ErrNotInForce: the request was received before its law applied.
	ErrNotInForce = errors.New("deadline: the law was not yet in force")
	// ErrNoBusinessDay: the business calendar declares no business day in
	// the next ten years, so a business-day deadline cannot be computed.
	ErrNoBusinessDay = errors.New("deadline: business calendar has no business days")
)

// ExtensionError explains why Extend refused. It unwraps to one of the
// ErrExtension*/ErrAlreadyExtended/ErrReasonRequired/ErrInvalidExtension
// sentinels.
type ExtensionError struct {
	Jurisdiction Jurisdiction // the clock's law
	Requested    int          // the extension asked for, in Unit
	Max          int          // the most the law allows, in Unit
	Unit         string       // "months" (GDPR) or "days" (CCPA)
	Deadline     time.Time    // the original due date (for ErrExtensionTooLate)
	Err          error        // the sentinel
}

// Error describes the refusal; it holds no personal data.
func (e *ExtensionError) Error() string {
	switch {
	case errors.Is(e.Err, ErrExtensionTooLong), errors.Is(e.Err, ErrInvalidExtension):
		return fmt.Sprintf("%v: %s extension of %d %s (allowed: 1 to %d %s)", e.Err, strings.ToUpper(string(e.Jurisdiction)), e.Requested, e.Unit, e.Max, e.Unit)
	case errors.Is(e.Err, ErrExtensionTooLate):
		return fmt.Sprintf("%v: %s original due date %s has passed", e.Err, strings.ToUpper(string(e.Jurisdiction)), e.Deadline.Format(time.RFC3339))
	}
	return fmt.Sprintf("%v (%s)", e.Err, strings.ToUpper(string(e.Jurisdiction)))
}

// Unwrap returns the sentinel error.
func (e *ExtensionError) Unwrap() error { return e.Err }

// Limits of the law, exported for display and for callers' validation.
const (
	GDPRMonths            = 1  // answer within one calendar month
	GDPRMaxExtensionMonth = 2  // extendable by up to two further months
	CCPAAckBusinessDays   = 10 // acknowledge within 10 business days
	CCPADays              = 45 // answer within 45 calendar days
	CCPAMaxExtensionDays  = 45 // extendable by up to 45 further days
	// CCPAOptOutBusinessDays: an opt-out of sale or sharing, or a limit of the
	// use of sensitive data, is complied with within 15 business days
	// (CCPA Regulations §7026(f), §7027(g)), without extension.
	CCPAOptOutBusinessDays = 15
)

// Clock is the legal timetable of one request. All times are in the
// request's time zone and mark the last instant of the last allowed day.
// A Clock is plain data: store it, and call Extend and Status on it later.
type Clock struct {
	// Jurisdiction is the law the clock runs on.
	Jurisdiction Jurisdiction `json:"jurisdiction"`
	// Received is when the request arrived, in the request's time zone.
	Received time.Time `json:"received"`
	// Zone is the IANA name of the request's time zone. A time.Time that
	// went through JSON or SQL keeps only its UTC offset; Extend reloads
	// the zone by this name so later days get their own DST offset.
	Zone string `json:"zone,omitempty"`
	// AckDue is when receipt must have been confirmed; zero when the law
	// sets no acknowledgement deadline (GDPR unless configured).
	AckDue time.Time `json:"ack_due,omitzero"`
	// Due is when the answer is due now (after any extension).
	Due time.Time `json:"due"`
	// OriginalDue is the due date before any extension; an extension must
	// be given before it passes.
	OriginalDue time.Time `json:"original_due"`
	// MaxExtendedDue is the latest Due the full extension would give.
	MaxExtendedDue time.Time `json:"max_extended_due"`
	// Extended is true once the single allowed extension has been used.
	Extended bool `json:"extended,omitempty"`
	// ExtendedBy is the extension in months (GDPR) or days (CCPA).
	ExtendedBy int `json:"extended_by,omitempty"`
	// ExtendedAt is when the extension was decided.
	ExtendedAt time.Time `json:"extended_at,omitzero"`
	// ExtensionReason is the reason given to the person.
	ExtensionReason string `json:"extension_reason,omitempty"`
	// Kind is the clock's kind: "" (the answer to a request), KindOptOut or
	// KindAppeal; Extend extends by the kind's own rule.
	Kind Kind `json:"kind,omitempty"`
	// WorkingDayRule is true when GDPR due dates were moved off weekends
	// and holidays (Regulation 1182/71 Art. 3(4)).
	WorkingDayRule bool `json:"working_day_rule,omitempty"`
}

// Calculator holds the configurable parts of the rules. The zero value
// applies the defaults: US federal holidays for CCPA business days, no GDPR
// acknowledgement deadline, no GDPR working-day rule, a 7-day due-soon
// threshold.
type Calculator struct {
	// Calendar decides CCPA business days (nil: USFederal{}).
	Calendar BusinessCalendar
	// GDPRHolidays, when set, turns on the Regulation 1182/71 Art. 3(4)
	// rule: a GDPR period ending on a non-business day of this calendar
	// ends at the end of the next business day instead.
	GDPRHolidays BusinessCalendar
	// GDPRAckDays, when positive, sets a GDPR acknowledgement deadline that
	// many business days (of Calendar, or GDPRHolidays when set) after
	// receipt. The GDPR itself sets none.
	GDPRAckDays int
	// DueSoon is the threshold below which Status reports DueSoon
	// (0: DefaultDueSoon).
	DueSoon time.Duration
}

// DefaultDueSoon is the default due-soon threshold: seven days.
const DefaultDueSoon = 7 * 24 * time.Hour

// Compute returns the clock of a request of jurisdiction j received at
// received, counted in loc (nil: UTC), with cal deciding CCPA business days
// (nil: USFederal{}). It uses the defaults of a zero Calculator otherwise.
func Compute(j Jurisdiction, received time.Time, loc *time.Location, cal BusinessCalendar) (Clock, error) {
	return Calculator{Calendar: cal}.Compute(j, received, loc)
}

// Extend applies the single extension allowed by law with the default
// Calculator; see Calculator.Extend.
func Extend(c Clock, now time.Time, by int, reason string) (Clock, error) {
	return Calculator{}.Extend(c, now, by, reason)
}

func (k Calculator) calendar() BusinessCalendar {
	if k.Calendar == nil {
		return USFederal{}
	}
	return k.Calendar
}

// Compute returns the clock of a request of jurisdiction j received at
// received, counted in loc (nil: UTC), by the rules of j's row in the table
// (see [RulesFor]). It refuses a jurisdiction not in the table and a
// request received before its law was in force.
func (k Calculator) Compute(j Jurisdiction, received time.Time, loc *time.Location) (Clock, error) {
	r, err := RulesFor(j)
	if err != nil {
		return Clock{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	received = received.In(loc)
	day := DateOf(received)
	if day.Before(r.InForce) {
		return Clock{}, fmt.Errorf("%w: %s applies to requests from %s, this one was received on %s", ErrNotInForce, r.Name, r.InForce, day)
	}
	c := Clock{Jurisdiction: j, Received: received, Zone: loc.String()}
	c.WorkingDayRule = j == GDPR && k.GDPRHolidays != nil
	due, err := k.end(r, day, r.Answer)
	if err != nil {
		return Clock{}, err
	}
	maxDue := due
	if !r.Extension.IsZero() {
		if maxDue, err = k.end(r, day, Period{r.Answer.N + r.Extension.N, r.Answer.Unit}); err != nil {
			return Clock{}, err
		}
	}
	c.Due, c.OriginalDue, c.MaxExtendedDue = due.EndOfDay(loc), due.EndOfDay(loc), maxDue.EndOfDay(loc)
	switch {
	case !r.Ack.IsZero():
		ack, err := k.end(r, day, r.Ack)
		if err != nil {
			return Clock{}, err
		}
		c.AckDue = ack.EndOfDay(loc)
	case j == GDPR && k.GDPRAckDays > 0:
		cal := k.GDPRHolidays
		if cal == nil {
			cal = k.calendar()
		}
		ack, ok := addBusinessDays(cal, day, k.GDPRAckDays)
		if !ok {
			return Clock{}, ErrNoBusinessDay
		}
		c.AckDue = ack.EndOfDay(loc)
	}
	return c, nil
}

// gdprDue returns the last day of a period of months months from day,
// moved to the next working day when the Art. 3(4) rule is on.
func (k Calculator) gdprDue(day Date, months int) (Date, error) {
	due := day.addMonths(months)
	if k.GDPRHolidays != nil {
		d, ok := nextBusinessDayOnOrAfter(k.GDPRHolidays, due)
		if !ok {
			return Date{}, ErrNoBusinessDay
		}
		due = d
	}
	return due, nil
}

// Extend applies the single extension the law allows (the row's Extension:
// by months for GDPR and UK GDPR, 1 or 2; by days for the others, e.g. 1 to
// 45 for CCPA), decided at now, for reason (given to the person; required).
// It refuses a law without extensions (LGPD) with ErrNoExtension, and with an *ExtensionError when the
// clock was already extended, when now is after the original due date, when
// the reason is blank, or when by is out of range. The GDPR extension is
// counted from the date of receipt (received 31 January, extended by two
// months: due 30 April), so month-end clamping does not compound.
func (k Calculator) Extend(c Clock, now time.Time, by int, reason string) (Clock, error) {
	r, err := RulesFor(c.Jurisdiction)
	if err != nil {
		return c, err
	}
	base, ext := r.Answer, r.Extension
	switch c.Kind {
	case KindAppeal:
		base, ext = r.Appeal, r.AppealExtension
	case KindOptOut:
		if !r.OptOut.IsZero() {
			base, ext = r.OptOut, Period{}
		}
	}
	max, unit := ext.N, string(base.Unit)
	fail := func(err error) (Clock, error) {
		return c, &ExtensionError{Jurisdiction: c.Jurisdiction, Requested: by, Max: max, Unit: unit, Deadline: c.OriginalDue, Err: err}
	}
	switch {
	case ext.IsZero():
		return fail(ErrNoExtension)
	case c.Extended:
		return fail(ErrAlreadyExtended)
	case strings.TrimSpace(reason) == "":
		return fail(ErrReasonRequired)
	case by < 1:
		return fail(ErrInvalidExtension)
	case by > max:
		return fail(ErrExtensionTooLong)
	case now.After(c.OriginalDue):
		return fail(ErrExtensionTooLate)
	}
	loc := c.Received.Location()
	if c.Zone != "" && loc.String() != c.Zone {
		if l, err := time.LoadLocation(c.Zone); err == nil {
			loc = l
		}
	}
	day := DateOf(c.Received.In(loc))
	kk := k
	if c.WorkingDayRule && kk.GDPRHolidays == nil {
		kk.GDPRHolidays = Weekdays{}
	} else if !c.WorkingDayRule {
		kk.GDPRHolidays = nil
	}
	due, err := kk.end(r, day, Period{base.N + by, base.Unit})
	if err != nil {
		return c, err
	}
	out := c
	out.Due = due.EndOfDay(loc)
	out.Extended, out.ExtendedBy, out.ExtendedAt, out.ExtensionReason = true, by, now.In(loc), reason
	return out, nil
}

// State is where a request stands against a deadline.
type State string

// The states a deadline can be in.
const (
	// NotApplicable: there is no such deadline (a GDPR acknowledgement).
	NotApplicable State = "none"
	// OnTrack: more than the due-soon threshold remains.
	OnTrack State = "on_track"
	// DueSoon: the deadline is within the due-soon threshold.
	DueSoon State = "due_soon"
	// Overdue: the deadline has passed.
	Overdue State = "overdue"
)

// Status is a clock read at one instant.
type Status struct {
	// State of the answer deadline (Due).
	State State `json:"state"`
	// Remaining until Due; negative when overdue.
	Remaining time.Duration `json:"remaining"`
	// Ack is the state of the acknowledgement deadline (NotApplicable when
	// there is none). A caller that has already acknowledged ignores it.
	Ack State `json:"ack"`
	// AckRemaining until AckDue; zero when there is none.
	AckRemaining time.Duration `json:"ack_remaining,omitempty"`
}

// Status reads the clock at now with the DefaultDueSoon threshold.
func (c Clock) Status(now time.Time) Status { return c.StatusWithin(now, DefaultDueSoon) }

// Status reads the clock at now with the calculator's due-soon threshold.
func (k Calculator) Status(c Clock, now time.Time) Status {
	return c.StatusWithin(now, k.DueSoon) // a zero DueSoon means DefaultDueSoon there
}

// StatusWithin reads the clock at now, reporting DueSoon when no more than
// dueSoon remains (a non-positive dueSoon means DefaultDueSoon).
func (c Clock) StatusWithin(now time.Time, dueSoon time.Duration) Status {
	if dueSoon <= 0 {
		dueSoon = DefaultDueSoon
	}
	st := func(due time.Time) (State, time.Duration) {
		rem := due.Sub(now)
		switch {
		case now.After(due):
			return Overdue, rem
		case rem <= dueSoon:
			return DueSoon, rem
		}
		return OnTrack, rem
	}
	s := Status{Ack: NotApplicable}
	s.State, s.Remaining = st(c.Due)
	if !c.AckDue.IsZero() {
		s.Ack, s.AckRemaining = st(c.AckDue)
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
