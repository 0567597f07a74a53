package dsar

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/disclosure"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Notice codes of access packages, besides those of the resolution.
const (
	NoticeEvents90Days        = "events_90_days"
	NoticeConversationCut     = "conversation_truncated"
	NoticeThirdPartyRedacted  = "third_party_redacted"
	NoticeArchivedNoProfile   = "archived_no_profile"
	NoticeMergedContacts      = "merged_contacts"
	NoticeChangedDuringAccess = "changed_during_collection"
	NoticeLocalUnreadable     = "local_unreadable"
)

// assembler turns what was collected into an accesspkg.Package.
type assembler struct {
	s      *Service
	col    *collected
	red    *redaction
	own    map[string]bool // the person's contact ids
	counts map[string]int64
	// allowances are the attributes disclosed under an operator's allowance.
	allowances []Allowance
	// wh withholds the values a package never discloses (nil: none withheld,
	// only in unit tests of other parts).
	wh *withholder
}

// ownKnown lists the person's own values: the identifiers given and, for every
// resolved contact, its name, e-mail, phone (as stored and formatted) and external id.
func ownKnown(ids Identifiers, res Resolution) []pii.KnownValue {
	var out []pii.KnownValue
	add := func(t pii.Type, v string) {
		if strings.TrimSpace(v) != "" {
			out = append(out, pii.KnownValue{Type: t, Value: v})
		}
	}
	for _, v := range ids.Emails {
		add(pii.TypeKnownEmail, v)
	}
	for _, v := range ids.Phones {
		add(pii.TypeKnownPhone, v)
	}
	for _, v := range ids.ExternalIDs {
		add(pii.TypeKnownExternalID, v)
	}
	for _, m := range res.Matches {
		if c := m.Contact; c != nil {
			add(pii.TypeKnownName, c.Name)
			add(pii.TypeKnownEmail, c.Email)
			add(pii.TypeKnownPhone, c.Phone)
			add(pii.TypeKnownPhone, c.FormattedPhone)
			add(pii.TypeKnownExternalID, string(c.ExternalID))
		}
	}
	return out
}

func (s *Service) engine() (*pii.Engine, error) {
	if s.Redactor != nil {
		if e := s.Redactor.Engine(); e != nil {
			return e, nil
		}
	}
	return pii.NewEngine(pii.Options{})
}

// assembled is what assemble learnt besides the package: counts (never values)
// and the attributes disclosed under an operator's allowance.
type assembled struct {
	counts     map[string]int64
	allowances []Allowance
}

