package accesspkg

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// reportText renders p's report and returns its visible text.
func reportText(t *testing.T, p *Package) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Build(p, &buf); err != nil {
		t.Fatal(err)
	}
	html := unzip(t, buf.Bytes())["report.html"]
	z := xhtml.NewTokenizer(bytes.NewReader(html))
	var b strings.Builder
	inStyle := false
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.StartTagToken:
			if n, _ := z.TagName(); string(n) == "style" {
				inStyle = true
			}
		case xhtml.EndTagToken:
			if n, _ := z.TagName(); string(n) == "style" {
				inStyle = false
			}
		case xhtml.TextToken:
			if !inStyle {
				b.Write(z.Text())
				b.WriteByte('\n')
			}
		}
	}
}

// rawLeaks are what a person must never read in the report: JSON fragments,
// Intercom's field names, object markers, zero dates, bare staff ids.
var rawLeaks = []*regexp.Regexp{
	regexp.MustCompile(`[\[{]\s*"`),                                       // a JSON array or object
	regexp.MustCompile(`"\s*:`),                                           // a JSON key
	regexp.MustCompile(`\b[a-z]+_(id|at|ids)\b`),                          // an internal field name
	regexp.MustCompile(`(?i)\btype\b\s*:?\s*(location|list|contact)\b`),   // an object marker
	regexp.MustCompile(`\b1970\b`),                                        // a zero date
	regexp.MustCompile(`(?i)(at|created|updated)\s*[:›]?\s*\n?\s*0\s*\n`), // a zero timestamp
	regexp.MustCompile(`(?i)responsible\s*\n?\s*\d{4,}`),                  // "Teammate responsible 5017690"
}

func TestReportSpeaksToThePerson(t *testing.T) {
	p := samplePackage()
	c := &p.Contacts[0]
	c.Observed["owner_id"] = float64(5017690)
	c.Observed["location"] = map[string]any{"type": "location", "city": "London", "country": "United Kingdom"}
	c.Observed["remote_created_at"] = float64(0)
	c.Observed["workspace_id"] = "ecahpwf5"
	c.Derived["social_profiles"] = map[string]any{"type": "list", "data": []any{map[string]any{"type": "social_profile", "name": "Twitter", "url": "https://twitter.example/ada"}}}
	c.Provided["custom_attributes"] = map[string]any{"plan": "pro", "orders": []any{map[string]any{"description": "Blue kettle", "quantity": float64(1)}}, "history": `[{"description":"Returned"}]`}
	c.Tickets = []Record{{"id": "t1", "ticket_id": "17", "admin_assignee_id": "991", "ticket_attributes": map[string]any{"_default_title_": "Refund"}}}
	text := reportText(t, p)
	for _, re := range rawLeaks {
		if m := re.FindString(text); m != "" {
			t.Errorf("the report shows %q (%s)", m, re)
		}
	}
	for _, want := range []string{"A member of our team", "London", "Blue kettle", "Returned"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lost %q", want)
		}
	}
	if strings.Contains(text, "ecahpwf5") {
		t.Error("the report shows an internal workspace id")
	}
}
