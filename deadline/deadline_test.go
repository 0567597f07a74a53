package deadline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone data for the tests, independent of the machine
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

func TestGDPRDue(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		name     string
		received Date
		due      Date
		maxDue   Date
	}{
		{"mid month", d(2026, 3, 15), d(2026, 4, 15), d(2026, 6, 15)},
		{"EDPB example", d(2026, 3, 5), d(2026, 4, 5), d(2026, 6, 5)},
		{"31 Jan non-leap", d(2026, 1, 31), d(2026, 2, 28), d(2026, 4, 30)},
		{"31 Jan leap", d(2028, 1, 31), d(2028, 2, 29), d(2028, 4, 30)},
		{"30 Jan leap", d(2024, 1, 30), d(2024, 2, 29), d(2024, 4, 30)},
		{"29 Feb leap", d(2024, 2, 29), d(2024, 3, 29), d(2024, 5, 29)},
		{"28 Feb non-leap", d(2026, 2, 28), d(2026, 3, 28), d(2026, 5, 28)},
		{"31 Mar", d(2026, 3, 31), d(2026, 4, 30), d(2026, 6, 30)},
		{"31 May", d(2026, 5, 31), d(2026, 6, 30), d(2026, 8, 31)},
		{"30 Nov across year", d(2026, 11, 30), d(2026, 12, 30), d(2027, 2, 28)},
		{"31 Dec across year", d(2026, 12, 31), d(2027, 1, 31), d(2027, 3, 31)},
		{"30 Nov to leap Feb", d(2027, 11, 30), d(2027, 12, 30), d(2028, 2, 29)},
		{"31 Oct", d(2026, 10, 31), d(2026, 11, 30), d(2027, 1, 31)},
		{"1st of month", d(2026, 2, 1), d(2026, 3, 1), d(2026, 5, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := time.Date(tc.received.Year, tc.received.Month, tc.received.Day, 23, 59, 0, 0, utc)
			c, err := Compute(GDPR, rec, utc, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := DateOf(c.Due); got != tc.due {
				t.Errorf("due = %v, want %v", got, tc.due)
			}
			if got := DateOf(c.MaxExtendedDue); got != tc.maxDue {
				t.Errorf("max due = %v, want %v", got, tc.maxDue)
			}
			if !c.AckDue.IsZero() {
				t.Errorf("GDPR ack due = %v, want none", c.AckDue)
			}
			if c.Due != tc.due.EndOfDay(utc) || c.OriginalDue != c.Due {
				t.Errorf("due instant = %v, want end of %v", c.Due, tc.due)
			}
		})
	}
}

func TestGDPRWorkingDayRule(t *testing.T) {
	hol := HolidayList{d(2026, 12, 25), d(2026, 12, 28)}
	k := Calculator{GDPRHolidays: hol}
	cases := []struct {
		received Date
		due      Date
	}{
		{d(2026, 9, 17), d(2026, 10, 19)},  // 17 Oct 2026 is a Saturday -> Monday 19
		{d(2026, 9, 18), d(2026, 10, 19)},  // Sunday 18 -> Monday 19
		{d(2026, 9, 16), d(2026, 10, 16)},  // Friday stays
		{d(2026, 11, 25), d(2026, 12, 29)}, // Fri 25 Dec holiday, weekend, Mon 28 holiday -> Tue 29
	}
	for _, tc := range cases {
		c, err := k.Compute(GDPR, time.Date(tc.received.Year, tc.received.Month, tc.received.Day, 9, 0, 0, 0, time.UTC), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if got := DateOf(c.Due); got != tc.due {
			t.Errorf("received %v: due %v, want %v", tc.received, got, tc.due)
		}
		if !c.WorkingDayRule {
			t.Error("WorkingDayRule not recorded")
		}
		// Without the option the date is the plain calendar month.
		plain, _ := Compute(GDPR, c.Received, time.UTC, nil)
		if got, want := DateOf(plain.Due), tc.received.addMonths(1); got != want {
			t.Errorf("plain due %v, want %v", got, want)
		}
	}
}

func TestGDPRAckConfigurable(t *testing.T) {
	k := Calculator{GDPRAckDays: 3, Calendar: Weekdays{}}
	c, err := k.Compute(GDPR, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), time.UTC) // Friday
	if err != nil {
		t.Fatal(err)
	}
	if got, want := DateOf(c.AckDue), d(2026, 12, 2); got != want {
		t.Errorf("ack due %v, want %v", got, want)
	}
}

