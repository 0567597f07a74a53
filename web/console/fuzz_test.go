package console

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzIdentifierOf: any typed search text gives one identifier of one kind,
// or an input error the page shows as 422; never a panic.
func FuzzIdentifierOf(f *testing.F) {
	for _, s := range []string{"", " ", "a@example.com", "+44 20 7946 0958", "user-42", "(((", "@", "1", strings.Repeat("x", 400), "<script>", "a\x00b@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := identifierOf(s)
		if err != nil {
			if !errors.Is(err, errInput) {
				t.Fatalf("%q: error %v is not an input error", s, err)
			}
			if status, _, _ := classify(err); status != http.StatusUnprocessableEntity {
				t.Fatalf("%q: status %d", s, status)
			}
			return
		}
		if ids.Count() != 1 {
			t.Fatalf("%q: %d identifiers", s, ids.Count())
		}
		if _, err := ids.Normalized(); err != nil {
			if status, _, _ := classify(err); status != http.StatusUnprocessableEntity {
				t.Fatalf("%q: normalising gives status %d (%v)", s, status, err)
			}
		}
	})
}

// FuzzListFilter: any query gives a store filter or an input error.
func FuzzListFilter(f *testing.F) {
	f.Add("received", "access", "gdpr", "2026-03-01", true)
	f.Add("completed", "", "", "", true)
	f.Add("bogus", "access+erasure", "us_va", "31/01/2026", false)
	f.Add("", "<script>", "MARS", "2026-02-30", false)
	f.Fuzz(func(t *testing.T, state, typ, law, due string, overdue bool) {
		lf := listFilter{State: state, Type: typ, Jurisdiction: law, DueBefore: due, Overdue: overdue}
		sf, none, err := lf.storeFilter(testNow)
		if err != nil {
			if !errors.Is(err, errInput) {
				t.Fatalf("%+v: %v", lf, err)
			}
			return
		}
		if none {
			return
		}
		if sf.Limit != listLimit+1 {
			t.Fatalf("limit %d", sf.Limit)
		}
		if overdue && (sf.DueBefore.IsZero() || sf.DueBefore.After(testNow)) {
			t.Fatalf("%+v: overdue but due before %v", lf, sf.DueBefore)
		}
	})
}
