package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Report is what the scans found, as counts and ids: it holds no value.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// LastRun is the latest run (nil before the first).
	LastRun *store.ScanRun `json:"last_run,omitempty"`
	// Coverage says what was scanned and what could not be.
	Coverage store.ScanCoverage `json:"coverage"`
	// ByType, ByMonth, ByAuthorRole and ByInbox count findings, parts and
	// conversations per type.
	ByType       []store.ScanCount `json:"by_type"`
	ByMonth      []store.ScanCount `json:"by_month"`
	ByAuthorRole []store.ScanCount `json:"by_author_role"`
	ByInbox      []store.ScanCount `json:"by_inbox"`
	// Sensitive counts the conversations holding card numbers, passwords or
	// secrets.
	Sensitive map[string]int64 `json:"conversations_with"`
	// Top are the conversations with the most findings, with inbox links.
	Top []TopConversation `json:"top_conversations"`
	// Redaction is what `scan redact` with the default types would do, and what
	// was redacted so far.
	Redaction RedactionPreview `json:"redaction"`
	// Notices explain what could not be scanned.
	Notices []string `json:"notices"`
}

// TopConversation is one conversation of the top list.
type TopConversation struct {
	ConversationID string   `json:"conversation_id"`
	Findings       int64    `json:"findings"`
	Types          []string `json:"types"`
	Link           string   `json:"link,omitempty"`
}

// RedactionPreview says what redaction would do.
type RedactionPreview struct {
	Types []string `json:"types"`
	// Parts would be redacted, by author role.
	Parts   int              `json:"parts"`
	ByRole  map[string]int   `json:"parts_by_author_role"`
	Sources int              `json:"opening_messages"`
	Notice  string           `json:"notice"`
	SoFar   map[string]int64 `json:"redactions_so_far"`
}