// assemble collects everything about the person and builds the package content.
func (s *Service) assemble(ctx context.Context, req store.Request, ids Identifiers, res Resolution) (*accesspkg.Package, assembled, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, assembled{}, fmt.Errorf("dsar: PII engine: %w", err)
	}
	red, err := newRedaction(eng, ownKnown(ids, res))
	if err != nil {
		return nil, assembled{}, fmt.Errorf("dsar: redactor: %w", err)
	}
	t0 := time.Now()
	col, err := s.collect(ctx, res, red)
	if err != nil {
		return nil, assembled{}, err
	}
	collectTook := time.Since(t0)
	defer func() {
		s.logger().Debug("access package assembled", "request_id", req.ID, "collect", collectTook, "total", time.Since(t0))
	}()
	wh := newWithholder(s, eng, req.Jurisdiction)
	a := &assembler{s: s, col: col, red: red, own: map[string]bool{}, counts: map[string]int64{}, wh: wh}
	for _, m := range res.Matches {
		a.own[m.ContactID] = true
	}
	a.learnPeople()

	p := &accesspkg.Package{
		SchemaVersion: accesspkg.SchemaVersion, RequestID: req.ID, Jurisdiction: req.Jurisdiction,
		ReceivedAt: req.ReceivedAt.UTC(), GeneratedAt: s.now().Truncate(time.Second),
		Identifiers: []accesspkg.Identifier{}, Contacts: []accesspkg.Contact{}, Notices: []accesspkg.Notice{},
	}
	p.Supplementary = s.config().Access
	p.Supplementary.Retention = s.retentionText()
	// The recipients by name (Art. 15(1)(c)): the registry when there is one.
	p.Supplementary.Recipients = s.config().AccessRecipients()
	p.Supplementary.Rights, p.Supplementary.Complaint = lawText(s.config().Access, req.Jurisdiction)
	for _, n := range res.Notices {
		if n.Code == NoticeArchivedByID.Code {
			continue // a limit of the search, for the operator (kept in the outcome)
		}
		p.Notices = append(p.Notices, accesspkg.Notice{Code: n.Code, Text: n.Text})
	}
	for _, v := range ids.Emails {
		p.Identifiers = append(p.Identifiers, accesspkg.Identifier{Kind: "email", Value: v})
	}
	for _, v := range ids.Phones {
		p.Identifiers = append(p.Identifiers, accesspkg.Identifier{Kind: "phone", Value: v})
	}
	for _, v := range ids.ExternalIDs {
		p.Identifiers = append(p.Identifiers, accesspkg.Identifier{Kind: "external_id", Value: v})
	}
	for _, v := range ids.ContactIDs {
		p.Identifiers = append(p.Identifiers, accesspkg.Identifier{Kind: "contact_id", Value: v})
	}

	convOwner := assignOwners(res, col.convsOf)
	ticketOwner := assignOwners(res, col.ticketsOf)
	var archived, merged, truncated int
	var gone []string
	anyActive := false
	for _, m := range res.Matches {
		pc := accesspkg.Contact{ID: m.ContactID, Role: m.Role, MergedInto: m.MergedInto, MatchedBy: append([]string{}, m.MatchedBy...),
			Companies: []accesspkg.Record{}, Tags: []accesspkg.Record{}, Segments: []accesspkg.Record{}, Notes: []accesspkg.Record{},
			Subscriptions: []accesspkg.Record{}, Events: []accesspkg.Record{}, EventSummary: []accesspkg.Record{},
			Conversations: []accesspkg.Conversation{}, Tickets: []accesspkg.Record{}}
		switch m.Status {
		case StatusActive:
			pc.Status = "active"
			if slices.Contains(m.MatchedBy, "unarchived_to_read") {
				pc.Status = "archived" // read by unarchiving it, and archived again
			}
		case StatusMerged:
			pc.Status = "merged"
			merged++
		default:
			// A contact id that answered 404: archived, deleted or never existed.
			// Only its conversations or tickets prove it is an archived contact.
			if len(convOwner[m.ContactID])+len(ticketOwner[m.ContactID]) > 0 {
				pc.Status = "archived"
				archived++
			} else {
				pc.Status = "not_found_or_archived"
			}
		}
		if m.Status == StatusActive && m.Contact != nil {
			anyActive = true
			raw := []byte(m.Contact.Raw)
			if len(raw) == 0 {
				raw, _ = json.Marshal(m.Contact)
			}
			pc.Provided, pc.Observed, pc.Derived, _ = splitProfile(raw)
			humanTimes(pc.Provided)
			humanTimes(pc.Observed)
			humanTimes(pc.Derived)
			wh.record("profile", pc.Provided)
			wh.record("profile", pc.Observed)
			wh.record("profile", pc.Derived)
			a.count("contacts_active", 1)
		}
		if d := col.contacts[m.ContactID]; d != nil {
			a.contactObjects(&pc, d)
			if len(d.gone) > 0 {
				gone = append(gone, d.gone...)
			}
		}
		for _, id := range sortedIDs(convOwner[m.ContactID]) {
			cv, ok := col.convs[id]
			if !ok {
				continue
			}
			conv := a.conversation(cv)
			if conv.PartsTotal > conv.PartsIncluded || conv.PartsTotal > 500 {
				truncated++
			}
			pc.Conversations = append(pc.Conversations, conv)
		}
		sort.SliceStable(pc.Conversations, func(i, j int) bool {
			ci, cj := pc.Conversations[i], pc.Conversations[j]
			if !ci.CreatedAt.Equal(cj.CreatedAt) {
				return ci.CreatedAt.Before(cj.CreatedAt)
			}
			return ci.ID < cj.ID
		})
		for _, id := range sortedIDs(ticketOwner[m.ContactID]) {
			if t, ok := col.tickets[id]; ok {
				pc.Tickets = append(pc.Tickets, a.ticket(t))
			}
		}
		p.Contacts = append(p.Contacts, pc)
	}
	a.count("contacts", int64(len(p.Contacts)))

	local, unopened, err := s.localData(ctx, ids, res, red)
	if err != nil {
		return nil, assembled{}, err
	}
	for _, rec := range local.Contacts {
		wh.record("local_store", rec)
	}
	for _, rec := range local.WebhookEvents {
		wh.record("local_store", rec)
	}
	p.Local = local
	a.count("local_contacts", int64(len(local.Contacts)))
	a.count("local_conversations", int64(len(local.Conversations)))
	a.count("local_webhook_events", int64(len(local.WebhookEvents)))

	if anyActive {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeEvents90Days, Text: "Intercom lists individual activity events for the last 90 days only, so older events are not in the list of events. The activity summary covers all time: for each kind of event, how many there were and when the first and the last happened."})
	}
	if truncated > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeConversationCut, Text: fmt.Sprintf("%d conversation(s) have more than 500 messages. Intercom returns only the 500 most recent messages of a conversation, so the earlier ones are not included; each such conversation shows how many messages it has and how many are included.", truncated)})
	}
	if archived > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeArchivedNoProfile, Text: fmt.Sprintf("%d of your Intercom records are archived (or were deleted). Intercom does not return the profile, tags, notes, companies or events of an archived record; its conversations and tickets are included.", archived)})
	}
	if merged > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeMergedContacts, Text: fmt.Sprintf("%d of your Intercom records were merged into another of your records; their data is shown under the record they were merged into.", merged)})
	}
	if len(gone) > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeChangedDuringAccess, Text: "Some of your records changed in Intercom while this copy was being prepared (Intercom reported them as no longer available); what was available is included."})
	}
	if unopened > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeLocalUnreadable, Text: fmt.Sprintf("%d encrypted value(s) in our own systems could not be opened (their key was destroyed, for example after an earlier deletion) and are not included.", unopened)})
	}
	if a.counts["conversations"]+a.counts["tickets"]+a.counts["notes"]+a.counts["local_conversations"] > 0 {
		p.Notices = append(p.Notices, accesspkg.Notice{Code: NoticeThirdPartyRedacted, Text: fmt.Sprintf("To protect other people, their personal data in conversations, tickets and notes has been replaced by a label such as [EMAIL], [PHONE] or [NAME] (%d value(s) in this copy). Messages written by other customers show the author as \"Another person\". Your own name, e-mail address, phone number and ids are kept, and so are the names of our staff. Another value you wrote (an address, for example) may also have been replaced, since it could belong to someone else; card numbers, identity numbers, passwords and secret keys are always replaced, yours included, for the reason given below.", red.total())})
	}
	wh.fromRedaction(red.countsSnapshot())
	p.Withheld = wh.list()
	if n, ok := wh.notice(p.Withheld); ok {
		p.Notices = append(p.Notices, n)
	}
	for _, it := range p.Withheld {
		a.count("withheld", it.Count)
	}
	a.allowances = wh.allowances()
	a.count("redactions", red.total())
	a.count("notices", int64(len(p.Notices)))
	return p, assembled{counts: a.counts, allowances: a.allowances}, nil
}

