package dsar_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// visibleText returns the text a person reads in an HTML page (no style or
// script).
func visibleText(page []byte) string {
	z := xhtml.NewTokenizer(bytes.NewReader(page))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.StartTagToken:
			if n, _ := z.TagName(); string(n) == "style" || string(n) == "script" {
				skip++
			}
		case xhtml.EndTagToken:
			if n, _ := z.TagName(); (string(n) == "style" || string(n) == "script") && skip > 0 {
				skip--
			}
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
				b.WriteByte('\n')
			}
		}
	}
}

// unreadable are what the report must never show a person: JSON fragments,
// Intercom's field names, object markers, zero dates, bare teammate ids, the
// operator's note about archived contacts.
var unreadable = []*regexp.Regexp{
	regexp.MustCompile(`[\[{]\s*"`),
	regexp.MustCompile(`"\s*:`),
	regexp.MustCompile(`\b[a-z]+_(id|at|ids)\b`),
	regexp.MustCompile(`(?i)\btype\b\s*[:›]?\s*(location|list|contact|tag|company|segment|ticket_type|ticket_state)\b`),
	regexp.MustCompile(`\b1970\b`),
	regexp.MustCompile(`(?i)(at|created|updated)\s*[:›]?\s*\n?\s*0\s*\n`),
	regexp.MustCompile(`(?i)(responsible|assignee|teammate|admin)\s*[:›]?\s*\n?\s*\d{4,}\b`),
	regexp.MustCompile(`(?i)archived intercom contacts cannot be found`),
}

// TestGeneratedReportIsReadable builds a package from a sandbox workspace
// through the whole access workflow (every kind of object Intercom has for a
// person) and scans the report's visible text for raw values.
func TestGeneratedReportIsReadable(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1, Archived: 1, Merged: 1, Conversations: 2, SharedConversations: 1,
		Tickets: 2, Notes: 2, Events: 5})
	r, _ := fileAccess(t, h, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	var pkg bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &pkg); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, pkg.Bytes())
	text := visibleText(u.files["report.html"])
	if !strings.Contains(text, p.Email) {
		t.Fatal("the report does not show the person's own email: is this the report?")
	}
	for _, re := range unreadable {
		if m := re.FindString(text); m != "" {
			i := strings.Index(text, m)
			t.Errorf("the report shows %q (%s) in ...%s...", m, re, text[max(0, i-80):min(len(text), i+80)])
		}
	}
}
