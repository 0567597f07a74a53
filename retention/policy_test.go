package retention

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone data for the tests, independent of the machine
)

func TestDefaults(t *testing.T) {
	p := Default()
	want := map[Category]string{ContactCache: "30d", ConversationCache: "90d", WebhookEvents: "30d", ExportFiles: "7d", AccessPackages: "7d", Audit: "7y"}
	for c, w := range want {
		if got := p.Age(c).String(); got != w {
			t.Errorf("%s = %s, want %s", c, got, w)
		}
	}
	if p.BatchSize != DefaultBatchSize || p.Schedule.Cron != DefaultCron || p.Schedule.Location != time.UTC {
		t.Errorf("schedule defaults: %+v batch %d", p.Schedule, p.BatchSize)
	}
	now := time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)
	if next := p.Schedule.Next(now); !next.Equal(time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("next run %v", next)
	}
	for _, in := range []string{"", "# only a comment\n", "retention:\nschedule:\n"} {
		q, err := Parse([]byte(in))
		if err != nil || q.String() != p.String() {
			t.Errorf("Parse(%q) = %v, %v; want defaults", in, q, err)
		}
	}
}

func TestLoadFull(t *testing.T) {
	in := `
retention:
  contact_cache: 12w
  conversation_cache: 6mo
  webhook_events: 36h
  export_files: off
  audit: 24mo
schedule:
  cron: "30 2 * * 1-5"
  timezone: Europe/Berlin
batch_size: 500
`
	p, err := Load(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, berlin)
	cases := []struct {
		c    Category
		want time.Time
	}{
		{ContactCache, time.Date(2026, 1, 6, 12, 0, 0, 0, berlin)},
		{ConversationCache, time.Date(2025, 9, 30, 12, 0, 0, 0, berlin)},
		{WebhookEvents, now.Add(-36 * time.Hour)},
		{AccessPackages, time.Date(2026, 3, 24, 12, 0, 0, 0, berlin)}, // default kept
		{Audit, time.Date(2024, 3, 31, 12, 0, 0, 0, berlin)},
		{ExportFiles, time.Time{}}, // off
		{"unknown", time.Time{}},   // unknown category deletes nothing
	}
	for _, tc := range cases {
		if got := p.Cutoff(tc.c, now.UTC()); !got.Equal(tc.want) {
			t.Errorf("Cutoff(%s) = %v, want %v", tc.c, got, tc.want)
		}
	}
	if p.BatchSize != 500 {
		t.Errorf("batch %d", p.BatchSize)
	}
	// Saturday 28 Nov 2026 -> Monday 30 Nov 02:30 Berlin.
	if next := p.Schedule.Next(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)); !next.Equal(time.Date(2026, 11, 30, 2, 30, 0, 0, berlin)) {
		t.Errorf("next %v", next)
	}
	if (Policy{}).Cutoff(ContactCache, now) != (time.Time{}) || !(Policy{}).Schedule.Next(now).IsZero() {
		t.Error("zero policy must delete nothing and never run")
	}
}