func TestCCPA(t *testing.T) {
	cases := []struct {
		name     string
		received Date
		cal      BusinessCalendar
		ack      Date
		due      Date
		maxDue   Date
	}{
		// Monday 2 Nov 2026: 10 business days after, Veterans Day (Wed 11 Nov) skipped.
		{"veterans day", d(2026, 11, 2), nil, d(2026, 11, 17), d(2026, 12, 16), d(2027, 1, 30)},
		{"veterans day ignored by plain weekdays", d(2026, 11, 2), Weekdays{}, d(2026, 11, 16), d(2026, 12, 16), d(2027, 1, 30)},
		// Thanksgiving Thu 26 Nov, Christmas Fri 25 Dec 2026.
		{"thanksgiving", d(2026, 11, 20), nil, d(2026, 12, 7), d(2027, 1, 3), d(2027, 2, 17)},
		{"christmas and new year", d(2026, 12, 18), nil, d(2027, 1, 5), d(2027, 1, 31), d(2027, 3, 17)},
		// Saturday receipt: counting starts Monday.
		{"saturday receipt", d(2026, 11, 28), nil, d(2026, 12, 11), d(2027, 1, 11), d(2027, 2, 25)},
		// Independence Day 2026 is a Saturday, observed Friday 3 July.
		{"observed july 3", d(2026, 6, 26), nil, d(2026, 7, 13), d(2026, 8, 9), d(2026, 9, 23)},
		// Extra company holiday.
		{"extra holiday", d(2026, 11, 2), USFederal{Extra: []Date{d(2026, 11, 3)}}, d(2026, 11, 18), d(2026, 12, 16), d(2027, 1, 30)},
		// Leap year: 45 days across February.
		{"leap february", d(2028, 2, 1), Weekdays{}, d(2028, 2, 15), d(2028, 3, 16), d(2028, 4, 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := time.Date(tc.received.Year, tc.received.Month, tc.received.Day, 8, 30, 0, 0, time.UTC)
			c, err := Compute(CCPA, rec, time.UTC, tc.cal)
			if err != nil {
				t.Fatal(err)
			}
			if got := DateOf(c.AckDue); got != tc.ack {
				t.Errorf("ack = %v, want %v", got, tc.ack)
			}
			if got := DateOf(c.Due); got != tc.due {
				t.Errorf("due = %v, want %v", got, tc.due)
			}
			if got := DateOf(c.MaxExtendedDue); got != tc.maxDue {
				t.Errorf("max due = %v, want %v", got, tc.maxDue)
			}
		})
	}
}