func (a *assembler) count(k string, n int64) { a.counts[k] += n }

// retentionText is the Art. 15(1)(d) sentence: the configured access.retention
// (unless it is the built-in one) followed by the retention policy in force, in
// words (Service.RetentionText).
func (s *Service) retentionText() string {
	text := strings.TrimSpace(s.config().Access.Retention)
	if text == config.DefaultRetentionText {
		text = ""
	}
	if d := strings.TrimSpace(s.RetentionText); d != "" {
		if text != "" {
			text += " "
		}
		text += "Intercom keeps your data while our relationship with you lasts. " + d
	}
	if text == "" {
		text = config.DefaultRetentionText
	}
	return text
}

// assignOwners puts each object under the first of the person's contacts (in
// resolution order) whose search found it, so that an object shared by two of the
// person's contacts appears once.
func assignOwners(res Resolution, found map[string][]string) map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, m := range res.Matches {
		for _, id := range sortedIDs(found[m.ContactID]) {
			if !seen[id] {
				seen[id] = true
				out[m.ContactID] = append(out[m.ContactID], id)
			}
		}
	}
	return out
}

func sortedIDs(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// learnPeople records, before any body is redacted, the staff names (kept) and the
// names of other customers who wrote in the person's threads (redacted).
func (a *assembler) learnPeople() {
	see := func(au intercom.Author) {
		switch au.Type {
		case "admin", "team", "bot":
			a.red.addStaff(au.Name)
		case "user", "lead", "contact":
			if !a.own[string(au.ID)] {
				a.red.addOther(au.Name)
			}
		}
	}
	for _, cv := range a.col.convs {
		see(cv.Source.Author)
		for _, p := range cv.ConversationParts.ConversationParts {
			see(p.Author)
		}
	}
	for _, t := range a.col.tickets {
		for _, p := range t.TicketParts.TicketParts {
			see(p.Author)
		}
	}
	for _, d := range a.col.contacts {
		for _, n := range d.notes {
			if n.Author != nil {
				a.red.addStaff(n.Author.Name)
			}
		}
	}
}

// author says who wrote a part, as the person reads it.
func (a *assembler) author(au intercom.Author) (name, role string, subject bool) {
	switch au.Type {
	case "admin", "team":
		if au.Name == "" {
			return "Our team", "teammate", false
		}
		return au.Name, "teammate", false
	case "bot":
		if au.Name == "" {
			return "Automated assistant", "bot", false
		}
		return au.Name, "bot", false
	}
	if a.own[string(au.ID)] {
		return "You", "subject", true
	}
	return "Another person", "other", false
}

func (a *assembler) message(id, kind string, created intercom.Timestamp, au intercom.Author, body string, redacted bool, files []intercom.Attachment) accesspkg.Message {
	name, role, subject := a.author(au)
	h, text := a.red.finish(body) // pass 1 ran when the object arrived (collect)
	m := accesspkg.Message{ID: id, Author: name, AuthorRole: role, Kind: kind, CreatedAt: created.Time().UTC(),
		Body: h, Text: text, ProvidedBySubject: subject, Redacted: redacted}
	for _, f := range files {
		att := accesspkg.Attachment{ContentType: f.ContentType, Size: int64(f.Filesize)}
		if role == "other" {
			// Another person's file: its name may name them, its content is theirs.
			att.Withheld = true
		} else {
			att.Name, att.URL = a.red.text(f.Name), string(f.URL)
		}
		m.Attachments = append(m.Attachments, att)
	}
	a.count("attachments", int64(len(files)))
	return m
}

// conversation converts a retrieved conversation: the opening message and every part
// returned, oldest first, with other people's data redacted.
func (a *assembler) conversation(cv intercom.Conversation) accesspkg.Conversation {
	parts := cv.ConversationParts.ConversationParts
	out := accesspkg.Conversation{ID: string(cv.ID), Title: a.red.text(cv.Title), State: cv.State,
		CreatedAt: cv.CreatedAt.Time().UTC(), UpdatedAt: cv.UpdatedAt.Time().UTC(),
		PartsTotal: int(cv.ConversationParts.TotalCount), PartsIncluded: len(parts), Messages: []accesspkg.Message{}}
	if out.PartsTotal < out.PartsIncluded {
		out.PartsTotal = out.PartsIncluded
	}
	if src := cv.Source; src.Body != "" || src.Subject != "" {
		body := src.Body
		if src.Subject != "" {
			// The subject went through pass 1 as text in collect.
			body = "<p>" + html.EscapeString(src.Subject) + "</p>" + body
		}
		kind := "opening message"
		if src.DeliveredAs != "" {
			kind = "opening message (" + src.DeliveredAs + ")"
		}
		out.Messages = append(out.Messages, a.message(string(src.ID), kind, cv.CreatedAt, src.Author, body, bool(src.Redacted), src.Attachments))
	}
	for _, p := range parts {
		out.Messages = append(out.Messages, a.message(string(p.ID), p.PartType, p.CreatedAt, p.Author, p.Body, bool(p.Redacted), p.Attachments))
	}
	sortMessages(out.Messages[min(1, len(out.Messages)):])
	yours, others := a.participants(cv.Contacts.Contacts)
	raw := accesspkg.Record{
		"id": string(cv.ID), "state": cv.State, "open": bool(cv.Open), "read": bool(cv.Read), "priority": cv.Priority,
		"your_contact_ids": yours, "other_participants": others,
	}
	if cv.AdminAssigneeID != "" {
		raw["admin_assignee_id"] = string(cv.AdminAssigneeID)
	}
	if cv.TeamAssigneeID != "" {
		raw["team_assignee_id"] = string(cv.TeamAssigneeID)
	}
	if len(cv.CustomAttributes) > 0 {
		raw["custom_attributes"] = a.attributes(cv.CustomAttributes)
	}
	putTime(raw, "created_at", cv.CreatedAt.Time())
	putTime(raw, "updated_at", cv.UpdatedAt.Time())
	out.Raw = raw
	a.count("conversations", 1)
	a.count("messages", int64(len(out.Messages)))
	return out
}

// participants splits a conversation's contacts into the person's own ids and a count
// of other people (whose ids are not disclosed).
func (a *assembler) participants(refs []intercom.ContactRef) ([]any, int) {
	yours := []any{}
	others := 0
	for _, r := range refs {
		if a.own[string(r.ID)] {
			yours = append(yours, string(r.ID))
		} else {
			others++
		}
	}
	return yours, others
}

func sortMessages(ms []accesspkg.Message) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].CreatedAt.Before(ms[j].CreatedAt) })
}

