package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func defaultChain(t *testing.T) *audit.Chain {
	t.Helper()
	c, err := audit.NewChain(audittest.NewSigner("check"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func baseRecord() audit.Record {
	return audit.Record{Actor: "worker", Action: audit.ActionRequestDenied, Outcome: audit.OutcomeFailure}
}

// TestPersonalDataRefused: a record with personal data in any free-text
// field is refused with ErrPersonalData naming the field, the error never
// holds the value, and nothing is written.
func TestPersonalDataRefused(t *testing.T) {
	c := defaultChain(t)
	m := audit.NewMemoryLog()
	cases := []struct{ name, value string }{
		{"email", "asked by jane.doe@example.com"},
		{"email without dot", "jane@example"},
		{"phone", "call +44 20 7946 0958 back"},
		{"us phone", "call 415 555 2671"},
		{"card", "paid with 4111 1111 1111 1111"},
		{"card dashes", "card 4111-1111-1111-1111"},
		{"iban", "refund to DE89 3704 0044 0532 0130 00"},
		{"ip", "client ip 8.8.8.8 blocked"},
		{"date of birth", "dob: 02/01/1990"},
		{"password", "password: hunter2xyz"},
		{"secret", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"spanish dni", "ES DNI 12345678Z"},
	}
	fields := []struct {
		name string
		set  func(*audit.Record, string)
	}{
		{"reason", func(r *audit.Record, v string) { r.Reason = v }},
		{"denial_reason", func(r *audit.Record, v string) { r.DenialReason = v }},
		{"request_nature", func(r *audit.Record, v string) { r.RequestNature = v }},
		{"response_nature", func(r *audit.Record, v string) { r.ResponseNature = v }},
	}
	for _, f := range fields {
		for _, tc := range cases {
			r := baseRecord()
			f.set(&r, tc.value)
			err := m.Update(context.Background(), func(tx audit.Tx) error {
				_, err := c.Append(context.Background(), tx, r)
				return err
			})
			if !errors.Is(err, audit.ErrPersonalData) {
				t.Errorf("%s in %s: err = %v, want ErrPersonalData", tc.name, f.name, err)
				continue
			}
			var fe *audit.FieldError
			if !errors.As(err, &fe) || fe.Field != f.name {
				t.Errorf("%s in %s: error does not name the field: %v", tc.name, f.name, err)
			}
			for _, part := range strings.Fields(tc.value) {
				if len(part) > 4 && strings.Contains(err.Error(), part) {
					t.Errorf("%s in %s: error %q leaks %q", tc.name, f.name, err, part)
				}
			}
		}
	}
	if m.Len() != 0 {
		t.Fatalf("%d records written, want 0", m.Len())
	}
}

func TestShapes(t *testing.T) {
	c := defaultChain(t)
	ok := baseRecord()
	ok.RequestID = "req_01J:ab-c.d"
	ok.SubjectRef = strings.Repeat("a1", 32)
	ok.Counts = map[string]int64{"contacts.deleted": 2, "parts_0": 0}
	ok.ObjectIDs = []string{"6543a1b2c3d4e5f601234567", "215470"}
	ok.Reason = "GDPR Art. 17(3)(e): legal claims; deadline 2026-12-28 (extended)"
	ok.RequestMethod = "intercom_ticket"
	if err := c.Validate(&ok); err != nil {
		t.Fatalf("valid record refused: %v", err)
	}
	for _, actor := range []string{"worker", "webhook", "cli:jdoe", "cli:j.doe-2", "server:admin_1"} {
		r := baseRecord()
		r.Actor = actor
		if err := c.Validate(&r); err != nil {
			t.Errorf("actor %q refused: %v", actor, err)
		}
	}
	bad := []struct {
		field    string
		sentinel error
		edit     func(*audit.Record)
	}{
		{"actor", audit.ErrInvalidRecord, func(r *audit.Record) { r.Actor = "" }},
		{"actor", audit.ErrInvalidRecord, func(r *audit.Record) { r.Actor = "cli:jane@example.com" }},
		{"actor", audit.ErrInvalidRecord, func(r *audit.Record) { r.Actor = "Jane Doe" }},
		{"actor", audit.ErrInvalidRecord, func(r *audit.Record) { r.Actor = "cli:" }},
		{"action", audit.ErrInvalidRecord, func(r *audit.Record) { r.Action = "request.exploded" }},
		{"outcome", audit.ErrInvalidRecord, func(r *audit.Record) { r.Outcome = "ok" }},
		{"subject_ref", audit.ErrInvalidRecord, func(r *audit.Record) { r.SubjectRef = "jane@example.com" }},
		{"subject_ref", audit.ErrInvalidRecord, func(r *audit.Record) { r.SubjectRef = strings.Repeat("A1", 32) }},
		{"subject_ref", audit.ErrInvalidRecord, func(r *audit.Record) { r.SubjectRef = strings.Repeat("a", 63) }},
		{"request_id", audit.ErrInvalidRecord, func(r *audit.Record) { r.RequestID = "req 1" }},
		{"request_id", audit.ErrInvalidRecord, func(r *audit.Record) { r.RequestID = strings.Repeat("r", 129) }},
		{"object_ids", audit.ErrInvalidRecord, func(r *audit.Record) { r.ObjectIDs = []string{"ok", "jane@example.com"} }},
		{"object_ids", audit.ErrInvalidRecord, func(r *audit.Record) { r.ObjectIDs = []string{""} }},
		{"object_ids", audit.ErrInvalidRecord, func(r *audit.Record) { r.ObjectIDs = make([]string, audit.MaxObjectIDs+1) }},
		{"counts", audit.ErrInvalidRecord, func(r *audit.Record) { r.Counts = map[string]int64{"Jane": 1} }},
		{"counts", audit.ErrInvalidRecord, func(r *audit.Record) { r.Counts = map[string]int64{"n": -1} }},
		{"reason", audit.ErrInvalidRecord, func(r *audit.Record) { r.Reason = strings.Repeat("x", audit.MaxReasonLen+1) }},
		{"reason", audit.ErrInvalidRecord, func(r *audit.Record) { r.Reason = "naïve" }},
		{"reason", audit.ErrInvalidRecord, func(r *audit.Record) { r.Reason = "line\nbreak" }},
		{"reason", audit.ErrInvalidRecord, func(r *audit.Record) { r.Reason = "bad \xff utf8" }},
		{"request_method", audit.ErrInvalidRecord, func(r *audit.Record) { r.RequestMethod = strings.Repeat("m", audit.MaxMethodLen+1) }},
		{"reason", audit.ErrPersonalData, func(r *audit.Record) { r.Reason = "account 123456789" }},
	}
	for i, b := range bad {
		r := baseRecord()
		b.edit(&r)
		err := c.Validate(&r)
		var fe *audit.FieldError
		if !errors.Is(err, b.sentinel) || !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("case %d (%s): err = %v, want %v on field %s", i, b.field, err, b.sentinel, b.field)
		}
	}
	r := baseRecord()
	r.ObjectIDs = []string{"ok", "also_ok", "jane doe"}
	var fe *audit.FieldError
	if err := c.Validate(&r); !errors.As(err, &fe) || fe.Index != 2 || !strings.Contains(err.Error(), `"object_ids[2]"`) {
		t.Errorf("object id error does not name the index: %v", err)
	}
}

// TestCustomChecker: a Checker replaces the default entirely.
func TestCustomChecker(t *testing.T) {
	var seen []audit.Field
	chk := checkerFunc(func(f audit.Field, v string) error {
		seen = append(seen, f)
		if v == "no" {
			return &audit.FieldError{Field: string(f), Index: -1, Problem: "said no", Err: audit.ErrPersonalData}
		}
		return nil
	})
	c, err := audit.NewChain(audittest.NewSigner("x"), audit.Options{Checker: chk})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	r.Reason = "no"
	if err := c.Validate(&r); !errors.Is(err, audit.ErrPersonalData) {
		t.Fatalf("custom checker ignored: %v", err)
	}
	if len(seen) == 0 || seen[0] != audit.FieldActor {
		t.Fatalf("fields seen: %v", seen)
	}
}

type checkerFunc func(audit.Field, string) error

func (f checkerFunc) CheckField(fl audit.Field, v string) error { return f(fl, v) }
