package dsar

import (
	"encoding/json"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/classify"
)

// Portability split of a contact's profile (GDPR Art. 20 covers the data the person
// "provided"; Art. 15 covers all of it). Each top-level field of the contact as
// Intercom sent it goes to exactly one of three groups:
//
//   - Provided: what the person gave or chose themselves. The classify table's PII
//     fields labelled NAME, EMAIL, PHONE or ADDRESS (except derived ones below), the
//     avatar they uploaded, every custom attribute (the workspace records there what
//     the person entered in forms and sign-ups), and the preferences they set
//     (language, e-mail unsubscription, marking e-mail as spam).
//   - Derived: what Intercom inferred from other data: the e-mail domain (from the
//     e-mail), the formatted phone (from the phone), the location (geolocated from the
//     IP address) and social profiles (enrichment).
//   - Observed: everything else, recorded from the person's use of the services:
//     device, browser and IP fields (PII labelled DEVICE or IP_ADDRESS), ids, roles,
//     timestamps (signed up, last seen, last replied) and any field the table does not
//     know (fail-safe: an unknown field is still included, as observed).
//
// The lists of tags, notes, companies, segments and subscriptions embedded in the
// contact are references only; their full objects are in their own sections.
var (
	derivedFields = map[string]bool{
		"email_domain": true, "formatted_phone": true, "location": true, "social_profiles": true,
	}
	providedPreferences = map[string]bool{
		"language_override": true, "unsubscribed_from_emails": true, "marked_email_as_spam": true,
	}
	referenceLists = map[string]bool{
		"tags": true, "notes": true, "companies": true, "segments": true, "subscription_types": true,
	}
)

// profileGroup says which group a top-level contact field belongs to: "provided",
// "observed", "derived", or "" for the reference lists left to their own sections.
func profileGroup(key string) string {
	switch {
	case referenceLists[key]:
		return ""
	case derivedFields[key]:
		return "derived"
	case providedPreferences[key]:
		return "provided"
	}
	f, ok := classify.Lookup(classify.KindContact, key)
	if !ok {
		return "observed"
	}
	switch f.Class {
	case classify.ClassCustomAttribute:
		return "provided"
	case classify.ClassPII:
		switch f.Label {
		case classify.LabelName, classify.LabelEmail, classify.LabelPhone, classify.LabelAddress, classify.LabelURL:
			return "provided"
		}
	}
	return "observed"
}

// splitProfile splits a contact as Intercom sent it (raw JSON) into the three
// groups. A contact that is not a JSON object yields empty groups and false.
func splitProfile(raw []byte) (provided, observed, derived accesspkg.Record, ok bool) {
	provided, observed, derived = accesspkg.Record{}, accesspkg.Record{}, accesspkg.Record{}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return provided, observed, derived, false
	}
	for k, v := range m {
		switch profileGroup(k) {
		case "provided":
			provided[k] = v
		case "derived":
			derived[k] = v
		case "observed":
			observed[k] = v
		}
	}
	return provided, observed, derived, true
}
