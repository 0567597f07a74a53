package accesspkg

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"fields":  fields,
	"date":    formatDate,
	"join":    func(s []string) string { return strings.Join(s, ", ") },
	"count":   func(c Contact) int { return len(c.Conversations) },
	"summary": summarize,
	"str":     func(r Record, k string) string { v, _ := r[k].(string); return v },
	"msgs":    recordMessages,
	"without": without,
	"status":  statusText,
	"display": displayValue,
	"label":   label,
	"reasons": reasons,
	"lawName": lawName,
	"about":   aboutHeading,
	"eu":      euLaw,
	"withheldWhere": func(w Withheld) string {
		switch {
		case w.Where == "messages" && w.Attribute != "":
			return "Conversations and tickets: " + label(w.Attribute)
		case w.Where == "local_store" && w.Attribute != "":
			return "Our own systems: " + label(w.Attribute)
		case w.Attribute != "":
			return "Your profile: " + label(w.Attribute)
		case w.Where == "messages":
			return "Conversations, tickets and notes"
		case w.Where == "local_store":
			return "Our own systems"
		}
		return "Your profile"
	},
}).Parse(reportTemplate))

// lawName is the request's law as a person reads it ("CCPA/CPRA", "Virginia
// CDPA"), or the stored key in capitals for a law the table does not know.
func lawName(j string) string {
	if info, err := jurisdiction.For(deadline.Jurisdiction(j)); err == nil {
		return info.Clock.Name
	}
	return strings.ToUpper(j)
}

// aboutHeading heads the report's section on the processing and the rights,
// citing the request's own law (a CCPA report is not headed "GDPR Article 15").
func aboutHeading(j string) string {
	if info, err := jurisdiction.For(deadline.Jurisdiction(j)); err == nil {
		return "About this processing and your rights (" + info.AccessBasis + ")"
	}
	return "About this processing and your rights"
}

// euLaw reports whether the request's law is the GDPR or the UK GDPR, whose
// transfer rules speak of the EEA and the UK.
func euLaw(j string) bool {
	return j == string(deadline.GDPR) || j == string(deadline.UKGDPR)
}

// field is one key and value of a record, for display: Key is a label a person
// can read ("Last seen"), Value the value with dates written out.
type field struct{ Key, Value string }

