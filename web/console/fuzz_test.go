package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// FuzzSearchForm: any posted kind and identifier gives a result page (200) or
// the page with the reason (422); never a 500, and an e-mail address typed is
// never shown back.
func FuzzSearchForm(f *testing.F) {
	for _, s := range [][2]string{{"", "a@example.com"}, {"", "+44 20 7946 0958"}, {"phone", "(((("}, {"external_id", "user-42"},
		{"contact_id", "<script>"}, {"?", "x"}, {"email", "a*@example.com"}, {"", strings.Repeat("x", 400)}, {"", ""}, {"email", "a\x00b@c.d"}} {
		f.Add(s[0], s[1])
	}
	b := setup(f, storetest.SQLite())
	f.Fuzz(func(t *testing.T, kind, value string) {
		form := url.Values{"kind": {kind}, "identifier": {value}}
		req := httptest.NewRequest(http.MethodPost, "/requests/search", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: testPrincipalCookie, Value: "agent:u_agent"})
		rec := serve(b.srv, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("kind %q value %q: %d %s", kind, value, rec.Code, rec.Body)
		}
		if at := strings.TrimSpace(value); strings.Count(at, "@") == 1 && len(at) > 6 && strings.Contains(rec.Body.String(), at) {
			t.Fatalf("the page shows the address searched for")
		}
	})
}

// FuzzListFilter: any query gives a store filter or an input error (422).
func FuzzListFilter(f *testing.F) {
	f.Add("received", "access", "gdpr", "2026-03-01", "u_1", "", true)
	f.Add("completed", "", "", "", "", "eyJyIjoxLCJpIjoicmVxXzEifQ", true)
	f.Add("bogus", "access+erasure", "us_va", "31/01/2026", "user:u_2", "%%%", false)
	f.Add("", "<script>", "MARS", "2026-02-30", "", "", false)
	f.Fuzz(func(t *testing.T, state, typ, law, due, assignee, cursor string, overdue bool) {
		lf := listFilter{State: state, Type: typ, Jurisdiction: law, DueBefore: due, Assignee: assignee, Cursor: cursor, Overdue: overdue}
		sf, err := lf.storeFilter(testNow)
		if err != nil {
			if k := httpx.KindOf(err); k.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%+v: %v answers %d", lf, err, k.Status)
			}
			return
		}
		if overdue != !sf.OverdueAt.IsZero() || (assignee != "" && !strings.HasPrefix(sf.Assignee, "user:")) {
			t.Fatalf("%+v: filter %+v", lf, sf)
		}
	})
}