// ticket converts a retrieved ticket: its attributes (redacted), state and type, and
// its parts as messages.
func (a *assembler) ticket(t intercom.Ticket) accesspkg.Record {
	rec := accesspkg.Record{"id": string(t.ID), "ticket_id": string(t.TicketID), "category": t.Category, "open": bool(t.Open)}
	if len(t.TicketAttributes) > 0 {
		rec["ticket_attributes"] = a.attributes(t.TicketAttributes)
	}
	for k, raw := range map[string]json.RawMessage{"ticket_state": t.TicketState, "ticket_type": t.TicketType} {
		var v any
		if len(raw) > 0 && json.Unmarshal(raw, &v) == nil && v != nil {
			rec[k] = a.red.value(v)
		}
	}
	putTime(rec, "created_at", t.CreatedAt.Time())
	putTime(rec, "updated_at", t.UpdatedAt.Time())
	yours, others := a.participants(t.Contacts.Contacts)
	rec["your_contact_ids"], rec["other_participants"] = yours, others
	var msgs []accesspkg.Message
	for _, p := range t.TicketParts.TicketParts {
		msgs = append(msgs, a.message(string(p.ID), p.PartType, p.CreatedAt, p.Author, p.Body, bool(p.Redacted), p.Attachments))
	}
	sortMessages(msgs)
	ms := []any{}
	for _, m := range msgs {
		rec := map[string]any{"id": m.ID, "author": m.Author, "author_role": m.AuthorRole, "kind": m.Kind,
			"created_at": m.CreatedAt.Format(time.RFC3339), "text": m.Text, "provided_by_subject": m.ProvidedBySubject}
		if len(m.Attachments) > 0 {
			rec["attachments"] = toRecord(struct {
				A []accesspkg.Attachment `json:"list"`
			}{m.Attachments})["list"]
		}
		ms = append(ms, rec)
	}
	rec["messages"] = ms
	humanTimes(rec)
	a.count("tickets", 1)
	a.count("messages", int64(len(msgs)))
	return rec
}