func TestUSFederalHolidays(t *testing.T) {
	want2026 := []Date{
		d(2026, 1, 1), d(2026, 1, 19), d(2026, 2, 16), d(2026, 5, 25), d(2026, 6, 19),
		d(2026, 7, 3), d(2026, 9, 7), d(2026, 10, 12), d(2026, 11, 11), d(2026, 11, 26), d(2026, 12, 25),
	}
	hs := USFederalHolidays(2026)
	if len(hs) != len(want2026) {
		t.Fatalf("got %d holidays, want %d", len(hs), len(want2026))
	}
	for i, h := range hs {
		if h.Observed != want2026[i] {
			t.Errorf("%s observed %v, want %v", h.Name, h.Observed, want2026[i])
		}
	}
	if n := len(USFederalHolidays(2020)); n != 10 {
		t.Errorf("2020 has %d holidays, want 10 (no Juneteenth yet)", n)
	}
	cases := []struct {
		day  Date
		want bool
	}{
		{d(2021, 12, 31), true},  // New Year's Day 2022 (Saturday) observed
		{d(2022, 1, 1), false},   // Saturday itself is not the observed day
		{d(2023, 1, 2), true},    // New Year's Day 2023 (Sunday) observed Monday
		{d(2027, 12, 24), true},  // Christmas 2027 is a Saturday
		{d(2027, 7, 5), true},    // Independence Day 2027 is a Sunday
		{d(2028, 11, 23), true},  // Thanksgiving 2028
		{d(2028, 11, 16), false}, // a Thursday, not the 4th
		{d(2024, 5, 27), true},   // Memorial Day 2024, last Monday
		{d(2026, 12, 31), false},
	}
	for _, tc := range cases {
		if got := IsUSFederalHoliday(tc.day); got != tc.want {
			t.Errorf("IsUSFederalHoliday(%v) = %v, want %v", tc.day, got, tc.want)
		}
	}
	if (USFederal{}).IsBusinessDay(d(2021, 12, 31)) {
		t.Error("31 Dec 2021 counted as a business day")
	}
}

func TestTimeZonesAndDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	tokyo := mustLoc(t, "Asia/Tokyo")

	// 23:30 in New York on 31 Jan is 04:30 UTC on 1 Feb: the request
	// day is the local one.
	rec := time.Date(2026, 1, 31, 23, 30, 0, 0, ny)
	c, _ := Compute(GDPR, rec, ny, nil)
	if got := DateOf(c.Due); got != d(2026, 2, 28) {
		t.Errorf("NY local day: due %v, want 2026-02-28", got)
	}
	cu, _ := Compute(GDPR, rec, time.UTC, nil)
	if got := DateOf(cu.Due); got != d(2026, 3, 1) {
		t.Errorf("UTC day: due %v, want 2026-03-01", got)
	}
	// Same instant in Tokyo is already 1 Feb afternoon.
	ct, _ := Compute(GDPR, rec, tokyo, nil)
	if got := DateOf(ct.Due); got != d(2026, 3, 1) {
		t.Errorf("Tokyo: due %v, want 2026-03-01", got)
	}

	// Received before the spring-forward in Berlin (29 March 2026), due
	// after it: the due instant is 23:59:59.999999999 local.
	rb := time.Date(2026, 3, 10, 12, 0, 0, 0, berlin)
	cb, _ := Compute(GDPR, rb, berlin, nil)
	if h, m, s := cb.Due.Clock(); h != 23 || m != 59 || s != 59 {
		t.Errorf("Berlin due local time %02d:%02d:%02d, want 23:59:59", h, m, s)
	}
	if _, off := cb.Due.Zone(); off != 2*3600 {
		t.Errorf("Berlin due offset %d, want CEST +7200", off)
	}
	// CCPA across the autumn DST change in New York (1 Nov 2026).
	rn := time.Date(2026, 10, 20, 12, 0, 0, 0, ny)
	cn, _ := Compute(CCPA, rn, ny, nil)
	if got := DateOf(cn.Due); got != d(2026, 12, 3) {
		t.Errorf("NY CCPA due %v, want 2026-12-03", got)
	}
	if h, m, _ := cn.Due.Clock(); h != 23 || m != 59 {
		t.Errorf("NY due local %02d:%02d", h, m)
	}
	// Day of a DST change itself: the day is 23 or 25 hours long, the
	// deadline still ends at local midnight.
	end := d(2026, 3, 8).EndOfDay(ny) // US spring forward
	if end.Sub(time.Date(2026, 3, 8, 0, 0, 0, 0, ny)) != 23*time.Hour-time.Nanosecond {
		t.Errorf("spring-forward day length wrong: %v", end)
	}
	// nil location means UTC.
	cnil, err := Compute(CCPA, rec, nil, nil)
	if err != nil || cnil.Due.Location() != time.UTC {
		t.Errorf("nil loc: %v %v", cnil.Due.Location(), err)
	}
}