// fields lists a record's leaves for display, sorted by label, empty ones left
// out. The report speaks to the person: Intercom's object markers ("type"),
// links to its API ("url") and internal workspace ids are left out; ids of our
// staff read "A member of our team"; a zero or missing date is left out; a list
// reads as text, never as JSON.
func fields(r Record) []field {
	flat := map[string]string{}
	reportFlatten(flat, "", r)
	out := make([]field, 0, len(flat))
	for k, v := range flat {
		if v == "" || v == "null" || v == "[]" || v == "{}" {
			continue
		}
		out = append(out, field{label(k), displayValue(v)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// hiddenKeys are left out of the report: Intercom's object type markers, links
// to its API, totals of inline lists, and internal ids that mean nothing to the
// person (the same data is in data.json).
var hiddenKeys = map[string]bool{
	"type": true, "url": true, "total_count": true, "has_more": true, "workspace_id": true, "app_id": true,
}

// staffKeys hold the id of one of our teammates or teams.
var staffKeys = map[string]bool{
	"owner_id": true, "admin_assignee_id": true, "team_assignee_id": true, "admin_id": true, "assignee_id": true,
}

// reportFlatten flattens r for the report (see fields).
func reportFlatten(row map[string]string, prefix string, r Record) {
	for k, v := range r {
		if hiddenKeys[k] {
			continue
		}
		key := prefix + k
		if staffKeys[k] {
			if v != nil && v != "" && v != float64(0) {
				row[key] = "A member of our team"
			}
			continue
		}
		switch t := v.(type) {
		case map[string]any:
			reportFlatten(row, key+".", t)
		case []any:
			row[key] = listText(t)
		case float64:
			if strings.HasSuffix(k, "_at") && t <= 0 {
				continue // a date Intercom never set
			}
			row[key] = strconv.FormatFloat(t, 'f', -1, 64)
		case string:
			if strings.HasPrefix(t, "[{") || strings.HasPrefix(t, "{\"") {
				var x any
				if json.Unmarshal([]byte(t), &x) == nil {
					row[key] = valueText(x)
					continue
				}
			}
			row[key] = t
		case bool:
			row[key] = strconv.FormatBool(t)
		case nil:
		default:
			row[key] = valueText(t)
		}
	}
}

// listText writes a list as text: scalars joined by commas, objects one per
// line as "label: value" pairs.
func listText(list []any) string {
	parts := make([]string, 0, len(list))
	for _, x := range list {
		if s := valueText(x); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// valueText writes any decoded JSON value as text a person reads.
func valueText(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return displayValue(t)
	case bool:
		return displayValue(strconv.FormatBool(t))
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		return listText(t)
	case map[string]any:
		flat := map[string]string{}
		reportFlatten(flat, "", t)
		keys := make([]string, 0, len(flat))
		for k, v := range flat {
			if v != "" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, strings.ToLower(label(k))+": "+displayValue(flat[k]))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(x)
}

// labels names the fields people meet most often.
var labels = map[string]string{
	"email": "E-mail address", "phone": "Phone number", "name": "Name", "role": "Kind of record",
	"external_id": "Your user id with us", "id": "Intercom id", "created_at": "Created",
	"updated_at": "Last updated", "signed_up_at": "Signed up", "last_seen_at": "Last seen",
	"last_replied_at": "Last replied", "last_contacted_at": "Last contacted by us",
	"last_email_opened_at": "Last opened one of our e-mails", "last_email_clicked_at": "Last clicked a link in one of our e-mails",
	"unsubscribed_from_emails": "Unsubscribed from e-mails", "marked_email_as_spam": "Marked our e-mail as spam",
	"has_hard_bounced": "E-mails to you bounced", "language_override": "Language you chose",
	"browser_language": "Browser language", "email_domain": "E-mail domain", "formatted_phone": "Phone number (formatted)",
	"owner_id": "Teammate responsible", "workspace_id": "Intercom workspace", "event_name": "Event",
	"intercom_user_id": "Intercom id", "user_id": "Your user id with us", "applied_at": "Applied",
	"consent_type": "Consent", "state": "State", "ticket_id": "Ticket number", "category": "Category",
	"your_contact_ids": "Your Intercom records in it", "contact_id": "Intercom contact id", "other_participants": "Other people in it",
}

// label turns a dotted field path into a label: known names from labels, custom
// attributes by their own name, others with underscores as spaces.
func label(path string) string {
	path = strings.TrimPrefix(path, "custom_attributes.")
	if l, ok := labels[path]; ok {
		return l
	}
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if l, ok := labels[p]; ok && i == len(parts)-1 {
			parts[i] = l
			continue
		}
		parts[i] = strings.ReplaceAll(p, "_", " ")
	}
	s := strings.Join(parts, " › ")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// displayValue writes RFC 3339 times as dates and booleans as yes or no.
func displayValue(v string) string {
	switch v {
	case "true":
		return "Yes"
	case "false":
		return "No"
	}
	if len(v) >= 20 && len(v) <= 35 && v[4] == '-' {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return formatDate(t)
		}
	}
	return v
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// reasons says why a contact matched, in words.
func reasons(why []string) string {
	words := map[string]string{"email": "your e-mail address", "phone": "your phone number", "external_id": "your user id",
		"contact_id": "the Intercom id given", "merged_from": "a record merged into it"}
	out := make([]string, 0, len(why))
	for _, w := range why {
		if t, ok := words[w]; ok {
			out = append(out, t)
		} else {
			out = append(out, w)
		}
	}
	return strings.Join(out, ", ")
}

// statusText explains a contact's status.
func statusText(s string) string {
	switch s {
	case "active":
		return "active"
	case "archived":
		return "archived or deleted: Intercom keeps only its conversations and tickets available"
	case "merged":
		return "merged into another of your records"
	case "not_found_or_archived":
		return "not found: Intercom answers the same for an archived record and for one that does not exist, so we cannot tell which"
	}
	return s
}

// glance is the summary at the top of the report.
type glance struct {
	Records, Conversations, Messages, Tickets, Notes, Events int
}

func summarize(p *Package) glance {
	var g glance
	for _, c := range p.Contacts {
		if c.Status != "not_found_or_archived" {
			g.Records++
		}
		g.Conversations += len(c.Conversations)
		for _, cv := range c.Conversations {
			g.Messages += len(cv.Messages)
		}
		g.Tickets += len(c.Tickets)
		g.Notes += len(c.Notes)
		g.Events += len(c.Events)
	}
	return g
}

// reportMessage is a message of a ticket record, for display.
type reportMessage struct {
	Author, Role, Text string
	When               time.Time
	You                bool
}

// recordMessages reads the "messages" list of a ticket record.
func recordMessages(r Record) []reportMessage {
	list, _ := r["messages"].([]any)
	var out []reportMessage
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		var rm reportMessage
		rm.Author, _ = m["author"].(string)
		rm.Role, _ = m["author_role"].(string)
		rm.Text, _ = m["text"].(string)
		rm.You, _ = m["provided_by_subject"].(bool)
		if s, ok := m["created_at"].(string); ok {
			rm.When, _ = time.Parse(time.RFC3339, s)
		}
		out = append(out, rm)
	}
	return out
}

// without returns a copy of r without the keys given.
func without(r Record, keys ...string) Record {
	out := make(Record, len(r))
	for k, v := range r {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// renderReport renders report.html: one self-contained file, inline CSS only, no
// scripts, fonts, images or links to anything outside the file.
func renderReport(p *Package) ([]byte, error) {
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("accesspkg: render report: %w", err)
	}
	return buf.Bytes(), nil
}