func TestCutoffMonthEnds(t *testing.T) {
	p, err := Parse([]byte("retention: {contact_cache: 1mo, conversation_cache: 1y}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ now, month, year time.Time }{
		{time.Date(2026, 3, 31, 5, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 5, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 5, 0, 0, 0, time.UTC)},
		{time.Date(2028, 3, 31, 5, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 5, 0, 0, 0, time.UTC), time.Date(2027, 3, 31, 5, 0, 0, 0, time.UTC)},
		{time.Date(2028, 2, 29, 5, 0, 0, 0, time.UTC), time.Date(2028, 1, 29, 5, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 5, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 5, 0, 0, 0, time.UTC), time.Date(2025, 12, 15, 5, 0, 0, 0, time.UTC), time.Date(2025, 1, 15, 5, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		if got := p.Cutoff(ContactCache, tc.now); !got.Equal(tc.month) {
			t.Errorf("1mo before %v = %v, want %v", tc.now, got, tc.month)
		}
		if got := p.Cutoff(ConversationCache, tc.now); !got.Equal(tc.year) {
			t.Errorf("1y before %v = %v, want %v", tc.now, got, tc.year)
		}
	}
}

func TestCutoffAcrossDST(t *testing.T) {
	p, err := Parse([]byte("retention: {contact_cache: 7d, webhook_events: 168h}\nschedule: {timezone: America/New_York}\n"))
	if err != nil {
		t.Skipf("zone data: %v", err)
	}
	ny := p.Schedule.Location
	// 3 a.m. on Tuesday 10 March 2026, two days after the spring-forward.
	now := time.Date(2026, 3, 10, 3, 0, 0, 0, ny)
	if got, want := p.Cutoff(ContactCache, now.UTC()), time.Date(2026, 3, 3, 3, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("7d cutoff %v, want %v (calendar days, local clock time)", got, want)
	}
	if got, want := p.Cutoff(WebhookEvents, now), now.Add(-168*time.Hour); !got.Equal(want) {
		t.Errorf("168h cutoff %v, want %v (exact hours)", got, want)
	}
	if d := p.Cutoff(WebhookEvents, now).Sub(p.Cutoff(ContactCache, now)); d != -time.Hour {
		t.Errorf("7d and 168h differ by %v across DST, want -1h (the 168h cutoff is an hour earlier)", d)
	}
}

func TestParseAge(t *testing.T) {
	good := map[string]Age{"30d": {30, Days}, "12w": {12, Weeks}, "24mo": {24, Months}, "7y": {7, Years}, "36h": {36, Hours}, " OFF ": Off, "5MO": {5, Months}}
	for in, want := range good {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0d", "-3d", "30", "24m", "3 d", "d", "1.5d", "10x", "999999999999999999999d", "100001d", "+-3d"} {
		if _, err := ParseAge(in); !errors.Is(err, ErrInvalidAge) {
			t.Errorf("ParseAge(%q) err = %v", in, err)
		}
	}
	if _, err := ParseAge("24m"); err == nil || !strings.Contains(err.Error(), "24mo") {
		t.Errorf("24m should suggest 24mo: %v", err)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  error
		line  int
		field string
		says  string
	}{
		{"audit short months", "retention:\n  audit: 23mo\n", ErrAuditTooShort, 2, "retention.audit", "24 months"},
		{"audit short days", "retention:\n  audit: 730d\n", ErrAuditTooShort, 2, "retention.audit", ""},
		{"audit short years", "retention:\n  audit: 1y\n", ErrAuditTooShort, 2, "retention.audit", ""},
		{"audit short weeks", "retention:\n  audit: 104w\n", ErrAuditTooShort, 2, "retention.audit", ""},
		{"audit short hours", "retention:\n  audit: 17544h\n", ErrAuditTooShort, 2, "retention.audit", ""},
		{"audit off", "retention:\n  audit: off\n", ErrAuditOff, 2, "retention.audit", ""},
		{"audit zero", "retention:\n  audit: 0\n", ErrInvalidAge, 2, "retention.audit", "off"},
		{"negative", "retention:\n  contact_cache: -1d\n", ErrInvalidAge, 2, "retention.contact_cache", ""},
		{"unknown category", "retention:\n  contacts: 3d\n", ErrUnknownCategory, 2, "retention.contacts", "contact_cache, conversation_cache"},
		{"unknown top key", "retention: {}\nschedul:\n  cron: x\n", ErrUnknownKey, 2, "schedul", "schedule"},
		{"unknown schedule key", "schedule:\n  tz: UTC\n", ErrUnknownKey, 2, "schedule.tz", "timezone"},
		{"bad cron", "schedule:\n  cron: \"61 3 * * *\"\n", ErrInvalidCron, 2, "schedule.cron", ""},
		{"six fields", "schedule:\n  cron: \"0 0 3 * * *\"\n", ErrInvalidCron, 2, "schedule.cron", "5 fields"},
		{"descriptor", "schedule:\n  cron: \"@daily\"\n", ErrInvalidCron, 2, "schedule.cron", ""},
		{"tz prefix", "schedule:\n  cron: \"CRON_TZ=UTC 0 3 * * *\"\n", ErrInvalidCron, 2, "schedule.cron", "schedule.timezone"},
		{"tz prefix no space", "schedule:\n  cron: \"TZ=UTC\"\n", ErrInvalidCron, 2, "schedule.cron", ""},
		{"never fires", "schedule:\n  cron: \"0 3 30 2 *\"\n", ErrInvalidCron, 2, "schedule.cron", "never"},
		{"bad tz", "schedule:\n  timezone: Mars/Olympus\n", ErrInvalidTimezone, 2, "schedule.timezone", ""},
		{"local tz", "schedule:\n  timezone: Local\n", ErrInvalidTimezone, 2, "schedule.timezone", ""},
		{"batch zero", "batch_size: 0\n", ErrInvalidBatchSize, 1, "batch_size", ""},
		{"batch huge", "batch_size: 100001\n", ErrInvalidBatchSize, 1, "batch_size", ""},
		{"batch text", "batch_size: lots\n", ErrInvalidBatchSize, 1, "batch_size", ""},
		{"list", "- a\n- b\n", ErrWrongType, 1, "", ""},
		{"age list", "retention:\n  audit: [7y]\n", ErrWrongType, 2, "retention.audit", ""},
		{"dup", "retention:\n  audit: 7y\n  audit: 8y\n", ErrSyntax, 3, "retention.audit", "twice"},
		{"syntax", "retention:\n  audit: 7y\n bad: [\n", ErrSyntax, 0, "", ""},
		{"two docs", "batch_size: 5\n---\nbatch_size: 6\n", ErrSyntax, 0, "", ""},
		{"alias", "a: &x {audit: 7y}\nretention: *x\n", ErrUnknownKey, 1, "a", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %T is not *Error", err)
			}
			if tc.line != 0 && pe.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tc.line, err)
			}
			if pe.Field != tc.field {
				t.Errorf("field %q, want %q", pe.Field, tc.field)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("message %q lacks %q", err, tc.says)
			}
		})
	}
	// The minimum itself is accepted in every unit.
	for _, a := range []string{"24mo", "2y", "731d", "105w", "17545h"} {
		if _, err := Parse([]byte("retention: {audit: " + a + "}")); err != nil {
			t.Errorf("audit %s rejected: %v", a, err)
		}
	}
	if _, err := Load(strings.NewReader(strings.Repeat("#", maxPolicyBytes+1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("retention:\n  audit: 7y\nschedule:\n  cron: \"0 3 * * *\"\n  timezone: UTC\nbatch_size: 10\n")
	f.Add("retention: {contact_cache: off, audit: 24mo}\n")
	f.Add("schedule: {cron: \"TZ=\"}\n")
	f.Add("a: &a [*a]\n")
	f.Add("retention:\n  audit: 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse([]byte(in))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T not *Error: %v", err, err)
			}
			return
		}
		a := p.Age(Audit)
		if a.IsOff() || !a.covers(AuditMinimumMonths) {
			t.Fatalf("accepted audit age %v", a)
		}
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		if c := p.Cutoff(Audit, now); c.After(now.AddDate(-2, 0, 0)) {
			t.Fatalf("audit cutoff %v inside 24 months", c)
		}
		if p.BatchSize < 1 || p.BatchSize > MaxBatchSize {
			t.Fatalf("batch %d", p.BatchSize)
		}
		if p.Schedule.Next(now).IsZero() {
			t.Fatal("accepted schedule never fires")
		}
	})
}

func TestAgeErrorsWithholdPersonalData(t *testing.T) {
	_, err := ParseAge("alice@example.com")
	if err == nil || strings.Contains(err.Error(), "alice") {
		t.Fatalf("age error: %v", err)
	}
	_, err = ParseAge("30m")
	if err == nil || !strings.Contains(err.Error(), `"30m"`) {
		t.Fatalf("a harmless typo should be repeated: %v", err)
	}
}