func TestExtend(t *testing.T) {
	rec := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	g, _ := Compute(GDPR, rec, time.UTC, nil)
	e, err := Extend(g, rec.AddDate(0, 0, 20), 2, "complex request spanning many conversations")
	if err != nil {
		t.Fatal(err)
	}
	if got := DateOf(e.Due); got != d(2026, 4, 30) {
		t.Errorf("GDPR +2 months from 31 Jan: %v, want 2026-04-30", got)
	}
	if e.OriginalDue != g.Due || !e.Extended || e.ExtendedBy != 2 {
		t.Errorf("extension not recorded: %+v", e)
	}
	e1, err := Extend(g, rec, 1, "volume")
	if err != nil || DateOf(e1.Due) != d(2026, 3, 31) {
		t.Errorf("GDPR +1 month: %v %v", DateOf(e1.Due), err)
	}
	// Notice on the last day is still in time; a nanosecond later is not.
	if _, err := Extend(g, g.OriginalDue, 2, "r"); err != nil {
		t.Errorf("extension on the last instant refused: %v", err)
	}

	c, _ := Compute(CCPA, rec, time.UTC, nil)
	ce, err := Extend(c, rec, 45, "volume")
	if err != nil || ce.Due != c.MaxExtendedDue {
		t.Errorf("CCPA +45: %v, want %v (%v)", ce.Due, c.MaxExtendedDue, err)
	}
	ce10, _ := Extend(c, rec, 10, "volume")
	if got := DateOf(ce10.Due); got != DateOf(c.Due).AddDays(10) {
		t.Errorf("CCPA +10 = %v", got)
	}

	cases := []struct {
		name   string
		clock  Clock
		now    time.Time
		by     int
		reason string
		want   error
	}{
		{"too late gdpr", g, g.OriginalDue.Add(time.Nanosecond), 1, "r", ErrExtensionTooLate},
		{"too late ccpa", c, c.OriginalDue.Add(time.Hour), 1, "r", ErrExtensionTooLate},
		{"already", e, rec, 1, "r", ErrAlreadyExtended},
		{"no reason", g, rec, 1, "  \t", ErrReasonRequired},
		{"gdpr 3 months", g, rec, 3, "r", ErrExtensionTooLong},
		{"ccpa 46 days", c, rec, 46, "r", ErrExtensionTooLong},
		{"zero", g, rec, 0, "r", ErrInvalidExtension},
		{"negative", c, rec, -5, "r", ErrInvalidExtension},
		{"unknown", Clock{Jurisdiction: "hipaa"}, rec, 1, "r", ErrUnknownJurisdiction},
		{"no extension in law", Clock{Jurisdiction: LGPD, OriginalDue: rec.Add(time.Hour)}, rec, 1, "r", ErrNoExtension},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Extend(tc.clock, tc.now, tc.by, tc.reason)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if out != tc.clock {
				t.Error("refused extension changed the clock")
			}
			var xe *ExtensionError
			if tc.want != ErrUnknownJurisdiction && !errors.As(err, &xe) {
				t.Errorf("error %T is not *ExtensionError", err)
			}
			if strings.Contains(err.Error(), "%!") {
				t.Errorf("bad format: %v", err)
			}
		})
	}
}

