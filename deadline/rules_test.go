package deadline

import (
	"errors"
	"testing"
	"time"
)

// TestRulesPerRow checks every row of the table on one fixed date, Monday 15
// June 2026 (Juneteenth, a US federal holiday, falls on Friday 19 June), with
// the expected dates counted by hand, not by the code under test.
func TestRulesPerRow(t *testing.T) {
	rec := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	state := [2]Date{d(2026, 7, 29), d(2026, 9, 12)} // 45 days, +45
	want := map[Jurisdiction]struct {
		due, max, ack Date
	}{
		GDPR:   {d(2026, 7, 15), d(2026, 9, 15), Date{}},
		UKGDPR: {d(2026, 7, 15), d(2026, 9, 15), Date{}},
		// 10 business days from the day after receipt, Juneteenth skipped.
		CCPA:         {state[0], state[1], d(2026, 6, 30)},
		Virginia:     {state[0], state[1], Date{}},
		Colorado:     {state[0], state[1], Date{}},
		Connecticut:  {state[0], state[1], Date{}},
		Utah:         {state[0], state[1], Date{}},
		Texas:        {state[0], state[1], Date{}},
		Oregon:       {state[0], state[1], Date{}},
		Montana:      {state[0], state[1], Date{}},
		Iowa:         {d(2026, 9, 12), d(2026, 10, 27), Date{}}, // 90 days, +45
		Delaware:     {state[0], state[1], Date{}},
		NewHampshire: {state[0], state[1], Date{}},
		Nebraska:     {state[0], state[1], Date{}},
		NewJersey:    {state[0], state[1], Date{}},
		Tennessee:    {state[0], state[1], Date{}},
		Minnesota:    {state[0], state[1], Date{}},
		Maryland:     {state[0], state[1], Date{}},
		Indiana:      {state[0], state[1], Date{}},
		Kentucky:     {state[0], state[1], Date{}},
		RhodeIsland:  {state[0], state[1], Date{}},
		LGPD:         {d(2026, 6, 29), d(2026, 6, 29), Date{}}, // 15 days, no extension
		PIPEDA:       {d(2026, 7, 14), d(2026, 8, 13), Date{}}, // 30 days, +30
	}
	rows := AllRules()
	if len(rows) != len(want) {
		t.Fatalf("%d rows in the table, %d expected here: add the new row's dates to this test", len(rows), len(want))
	}
	for _, r := range rows {
		t.Run(string(r.Jurisdiction), func(t *testing.T) {
			w, ok := want[r.Jurisdiction]
			if !ok {
				t.Fatalf("no expected dates for %s", r.Jurisdiction)
			}
			if r.Source == "" || r.Name == "" {
				t.Errorf("row without a name or source")
			}
			j, err := ParseJurisdiction(string(r.Jurisdiction))
			if err != nil || j != r.Jurisdiction {
				t.Fatalf("ParseJurisdiction(%s) = %q, %v", r.Jurisdiction, j, err)
			}
			c, err := Compute(j, rec, time.UTC, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := DateOf(c.Due); got != w.due {
				t.Errorf("due %v, want %v", got, w.due)
			}
			if got := DateOf(c.MaxExtendedDue); got != w.max {
				t.Errorf("max due %v, want %v", got, w.max)
			}
			if (w.ack == Date{}) != c.AckDue.IsZero() || (w.ack != Date{} && DateOf(c.AckDue) != w.ack) {
				t.Errorf("ack due %v, want %v", c.AckDue, w.ack)
			}
			// The full extension lands on the maximum; one more is refused.
			e, err := Extend(c, rec.Add(24*time.Hour), r.Extension.N, "volume of requests")
			switch {
			case r.Extension.IsZero():
				if !errors.Is(err, ErrNoExtension) {
					t.Errorf("extension of a law without one: %v", err)
				}
			case err != nil:
				t.Errorf("full extension: %v", err)
			case DateOf(e.Due) != w.max:
				t.Errorf("extended due %v, want %v", DateOf(e.Due), w.max)
			}
			if !r.Extension.IsZero() {
				if _, err := Extend(c, rec, r.Extension.N+1, "too long"); !errors.Is(err, ErrExtensionTooLong) {
					t.Errorf("over-long extension: %v", err)
				}
				if _, err := Extend(c, c.OriginalDue.Add(time.Nanosecond), 1, "late"); !errors.Is(err, ErrExtensionTooLate) {
					t.Errorf("late extension: %v", err)
				}
			}
			// Not before the law was in force.
			before := r.InForce.AddDays(-1).EndOfDay(time.UTC)
			if _, err := Compute(j, before, time.UTC, nil); !errors.Is(err, ErrNotInForce) {
				t.Errorf("request the day before the law applied: %v", err)
			}
			if _, err := Compute(j, time.Date(r.InForce.Year, r.InForce.Month, r.InForce.Day, 0, 0, 0, 0, time.UTC), time.UTC, nil); err != nil {
				t.Errorf("request on the day the law applied: %v", err)
			}
		})
	}
}

func TestAppealDue(t *testing.T) {
	rec := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	cases := []struct {
		j        Jurisdiction
		due, max Date
	}{
		{Colorado, d(2026, 7, 15), d(2026, 9, 13)},  // 45 days, +60
		{Virginia, d(2026, 7, 30), d(2026, 7, 30)},  // 60 days, no extension
		{Oregon, d(2026, 7, 15), d(2026, 8, 29)},    // 45 days, +45
		{Minnesota, d(2026, 7, 15), d(2026, 9, 13)}, // 45 days, +60
	}
	for _, tc := range cases {
		due, max, err := Calculator{}.AppealDue(tc.j, rec, time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", tc.j, err)
		}
		if DateOf(due) != tc.due || DateOf(max) != tc.max {
			t.Errorf("%s: appeal due %v (max %v), want %v (max %v)", tc.j, DateOf(due), DateOf(max), tc.due, tc.max)
		}
	}
	for _, j := range []Jurisdiction{Utah, GDPR, CCPA, LGPD} {
		if _, _, err := (Calculator{}).AppealDue(j, rec, time.UTC); !errors.Is(err, ErrNoAppeal) {
			t.Errorf("%s has no appeal process; got %v", j, err)
		}
	}
	if _, _, err := (Calculator{}).AppealDue("xx", rec, nil); !errors.Is(err, ErrUnknownJurisdiction) {
		t.Errorf("unknown: %v", err)
	}
}

func TestPeriodString(t *testing.T) {
	for p, want := range map[Period]string{
		{1, Months}:        "1 month",
		{45, Days}:         "45 days",
		{10, BusinessDays}: "10 business days",
		{}:                 "none",
	} {
		if got := p.String(); got != want {
			t.Errorf("%#v = %q, want %q", p, got, want)
		}
	}
}
