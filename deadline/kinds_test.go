package deadline

import (
	"errors"
	"testing"
	"time"
)

func TestComputeKindOnFixedDates(t *testing.T) {
	var k Calculator
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return v.Add(10 * time.Hour)
	}
	for _, tc := range []struct {
		name         string
		kind         Kind
		j            Jurisdiction
		received     string
		due, maxDue  string
		ackDue       string
		wantExtended string // due after the full extension; "" when refused
	}{
		// 15 business days from the day after receipt; no holiday in March 2026.
		{"ccpa opt-out", KindOptOut, CCPA, "2026-03-02", "2026-03-23", "2026-03-23", "", ""},
		// Memorial Day (25 May 2026) is not a business day.
		{"ccpa opt-out over a holiday", KindOptOut, CCPA, "2026-05-20", "2026-06-11", "2026-06-11", "", ""},
		// A law without an opt-out period: the answer clock, extendable.
		{"gdpr objection", KindOptOut, GDPR, "2026-01-31", "2026-02-28", "2026-04-30", "", "2026-04-30"},
		{"virginia opt-out", KindOptOut, Virginia, "2026-03-02", "2026-04-15", "2026-05-30", "", "2026-05-30"},
		// Appeals: the law's appeal period, the day of receipt counting as day 1.
		{"virginia appeal", KindAppeal, Virginia, "2026-03-02", "2026-04-30", "2026-04-30", "", ""},
		{"colorado appeal", KindAppeal, Colorado, "2026-03-02", "2026-04-15", "2026-06-14", "", "2026-06-14"},
		{"answer", "", CCPA, "2026-03-02", "2026-04-15", "2026-05-30", "2026-03-16", "2026-05-30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := k.ComputeKind(tc.kind, tc.j, at(tc.received), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			day := func(v time.Time) string {
				if v.IsZero() {
					return ""
				}
				return v.Format("2006-01-02")
			}
			if day(c.Due) != tc.due || day(c.MaxExtendedDue) != tc.maxDue || day(c.AckDue) != tc.ackDue || c.Kind != tc.kind {
				t.Fatalf("clock: due %s max %s ack %s kind %q; want %s %s %s %q", day(c.Due), day(c.MaxExtendedDue), day(c.AckDue), c.Kind,
					tc.due, tc.maxDue, tc.ackDue, tc.kind)
			}
			r, _ := RulesFor(tc.j)
			by := r.Extension.N
			if tc.kind == KindAppeal {
				by = r.AppealExtension.N
			}
			e, err := k.Extend(c, at(tc.received), max(by, 1), "complex")
			if tc.wantExtended == "" {
				if !errors.Is(err, ErrNoExtension) {
					t.Fatalf("Extend: %v, want ErrNoExtension", err)
				}
				return
			}
			if err != nil || day(e.Due) != tc.wantExtended {
				t.Fatalf("Extend: due %s, %v; want %s", day(e.Due), err, tc.wantExtended)
			}
			if _, err := k.Extend(c, at(tc.received), by+1, "complex"); !errors.Is(err, ErrExtensionTooLong) {
				t.Fatalf("Extend past the law's limit: %v", err)
			}
		})
	}
	if _, err := k.ComputeKind(KindAppeal, Utah, at("2026-03-02"), time.UTC); !errors.Is(err, ErrNoAppeal) {
		t.Fatalf("Utah appeal: %v, want ErrNoAppeal", err)
	}
	if _, err := k.ComputeKind("bogus", GDPR, at("2026-03-02"), time.UTC); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}
