package dsar_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/intercom-privacy/intercom-privacy/dsar"
)

var shownFieldRE = regexp.MustCompile(`^(custom_attributes|\(the argument given\)|\(the field given\)|(custom_attributes\.)?[A-Za-z][A-Za-z0-9_]{0,63})$`)

// FuzzParseSet: the parser of --set KEY=VALUE never panics; what it accepts is a
// known field with a value of the field's shape that parses again to itself;
// what it refuses is a *FieldError (an ErrInvalidRequest) that names the field
// only in a fixed shape, never the value.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"name=Ann Example", "email=ann@example.com", "phone=+44 20 7946 0958", "custom_attributes.plan=Pro",
		"name=", "email=not-an-address", "phone=call me", "role=lead", "=x", "novalue", "custom_attributes.=x",
		"custom_attributes.shoe size=44", "name=Ann\x00", "email=ann@example.com=x", " name = Ann ", "\xff=1",
		"custom_attributes.4111111111111111=x", "custom_attributes.ann@example.com=1",
		"name=A\nname=B", "name=A\nphone=+1 415 555 0100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		// Several arguments at once (one per line): all accepted or refused
		// as the single parser says, a field given twice refused.
		args := strings.Split(arg, "\n")
		if set, err := dsar.ParseSets(args); err == nil {
			if len(set) != len(args) {
				t.Fatalf("ParseSets(%q) kept %d of %d arguments", args, len(set), len(args))
			}
		} else if !errors.Is(err, dsar.ErrInvalidRequest) {
			t.Fatalf("ParseSets(%q): %v", args, err)
		}
		field, value, err := dsar.ParseSet(arg)
		if err != nil {
			var fe *dsar.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Fatalf("ParseSet(%q): %v is not a *FieldError", arg, err)
			}
			if !shownFieldRE.MatchString(fe.Field) {
				t.Fatalf("ParseSet(%q): the error names the field as %q", arg, fe.Field)
			}
			if strings.Contains(fe.Field, "@") {
				t.Fatalf("ParseSet(%q): the field shown looks like an address", arg)
			}
			return
		}
		if field != "name" && field != "email" && field != "phone" && !strings.HasPrefix(field, "custom_attributes.") {
			t.Fatalf("ParseSet(%q) accepted field %q", arg, field)
		}
		if strings.IndexFunc(value, unicode.IsControl) >= 0 || value != strings.TrimSpace(value) {
			t.Fatalf("ParseSet(%q) accepted a value with control characters or spaces around it", arg)
		}
		f2, v2, err := dsar.ParseSet(field + "=" + value)
		if err != nil || f2 != field || v2 != value {
			t.Fatalf("ParseSet(%q) = %q, %q; again: %q, %q, %v", arg, field, value, f2, v2, err)
		}
	})
}

// FuzzParseScope: an objection's scope parses to a sorted list of known scopes
// without repeats, or ErrInvalidRequest.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"marketing", "sale_sharing,marketing", "marketing,marketing", "", ",", "everything", "sensitive, processing"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := dsar.ParseScope([]string{s})
		if err != nil {
			if !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Fatalf("ParseScope(%q): %v", s, err)
			}
			return
		}
		for i, sc := range got {
			if !strings.Contains(strings.Join(dsar.ObjectionScopes, " "), sc) || (i > 0 && got[i-1] >= sc) {
				t.Fatalf("ParseScope(%q) = %v", s, got)
			}
		}
	})
}