// ReportOptions tune a report.
type ReportOptions struct {
	// AppID is the workspace's id_code for inbox links (no links when empty).
	AppID string
	// Top is how many conversations the top list holds (10 when 0).
	Top int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// BuildReport reads the scan's records.
func BuildReport(ctx context.Context, st store.Store, o ReportOptions) (*Report, error) {
	sc, err := scansOf(st)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	r := &Report{GeneratedAt: now().UTC(), Sensitive: map[string]int64{}}
	run, err := sc.LatestScanRun(ctx)
	switch {
	case err == nil:
		r.LastRun = &run
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if r.Coverage, err = sc.ScanCoverage(ctx); err != nil {
		return nil, err
	}
	for _, g := range []struct {
		by  store.ScanGroup
		dst *[]store.ScanCount
	}{{store.ByType, &r.ByType}, {store.ByMonth, &r.ByMonth}, {store.ByAuthorRole, &r.ByAuthorRole}, {store.ByInbox, &r.ByInbox}} {
		if *g.dst, err = sc.ScanCounts(ctx, g.by); err != nil {
			return nil, err
		}
	}
	for _, c := range r.ByType {
		switch c.Type {
		case "CARD", "PASSWORD", "SECRET", "URL_SECRET":
			r.Sensitive[c.Type] = c.Conversations
		}
	}
	top, err := sc.TopScanConversations(ctx, o.Top)
	if err != nil {
		return nil, err
	}
	for _, t := range top {
		tc := TopConversation{ConversationID: t.ConversationID, Findings: t.Findings, Types: t.Types}
		if o.AppID != "" {
			tc.Link = InboxLink(o.AppID, t.ConversationID)
		}
		r.Top = append(r.Top, tc)
	}
	targets, err := sc.RedactionTargets(ctx, typeNames(DefaultRedactTypes), nil)
	if err != nil {
		return nil, err
	}
	r.Redaction = RedactionPreview{Types: typeNames(DefaultRedactTypes), Parts: len(targets), ByRole: map[string]int{}, Notice: DeletedNotice, SoFar: map[string]int64{}}
	for _, t := range targets {
		r.Redaction.ByRole[t.AuthorRole]++
		if t.PartKind == KindSource {
			r.Redaction.Sources++
		}
	}
	counts, err := sc.RedactionCounts(ctx)
	if err != nil {
		return nil, err
	}
	for k, v := range counts {
		r.Redaction.SoFar[string(k)] = v
	}
	r.Notices = notices(r)
	return r, nil
}

// InboxLink is the conversation's address in the Intercom inbox (a ticket's,
// recorded as "ticket:<id>", is its conversation's: they share the id).
func InboxLink(appID, conversationID string) string {
	conversationID = strings.TrimPrefix(conversationID, TicketKeyPrefix)
	return "https://app.intercom.com/a/inbox/" + url.PathEscape(appID) + "/inbox/conversation/" + url.PathEscape(conversationID)
}

func notices(r *Report) []string {
	var out []string
	c := r.Coverage
	if r.LastRun == nil {
		out = append(out, "No scan has run yet: run `intercom-privacy scan conversations`.")
	} else if r.LastRun.State == store.ScanRunning {
		out = append(out, fmt.Sprintf("The last scan (%s) did not finish: run `intercom-privacy scan conversations` to resume it.", r.LastRun.ID))
	}
	if c.Truncated > 0 {
		out = append(out, fmt.Sprintf("%d conversation(s) have more than 500 parts: Intercom returns only the 500 most recent, so %d older part(s) could not be scanned.", c.Truncated, c.PartsNotScanned))
	}
	if c.Failed > 0 {
		out = append(out, fmt.Sprintf("%d conversation(s) could not be fetched (Intercom errors); the next scan tries them again.", c.Failed))
	}
	if c.AttachmentOnly > 0 {
		out = append(out, fmt.Sprintf("%d part(s) hold attachments only: their file names were scanned, the files were not.", c.AttachmentOnly))
	}
	if c.TicketAttributeFindings > 0 {
		out = append(out, fmt.Sprintf("%d finding(s) are in ticket attributes (listed as ticket:<id>): Intercom's redaction applies to messages only, so `scan redact` leaves them; edit those tickets' attributes in Intercom.", c.TicketAttributeFindings))
	}
	return out
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as aligned text.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	p("Workspace scan report, %s\n", r.GeneratedAt.Format(time.RFC3339))
	if r.LastRun != nil {
		p("Last run %s: %s, %d of %d conversation(s) scanned, %d unchanged, %d failed\n", r.LastRun.ID, r.LastRun.State,
			r.LastRun.Scanned, r.LastRun.Total, r.LastRun.Unchanged, r.LastRun.Failed)
	}
	p("Conversations scanned: %d (parts: %d); tickets scanned: %d\n\n", r.Coverage.Conversations, r.Coverage.PartsScanned, r.Coverage.Tickets)
	p("TYPE\tFINDINGS\tPARTS\tCONVERSATIONS\n")
	for _, c := range r.ByType {
		p("%s\t%d\t%d\t%d\n", c.Type, c.Findings, c.Parts, c.Conversations)
	}
	for _, g := range []struct {
		title string
		rows  []store.ScanCount
	}{{"MONTH", r.ByMonth}, {"AUTHOR", r.ByAuthorRole}, {"INBOX", r.ByInbox}} {
		p("\n%s\tTYPE\tFINDINGS\tCONVERSATIONS\n", g.title)
		for _, c := range g.rows {
			k := c.Key
			if k == "" {
				k = "(none)"
			}
			p("%s\t%s\t%d\t%d\n", k, c.Type, c.Findings, c.Conversations)
		}
	}
	p("\nTOP CONVERSATIONS\tFINDINGS\tTYPES\tLINK\n")
	for _, t := range r.Top {
		p("%s\t%d\t%s\t%s\n", t.ConversationID, t.Findings, strings.Join(t.Types, ","), t.Link)
	}
	p("\nRedaction of %s would remove %d part(s) (%d opening message(s)); by author:", strings.ToLower(strings.Join(r.Redaction.Types, ", ")), r.Redaction.Parts, r.Redaction.Sources)
	for _, k := range sortedKeys(r.Redaction.ByRole) {
		p(" %s %d", k, r.Redaction.ByRole[k])
	}
	p("\n%s\n", r.Redaction.Notice)
	if len(r.Redaction.SoFar) > 0 {
		p("Redactions so far:")
		for _, k := range sortedKeys(r.Redaction.SoFar) {
			p(" %s %d", k, r.Redaction.SoFar[k])
		}
		p("\n")
	}
	for _, n := range r.Notices {
		p("NOTE: %s\n", n)
	}
	return tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// WriteHTML writes a self-contained page: inline style, no script, no request
// to anything (links to the inbox are plain anchors).
func (r *Report) WriteHTML(w io.Writer) error {
	var b strings.Builder
	if err := reportTemplate.Execute(&b, r); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join, "keys": sortedKeys[int], "keys64": sortedKeys[int64],
	"date": func(t time.Time) string { return t.Format(time.RFC3339) },
	"none": func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Workspace scan report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}.note{background:#fff6d6;padding:.5em;border-left:4px solid #e0b000}</style>
</head><body>
<h1>Workspace scan report</h1>
<p>Generated {{date .GeneratedAt}}. The report holds counts and ids only, never a found value.</p>
{{with .LastRun}}<p>Last run <code>{{.ID}}</code>: {{.State}}, {{.Scanned}} of {{.Total}} conversation(s) scanned, {{.Unchanged}} unchanged, {{.Failed}} failed.</p>{{end}}
{{range .Notices}}<p class="note">{{.}}</p>{{end}}
<p>Conversations scanned: {{.Coverage.Conversations}} ({{.Coverage.PartsScanned}} parts); tickets scanned: {{.Coverage.Tickets}}.</p>
<h2>Findings by type</h2>
<table><tr><th>Type</th><th>Findings</th><th>Parts</th><th>Conversations</th></tr>
{{range .ByType}}<tr><td>{{.Type}}</td><td>{{.Findings}}</td><td>{{.Parts}}</td><td>{{.Conversations}}</td></tr>{{end}}</table>
<h2>By month</h2>
<table><tr><th>Month</th><th>Type</th><th>Findings</th><th>Conversations</th></tr>
{{range .ByMonth}}<tr><td>{{none .Key}}</td><td>{{.Type}}</td><td>{{.Findings}}</td><td>{{.Conversations}}</td></tr>{{end}}</table>
<h2>By author</h2>
<table><tr><th>Author</th><th>Type</th><th>Findings</th><th>Conversations</th></tr>
{{range .ByAuthorRole}}<tr><td>{{.Key}}</td><td>{{.Type}}</td><td>{{.Findings}}</td><td>{{.Conversations}}</td></tr>{{end}}</table>
<h2>By team inbox</h2>
<table><tr><th>Inbox</th><th>Type</th><th>Findings</th><th>Conversations</th></tr>
{{range .ByInbox}}<tr><td>{{none .Key}}</td><td>{{.Type}}</td><td>{{.Findings}}</td><td>{{.Conversations}}</td></tr>{{end}}</table>
<h2>Conversations with the most findings</h2>
<table><tr><th>Conversation</th><th>Findings</th><th>Types</th></tr>
{{range .Top}}<tr><td>{{if .Link}}<a href="{{.Link}}" rel="noreferrer">{{.ConversationID}}</a>{{else}}{{.ConversationID}}{{end}}</td><td>{{.Findings}}</td><td>{{join .Types ", "}}</td></tr>{{end}}</table>
<h2>What redaction would do</h2>
<p>Redacting {{join .Redaction.Types ", "}} would remove {{.Redaction.Parts}} part(s), {{.Redaction.Sources}} of them opening messages.
{{$r := .Redaction}}{{range keys .Redaction.ByRole}} {{.}}: {{index $r.ByRole .}}.{{end}}</p>
<p class="note">{{.Redaction.Notice}}</p>
{{if .Redaction.SoFar}}<p>Redactions so far:{{range keys64 .Redaction.SoFar}} {{.}} {{index $r.SoFar .}};{{end}}</p>{{end}}
</body></html>
`))