// attributes redacts a ticket's or conversation's attributes; a value holding HTML
// (ticket descriptions do) is redacted as HTML and kept as its plain text.
func (a *assembler) attributes(attrs map[string]any) any {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if a.wh != nil {
			if d := a.wh.pol.Attribute(k, v); d.Withhold {
				out[k] = disclosure.Placeholder(d.Verdict, a.wh.jur)
				a.wh.note("messages", k, d.Verdict, 1)
				continue
			}
		}
		if s, ok := v.(string); ok && strings.Contains(s, "<") && strings.Contains(s, ">") {
			_, out[k] = a.red.html(s)
			continue
		}
		out[k] = a.red.value(v)
	}
	return out
}

// contactObjects fills the objects attached to a contact.
func (a *assembler) contactObjects(pc *accesspkg.Contact, d *contactData) {
	for _, v := range sortBy(d.tags, func(t intercom.Tag) string { return string(t.ID) }) {
		pc.Tags = append(pc.Tags, toRecord(v))
	}
	for _, v := range sortBy(d.segments, func(t intercom.Segment) string { return string(t.ID) }) {
		pc.Segments = append(pc.Segments, toRecord(v))
	}
	for _, v := range sortBy(d.subs, func(t intercom.Subscription) string { return string(t.ID) }) {
		pc.Subscriptions = append(pc.Subscriptions, toRecord(v))
	}
	for _, v := range sortBy(d.companies, func(t intercom.Company) string { return string(t.ID) }) {
		pc.Companies = append(pc.Companies, toRecord(v))
	}
	for _, n := range sortBy(d.notes, func(t intercom.Note) string { return fmt.Sprintf("%020d/%s", int64(t.CreatedAt), t.ID) }) {
		h, text := a.red.finish(n.Body) // pass 1 ran in collect
		rec := accesspkg.Record{"id": string(n.ID), "body": h, "text": text}
		if n.Author != nil {
			rec["author"] = n.Author.Name
		}
		putTime(rec, "created_at", n.CreatedAt.Time())
		pc.Notes = append(pc.Notes, rec)
	}
	for _, e := range sortBy(d.events, func(t intercom.DataEvent) string { return fmt.Sprintf("%020d/%s", int64(t.CreatedAt), t.ID) }) {
		pc.Events = append(pc.Events, toRecord(e))
	}
	for _, e := range sortBy(d.summary.Events, func(t intercom.EventSummaryEntry) string { return t.Name }) {
		pc.EventSummary = append(pc.EventSummary, toRecord(e))
	}
	a.count("tags", int64(len(pc.Tags)))
	a.count("segments", int64(len(pc.Segments)))
	a.count("subscriptions", int64(len(pc.Subscriptions)))
	a.count("companies", int64(len(pc.Companies)))
	a.count("notes", int64(len(pc.Notes)))
	a.count("events", int64(len(pc.Events)))
	a.count("event_names", int64(len(pc.EventSummary)))
}