func TestExtendAfterJSONRoundTrip(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	// Received in winter (CET, +01:00); the extended due date is in summer.
	c, err := Compute(GDPR, time.Date(2026, 2, 10, 9, 0, 0, 0, berlin), berlin, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Clock
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Received.Location().String() == "Europe/Berlin" {
		t.Fatal("test premise: JSON should lose the zone name")
	}
	want, _ := Extend(c, c.Received, 2, "volume")
	got, err := Extend(back, c.Received, 2, "volume")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Due.Equal(want.Due) || !got.Due.Equal(time.Date(2026, 5, 10, 23, 59, 59, 999999999, berlin)) {
		t.Errorf("after round trip due %v, want %v", got.Due, want.Due)
	}
	if s := back.Status(c.Received); s.State != OnTrack {
		t.Errorf("status after round trip %+v", s)
	}
}

func TestExtendKeepsWorkingDayRule(t *testing.T) {
	k := Calculator{GDPRHolidays: Weekdays{}}
	// 16 Jan 2027 + 3 months = 16 Apr 2027, a Friday; + 1 month = 16 Feb (Tue).
	// 18 Jan 2026 + 3 months = 18 Apr 2026, a Saturday -> Monday 20 Apr.
	c, _ := k.Compute(GDPR, time.Date(2026, 1, 18, 9, 0, 0, 0, time.UTC), time.UTC)
	e, err := Extend(c, c.Received, 2, "r") // default calculator, rule kept from the clock
	if err != nil {
		t.Fatal(err)
	}
	if got := DateOf(e.Due); got != d(2026, 4, 20) {
		t.Errorf("due %v, want 2026-04-20", got)
	}
	if e.Due != c.MaxExtendedDue {
		t.Errorf("extended due %v != max %v", e.Due, c.MaxExtendedDue)
	}
}

func TestStatus(t *testing.T) {
	rec := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	c, _ := Compute(CCPA, rec, time.UTC, nil)
	cases := []struct {
		now  time.Time
		st   State
		ack  State
		soon time.Duration
	}{
		{rec, OnTrack, OnTrack, 0},
		{c.AckDue.Add(-time.Hour), OnTrack, DueSoon, 0},
		{c.AckDue.Add(time.Second), OnTrack, Overdue, 0},
		{c.Due.Add(-7 * 24 * time.Hour), DueSoon, Overdue, 0},
		{c.Due.Add(-7*24*time.Hour - time.Second), OnTrack, Overdue, 0},
		{c.Due.Add(-10 * 24 * time.Hour), DueSoon, Overdue, 14 * 24 * time.Hour},
		{c.Due, DueSoon, Overdue, 0},
		{c.Due.Add(time.Nanosecond), Overdue, Overdue, 0},
	}
	for i, tc := range cases {
		s := c.StatusWithin(tc.now, tc.soon)
		if s.State != tc.st || s.Ack != tc.ack {
			t.Errorf("case %d: got %s/%s, want %s/%s", i, s.State, s.Ack, tc.st, tc.ack)
		}
		if s.Remaining != c.Due.Sub(tc.now) {
			t.Errorf("case %d: remaining %v", i, s.Remaining)
		}
	}
	g, _ := Compute(GDPR, rec, time.UTC, nil)
	if s := g.Status(rec); s.Ack != NotApplicable || s.AckRemaining != 0 || s.State != OnTrack {
		t.Errorf("GDPR status %+v", s)
	}
	k := Calculator{DueSoon: 40 * 24 * time.Hour}
	if s := k.Status(g, rec); s.State != DueSoon {
		t.Errorf("calculator threshold ignored: %+v", s)
	}
}

// TestExhaustiveDays checks invariants for every day of several years,
// leap years included, in a zone with DST.
func TestExhaustiveDays(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	for day := d(2023, 1, 1); day.Before(d(2029, 1, 1)); day = day.AddDays(1) {
		rec := time.Date(day.Year, day.Month, day.Day, 13, 0, 0, 0, ny)
		g, err := Compute(GDPR, rec, ny, nil)
		if err != nil {
			t.Fatal(err)
		}
		due := DateOf(g.Due)
		// Same day-of-month, or the last day of a shorter month.
		wantMonth := time.Month((int(day.Month))%12 + 1)
		if due.Month != wantMonth || (due.Day != day.Day && due.Day != daysIn(due.Year, due.Month)) || due.Day > day.Day {
			t.Fatalf("GDPR %v -> %v", day, due)
		}
		if days := g.Due.Sub(rec).Hours() / 24; days < 27 || days > 32 {
			t.Fatalf("GDPR %v: %v days", day, days)
		}
		if !g.MaxExtendedDue.After(g.Due) {
			t.Fatalf("GDPR %v: max %v not after due %v", day, g.MaxExtendedDue, g.Due)
		}
		c, err := Compute(CCPA, rec, ny, nil)
		if err != nil {
			t.Fatal(err)
		}
		ack := DateOf(c.AckDue)
		if !(USFederal{}).IsBusinessDay(ack) {
			t.Fatalf("CCPA %v: ack on non-business day %v", day, ack)
		}
		n := 0
		for x := day.AddDays(1); !ack.Before(x); x = x.AddDays(1) {
			if (USFederal{}).IsBusinessDay(x) {
				n++
			}
		}
		if n != 10 {
			t.Fatalf("CCPA %v: %d business days to ack %v", day, n, ack)
		}
		if DateOf(c.Due) != day.AddDays(44) || DateOf(c.MaxExtendedDue) != day.AddDays(89) {
			t.Fatalf("CCPA %v: due %v max %v", day, DateOf(c.Due), DateOf(c.MaxExtendedDue))
		}
		if h, m, _ := c.Due.Clock(); h != 23 || m != 59 {
			t.Fatalf("CCPA %v: due at %02d:%02d local", day, h, m)
		}
	}
}

type noDays struct{}

func (noDays) IsBusinessDay(Date) bool { return false }

func TestBadInput(t *testing.T) {
	if _, err := Compute("", time.Now(), nil, nil); !errors.Is(err, ErrUnknownJurisdiction) {
		t.Errorf("empty jurisdiction: %v", err)
	}
	if _, err := Compute(CCPA, time.Now(), nil, noDays{}); !errors.Is(err, ErrNoBusinessDay) {
		t.Errorf("calendar without business days: %v", err)
	}
	if _, err := (Calculator{GDPRHolidays: noDays{}}).Compute(GDPR, time.Now(), nil); !errors.Is(err, ErrNoBusinessDay) {
		t.Errorf("GDPR calendar without business days: %v", err)
	}
	for in, want := range map[string]Jurisdiction{"GDPR": GDPR, " ccpa ": CCPA} {
		if j, err := ParseJurisdiction(in); err != nil || j != want {
			t.Errorf("ParseJurisdiction(%q) = %q, %v", in, j, err)
		}
	}
	if _, err := ParseJurisdiction("hipaa"); !errors.Is(err, ErrUnknownJurisdiction) {
		t.Errorf("ParseJurisdiction(hipaa) = %v", err)
	}
}

func FuzzCompute(f *testing.F) {
	f.Add("gdpr", int64(1767225600), 0, int8(2), "reason", int64(86400))
	f.Add("ccpa", int64(-62135596800), 45, int8(0), "", int64(0))
	f.Add("x", int64(253402300799), -1, int8(-3), " ", int64(-1))
	f.Fuzz(func(t *testing.T, j string, sec int64, by int, tz int8, reason string, dt int64) {
		jur, err := ParseJurisdiction(j)
		if err != nil {
			jur = Jurisdiction(j)
		}
		loc := time.FixedZone("z", int(tz)*3600)
		rec := time.Unix(sec, 0)
		c, err := Compute(jur, rec, loc, nil)
		if err != nil {
			return
		}
		if c.Due.Before(c.Received) || c.MaxExtendedDue.Before(c.Due) {
			t.Fatalf("clock out of order: %+v", c)
		}
		e, err := Extend(c, rec.Add(time.Duration(dt)), by, reason)
		if err == nil && (e.Due.Before(c.Due) || e.Due.After(c.MaxExtendedDue)) {
			t.Fatalf("extension out of range: %v not in [%v, %v]", e.Due, c.Due, c.MaxExtendedDue)
		}
		_ = e.Status(rec)
	})
}
