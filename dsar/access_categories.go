package dsar

import (
	"github.com/intercom-privacy/intercom-privacy/accesspkg"
)

// NoticeCategoriesOnly marks the categories-only answer (CCPA Regs §7024).
const NoticeCategoriesOnly = "categories_only"

// The categories-only answer's sentences.
const (
	categoriesOnlyReason = "We confirmed your identity to a reasonable degree of certainty (you followed the link we e-mailed to an address that matches our records). " +
		"The law lets us tell you, at that degree, the categories of personal information we hold about you, where it comes from, why we use it and who receives it, " +
		"but not the information itself, which needs a reasonably high degree of certainty (California Consumer Privacy Act Regulations §7062, §7024). " +
		"This copy therefore lists categories only."
	categoriesOnlyHow = "To receive a copy of the information itself, reply to our e-mail with a second piece of information we can check against our records " +
		"(for example the phone number or the account id you gave us), or contact our privacy team, who will confirm your identity by hand; " +
		"once confirmed, we will send you the full copy."
)

// heldCategories are the categories of personal data, in the order the
// answer lists them, with how to count them in a full package.
var heldCategories = []struct {
	code, text string
	count      func(c map[string]int64) int64
}{
	{"identifiers", "Identifiers and contact details (such as your name, e-mail address, phone number and the ids of your customer records)",
		func(c map[string]int64) int64 { return c["contacts"] }},
	{"companies", "Commercial information: the companies you are associated with", func(c map[string]int64) int64 { return c["companies"] }},
	{"tags_segments", "Inferences and groupings: tags and segments applied to your records",
		func(c map[string]int64) int64 { return c["tags"] + c["segments"] }},
	{"subscriptions", "Marketing communication preferences", func(c map[string]int64) int64 { return c["subscriptions"] }},
	{"activity", "Internet or other electronic network activity: events recorded from your use of our services",
		func(c map[string]int64) int64 { return c["events"] }},
	{"communications", "Communications with us: conversations and their messages",
		func(c map[string]int64) int64 { return c["conversations"] }},
	{"tickets", "Support tickets", func(c map[string]int64) int64 { return c["tickets"] }},
	{"notes", "Notes our team wrote about you", func(c map[string]int64) int64 { return c["notes"] }},
	{"local_store", "Copies kept in our own systems (customer records, conversations and notifications from Intercom)",
		func(c map[string]int64) int64 {
			return c["local_contacts"] + c["local_conversations"] + c["local_webhook_events"]
		}},
}

// categoriesOnly returns the categories-only answer made from the full
// package p: the same header and Art. 15 / §1798.110 information (sources,
// purposes, recipients, retention, rights, from the configuration), the
// categories held with how many records of each, and no value of the
// person's data (no identifier, contact, message, local record or withheld
// entry).
func categoriesOnly(p *accesspkg.Package) *accesspkg.Package {
	counts := countsOf(p)
	co := &accesspkg.CategoriesOnly{Reason: categoriesOnlyReason, HowToGetCopy: categoriesOnlyHow, Held: []accesspkg.HeldCategory{}}
	for _, hc := range heldCategories {
		if n := hc.count(counts); n > 0 {
			co.Held = append(co.Held, accesspkg.HeldCategory{Code: hc.code, Category: hc.text, Records: n})
		}
	}
	return &accesspkg.Package{
		SchemaVersion: p.SchemaVersion, RequestID: p.RequestID, Jurisdiction: p.Jurisdiction,
		ReceivedAt: p.ReceivedAt, GeneratedAt: p.GeneratedAt,
		Identifiers: []accesspkg.Identifier{}, Contacts: []accesspkg.Contact{},
		Local: accesspkg.LocalData{Contacts: []accesspkg.Record{}, Conversations: []accesspkg.Record{}, WebhookEvents: []accesspkg.Record{}},
		Notices: []accesspkg.Notice{{Code: NoticeCategoriesOnly, Text: "Categories only: your identity was confirmed to a reasonable degree of certainty, " +
			"which allows us to give the categories of your personal information, not the information itself (CCPA Regulations §7024, §7062)."}},
		Supplementary:  p.Supplementary,
		CategoriesOnly: co,
	}
}