func sortBy[T any](in []T, key func(T) string) []T {
	out := append([]T(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// toRecord converts a typed Intercom object to a Record, with times as RFC 3339.
func toRecord(v any) accesspkg.Record {
	b, err := json.Marshal(v)
	if err != nil {
		return accesspkg.Record{}
	}
	var r accesspkg.Record
	if json.Unmarshal(b, &r) != nil || r == nil {
		return accesspkg.Record{}
	}
	humanTimes(r)
	return r
}

// humanTimes rewrites Unix timestamps under keys ending in "_at" (and the event
// summary's "first" and "last") as RFC 3339 UTC strings, recursively.
func humanTimes(r map[string]any) {
	for k, v := range r {
		switch t := v.(type) {
		case map[string]any:
			humanTimes(t)
		case []any:
			for _, x := range t {
				if m, ok := x.(map[string]any); ok {
					humanTimes(m)
				}
			}
		case float64:
			if (strings.HasSuffix(k, "_at") || k == "first" || k == "last") && t > 0 && t < 1e11 {
				r[k] = time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
			}
		}
	}
}

// lawText returns the rights and the complaint route an access package states: the
// configured ones when the operator wrote their own, else those of the request's
// law (a Californian is told of the CCPA's rights and the California Privacy
// Protection Agency, not of GDPR Art. 77).
func lawText(a config.Access, j string) (rights []string, complaint string) {
	rights, complaint = a.Rights, a.Complaint
	info, err := jurisdiction.For(deadline.Jurisdiction(j))
	if err != nil {
		return rights, complaint
	}
	def := config.Default().Access
	if slices.Equal(rights, def.Rights) {
		rights = info.RightsText()
	}
	if complaint == def.Complaint {
		complaint = info.Authority.Complaint
	}
	return rights, complaint
}
