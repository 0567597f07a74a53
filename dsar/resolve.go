package dsar

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Contact statuses in a Resolution.
const (
	// StatusActive: the contact was retrieved.
	StatusActive = "active"
	// StatusNotRetrievable: an Intercom id was given but GET answers 404. Intercom
	// answers 404 for archived contacts, for deleted ones and for ids that never
	// existed (a typo), and does not tell them apart, so such an id is not a
	// contact found: it is "not found (or archived)". An archived contact can
	// still be deleted by its id, so erasure sends the DELETE and reports by its
	// answer (200: an archived contact was deleted; 404: not found).
	StatusNotRetrievable = "archived_or_deleted"
	// StatusMerged: the contact was merged into another (410 with a Link header);
	// the canonical contact is resolved too.
	StatusMerged = "merged"
)

// maxMergeHops bounds how many merges are followed (Intercom's Link resolves up to 3).
const maxMergeHops = 3

// Match is one Intercom contact that belongs to the person, and why.
type Match struct {
	ContactID string
	Role      string
	Status    string
	// MergedInto is the canonical contact of a merged contact.
	MergedInto string
	// MatchedBy lists the reasons: "email", "phone", "external_id", "contact_id",
	// "merged_from" (the canonical contact of a contact given by id or found merged).
	MatchedBy []string
	// Contact is the retrieved contact (nil unless Status is active).
	Contact *intercom.Contact
}

// Resolution is every contact found for a person, with notices on what could not be
// searched.
type Resolution struct {
	Matches []Match
	Notices []Notice
	// Searched counts the identifiers looked up, by kind ("email", "phone",
	// "external_id", "contact_id"); never values.
	Searched map[string]int
}

// Found counts the contacts Intercom confirmed: retrieved, or merged (a 410 names
// the contact it now lives in). A contact id answering 404 is not among them.
func (r Resolution) Found() int {
	n := 0
	for _, m := range r.Matches {
		if m.Status != StatusNotRetrievable {
			n++
		}
	}
	return n
}

// NotFoundIDs counts the contact ids given that answered 404.
func (r Resolution) NotFoundIDs() int { return len(r.Matches) - r.Found() }

// Notice explains a limit of the answer. Code is stable; Text is for people.
type Notice struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// NoticeArchivedByID is always part of a resolution: Intercom's search cannot find
// archived contacts.
var NoticeArchivedByID = Notice{"archived_by_id_only", "Archived Intercom contacts cannot be found by email, phone or external id; they are only found when their Intercom contact id is given."}

// NoticeNothingFound is part of a resolution that found no contact.
var NoticeNothingFound = Notice{"nothing_found", "Nothing found: No Intercom contact matched the identifiers given."}

// NoticeContactIDNotFound is part of a resolution where a contact id given
// answered 404.
var NoticeContactIDNotFound = Notice{"contact_id_not_found", "An Intercom contact id given was not found (or belongs to an archived contact: Intercom answers the same for both and does not tell them apart)."}

// ContactIDs returns the ids of the matches, in order.
func (r Resolution) ContactIDs() []string {
	out := make([]string, 0, len(r.Matches))
	for _, m := range r.Matches {
		out = append(out, m.ContactID)
	}
	return out
}

// Resolve finds every Intercom contact of the person: it searches each email, phone
// and external id (users and leads may share an email; duplicates exist), retrieves
// each given contact id, and follows merged contacts to their canonical contact.
func (s *Service) Resolve(ctx context.Context, ids Identifiers) (Resolution, error) {
	r := &resolver{s: s, index: map[string]int{}}
	r.res.Notices = []Notice{NoticeArchivedByID}
	r.res.Searched = map[string]int{}
	var firstErr error
	ids.each(func(kind vault.IndexKind, v string) {
		if firstErr != nil {
			return
		}
		r.res.Searched[string(kind)]++
		switch kind {
		case vault.KindEmail:
			firstErr = r.search(ctx, "email", v, "email")
		case vault.KindPhone:
			firstErr = r.search(ctx, "phone", v, "phone")
		case vault.KindExternalID:
			firstErr = r.search(ctx, "external_id", v, "external_id")
		case vault.KindContactID:
			firstErr = r.byID(ctx, v, "contact_id", 0)
		}
	})
	if firstErr != nil {
		return Resolution{}, firstErr
	}
	if r.res.NotFoundIDs() > 0 {
		r.res.Notices = append(r.res.Notices, NoticeContactIDNotFound)
	}
	if r.res.Found() == 0 {
		r.res.Notices = append(r.res.Notices, NoticeNothingFound)
	}
	return r.res, nil
}

type resolver struct {
	s     *Service
	res   Resolution
	index map[string]int
}

// add records a contact and why it matched, merging reasons for a contact found
// more than once, and returns its match.
func (r *resolver) add(c *intercom.Contact, id, status, why string) *Match {
	if i, ok := r.index[id]; ok {
		m := &r.res.Matches[i]
		if !slices.Contains(m.MatchedBy, why) {
			m.MatchedBy = append(m.MatchedBy, why)
		}
		if m.Contact == nil && c != nil {
			m.Contact, m.Status, m.Role = c, status, c.Role
		}
		return m
	}
	m := Match{ContactID: id, Status: status, MatchedBy: []string{why}, Contact: c}
	if c != nil {
		m.Role = c.Role
	}
	r.index[id] = len(r.res.Matches)
	r.res.Matches = append(r.res.Matches, m)
	return &r.res.Matches[len(r.res.Matches)-1]
}

func (r *resolver) search(ctx context.Context, field, value, why string) error {
	for c, err := range r.s.Intercom.SearchContacts(ctx, intercom.Field(field).Eq(value), intercom.SearchOptions{}) {
		if err != nil {
			return fmt.Errorf("dsar: search contacts by %s: %w", why, err)
		}
		c := c
		r.add(&c, string(c.ID), StatusActive, why)
	}
	return nil
}

// byID retrieves one contact by id, following merges to the canonical contact.
func (r *resolver) byID(ctx context.Context, id, why string, hop int) error {
	c, err := r.s.Intercom.GetContact(ctx, id)
	var merged *intercom.MergedError
	switch {
	case err == nil:
		r.add(&c, id, StatusActive, why)
		return nil
	case errors.As(err, &merged):
		m := r.add(nil, id, StatusMerged, why)
		m.MergedInto = merged.CanonicalID
		if merged.CanonicalID == "" || hop >= maxMergeHops {
			return nil
		}
		return r.byID(ctx, merged.CanonicalID, "merged_from", hop+1)
	case errors.Is(err, intercom.ErrNotFound):
		r.add(nil, id, StatusNotRetrievable, why)
		return nil
	default:
		return fmt.Errorf("dsar: retrieve contact: %w", err)
	}
}
