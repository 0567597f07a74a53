package intercom

import (
	"context"
	"fmt"
	"iter"
)

// needID refuses an empty identifier before a request is built, since an empty path
// segment would turn "retrieve one" into "list all" or worse.
func needID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty %s", ErrValidation, what)
	}
	if len(id) > 512 {
		return fmt.Errorf("%w: %s longer than 512 bytes", ErrValidation, what)
	}
	return nil
}

// Me returns the admin who owns the token and its workspace (app id, name, region).
func (c *Client) Me(ctx context.Context) (Admin, error) {
	var a Admin
	err := c.do(ctx, &call{method: "GET", path: "/me", idempotent: true}, &a)
	return a, err
}

// GetContact retrieves a contact by its Intercom id. An archived contact answers
// ErrNotFound; a merged one answers a *MergedError (ErrMerged) naming the contact it
// was merged into (API 2.16 and later; earlier versions answer ErrNotFound).
func (c *Client) GetContact(ctx context.Context, id string) (Contact, error) {
	var ct Contact
	if err := needID("contact id", id); err != nil {
		return ct, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/contacts/" + seg(id), op: "/contacts/{contact_id}", idempotent: true}, &ct)
	return ct, err
}

// FindContactByExternalID retrieves the user whose external_id (your user_id) is
// externalID. Leads cannot be found this way.
func (c *Client) FindContactByExternalID(ctx context.Context, externalID string) (Contact, error) {
	var ct Contact
	if err := needID("external id", externalID); err != nil {
		return ct, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/contacts/find_by_external_id/" + seg(externalID), op: "/contacts/find_by_external_id/{external_id}", idempotent: true}, &ct)
	return ct, err
}

type contactList struct {
	Data  []Contact `json:"data"`
	Pages pages     `json:"pages"`
}

var contactExtract = extractor(func(e *contactList) []Contact { return e.Data }, func(e *contactList) pages { return e.Pages })

// ListContacts walks every contact of the workspace (merged ones excluded, archived
// ones absent), one page at a time.
func (c *Client) ListContacts(ctx context.Context, opts ListOptions) iter.Seq2[Contact, error] {
	return listPages(ctx, c, "/contacts", "/contacts", nil, opts.perPage(DefaultPerPage), contactExtract)
}

// SearchContacts walks the contacts matching q. Recently created contacts may take a
// few minutes to become searchable; archived contacts never appear.
func (c *Client) SearchContacts(ctx context.Context, q Query, opts SearchOptions) iter.Seq2[Contact, error] {
	return searchPages(ctx, c, "/contacts/search", q, opts, DefaultPerPage, contactExtract)
}

// DeleteContact permanently deletes a contact (archived or not) and, on Intercom's
// side, its conversations. Deleting an already deleted contact answers ErrNotFound.
func (c *Client) DeleteContact(ctx context.Context, id string) (ContactDeleted, error) {
	var d ContactDeleted
	if err := needID("contact id", id); err != nil {
		return d, err
	}
	err := c.do(ctx, &call{method: "DELETE", path: "/contacts/" + seg(id), op: "/contacts/{contact_id}", idempotent: true}, &d)
	return d, err
}

// ArchiveContact archives (soft-deletes) a contact. Repeating it is harmless, so it
// is retried like an idempotent request.
func (c *Client) ArchiveContact(ctx context.Context, id string) (ContactArchived, error) {
	var a ContactArchived
	if err := needID("contact id", id); err != nil {
		return a, err
	}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/" + seg(id) + "/archive", op: "/contacts/{contact_id}/archive", idempotent: true}, &a)
	return a, err
}

// UnarchiveContact restores an archived contact.
func (c *Client) UnarchiveContact(ctx context.Context, id string) (ContactArchived, error) {
	var a ContactArchived
	if err := needID("contact id", id); err != nil {
		return a, err
	}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/" + seg(id) + "/unarchive", op: "/contacts/{contact_id}/unarchive", idempotent: true}, &a)
	return a, err
}

// MergeOptions tunes MergeContacts.
type MergeOptions struct {
	// SkipDuplicateValidation merges even when the two contacts share no email or
	// phone (API 2.16).
	SkipDuplicateValidation bool
}

// MergeContacts merges the lead fromLeadID into the user intoUserID and returns the
// merged user. It is never retried after the request may have reached Intercom: a
// dropped connection or a 5xx answers ErrUnknownOutcome.
func (c *Client) MergeContacts(ctx context.Context, fromLeadID, intoUserID string, opts MergeOptions) (Contact, error) {
	var ct Contact
	if err := needID("lead id", fromLeadID); err != nil {
		return ct, err
	}
	if err := needID("user id", intoUserID); err != nil {
		return ct, err
	}
	body := struct {
		From string `json:"from"`
		Into string `json:"into"`
		Skip bool   `json:"skip_duplicate_validation,omitempty"`
	}{fromLeadID, intoUserID, opts.SkipDuplicateValidation}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/merge", body: body}, &ct)
	return ct, err
}

// ContactTags returns the tags applied to a contact (not paginated by Intercom).
func (c *Client) ContactTags(ctx context.Context, contactID string) ([]Tag, error) {
	var l struct {
		Data []Tag `json:"data"`
	}
	if err := needID("contact id", contactID); err != nil {
		return nil, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/contacts/" + seg(contactID) + "/tags", op: "/contacts/{contact_id}/tags", idempotent: true}, &l)
	return l.Data, err
}

// ContactSegments returns the segments a contact belongs to.
func (c *Client) ContactSegments(ctx context.Context, contactID string) ([]Segment, error) {
	var l struct {
		Data []Segment `json:"data"`
	}
	if err := needID("contact id", contactID); err != nil {
		return nil, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/contacts/" + seg(contactID) + "/segments", op: "/contacts/{contact_id}/segments", idempotent: true}, &l)
	return l.Data, err
}

// ContactSubscriptions returns the subscription types a contact explicitly opted in
// to or out of (Intercom returns no implicit ones).
func (c *Client) ContactSubscriptions(ctx context.Context, contactID string) ([]Subscription, error) {
	var l struct {
		Data []Subscription `json:"data"`
	}
	if err := needID("contact id", contactID); err != nil {
		return nil, err
	}
	err := c.do(ctx, &call{method: "GET", path: "/contacts/" + seg(contactID) + "/subscriptions", op: "/contacts/{contact_id}/subscriptions", idempotent: true}, &l)
	return l.Data, err
}

// companyList accepts both the documented "companies" array and the "data" array
// Intercom's own example (and the live API) uses.
type companyList struct {
	Data      []Company `json:"data"`
	Companies []Company `json:"companies"`
	Pages     pages     `json:"pages"`
}

// ContactCompanies walks the companies a contact is attached to (pages_link style:
// the next page is a full URL, followed only on the configured host).
func (c *Client) ContactCompanies(ctx context.Context, contactID string, opts ListOptions) iter.Seq2[Company, error] {
	if err := needID("contact id", contactID); err != nil {
		return errSeq[Company](err)
	}
	per := opts.perPage(50)
	return listPages(ctx, c, "/contacts/"+seg(contactID)+"/companies", "/contacts/{contact_id}/companies", nil, per,
		extractor(func(e *companyList) []Company {
			if len(e.Data) > 0 {
				return e.Data
			}
			return e.Companies
		}, func(e *companyList) pages { return e.Pages }))
}

type noteList struct {
	Data  []Note `json:"data"`
	Pages pages  `json:"pages"`
}

// ContactNotes walks the notes teammates wrote about a contact.
func (c *Client) ContactNotes(ctx context.Context, contactID string, opts ListOptions) iter.Seq2[Note, error] {
	if err := needID("contact id", contactID); err != nil {
		return errSeq[Note](err)
	}
	return listPages(ctx, c, "/contacts/"+seg(contactID)+"/notes", "/contacts/{contact_id}/notes", nil, opts.perPage(50),
		extractor(func(e *noteList) []Note { return e.Data }, func(e *noteList) pages { return e.Pages }))
}
