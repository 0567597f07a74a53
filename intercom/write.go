package intercom

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// ContactFields are the fields CreateContact and UpdateContact send. A nil field is
// not sent (an update leaves it as it is); a pointer to "" (or to the zero time)
// sends null, which clears the field in Intercom.
type ContactFields struct {
	// Role is "user" or "lead" (CreateContact's default is a user). A user cannot
	// become a lead.
	Role       *string
	ExternalID *string
	Email      *string
	Phone      *string
	Name       *string
	// Avatar is the URL of an image.
	Avatar     *string
	OwnerID    *string
	SignedUpAt *time.Time
	LastSeenAt *time.Time
	// UnsubscribedFromEmails is the contact's global email opt-out.
	UnsubscribedFromEmails *bool
	// CustomAttributes sets the attributes named (each must be defined in the
	// workspace, see CreateDataAttribute); a nil value clears one. Values are
	// strings, booleans, integers or floats.
	CustomAttributes map[string]any
}

// Str returns a pointer to s, for ContactFields.
func Str(s string) *string { return &s }

// body builds the JSON body, checking what Intercom would refuse anyway.
func (f ContactFields) body() (map[string]any, error) {
	b := map[string]any{}
	if f.Role != nil {
		if *f.Role != "user" && *f.Role != "lead" {
			return nil, fmt.Errorf("%w: role must be user or lead", ErrValidation)
		}
		b["role"] = *f.Role
	}
	for name, v := range map[string]*string{"external_id": f.ExternalID, "email": f.Email, "phone": f.Phone,
		"name": f.Name, "avatar": f.Avatar, "owner_id": f.OwnerID} {
		switch {
		case v == nil:
		case *v == "":
			b[name] = nil
		default:
			b[name] = *v
		}
	}
	for name, v := range map[string]*time.Time{"signed_up_at": f.SignedUpAt, "last_seen_at": f.LastSeenAt} {
		switch {
		case v == nil:
		case v.IsZero():
			b[name] = nil
		default:
			b[name] = v.Unix()
		}
	}
	if f.UnsubscribedFromEmails != nil {
		b["unsubscribed_from_emails"] = *f.UnsubscribedFromEmails
	}
	if len(f.CustomAttributes) > 0 {
		ca := make(map[string]any, len(f.CustomAttributes))
		for k, v := range f.CustomAttributes {
			if strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("%w: a custom attribute without a name", ErrValidation)
			}
			switch x := v.(type) {
			case nil, string, bool, int, int32, int64, uint32, json.Number:
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("%w: custom attribute %q is not a finite number", ErrValidation, k)
				}
			default:
				return nil, fmt.Errorf("%w: custom attribute %q must be a string, boolean or number, not %T", ErrValidation, k, v)
			}
			ca[k] = v
		}
		b["custom_attributes"] = ca
	}
	return b, nil
}

// CreateContact creates a user (the default) or a lead. A user whose email or
// external_id another user has answers ErrConflict. It is never retried after the
// request may have reached Intercom (ErrUnknownOutcome): a second lead would be
// created. Search by email or external_id before calling it again.
func (c *Client) CreateContact(ctx context.Context, f ContactFields) (Contact, error) {
	var ct Contact
	b, err := f.body()
	if err != nil {
		return ct, err
	}
	if f.Role == nil && f.Email == nil && f.ExternalID == nil {
		return ct, fmt.Errorf("%w: a contact needs a role, an email or an external_id", ErrValidation)
	}
	err = c.do(ctx, &call{method: "POST", path: "/contacts", body: b}, &ct)
	return ct, err
}

// UpdateContact changes the fields set in f (correction, restriction, opt-out) and
// returns the contact as Intercom holds it afterwards. An update is idempotent, so
// it is retried like a read. Unknown and archived contacts answer ErrNotFound, merged
// ones ErrMerged; an undefined custom attribute answers ErrValidation.
func (c *Client) UpdateContact(ctx context.Context, id string, f ContactFields) (Contact, error) {
	var ct Contact
	if err := needID("contact id", id); err != nil {
		return ct, err
	}
	b, err := f.body()
	if err != nil {
		return ct, err
	}
	if len(b) == 0 {
		return ct, fmt.Errorf("%w: no field to update", ErrValidation)
	}
	err = c.do(ctx, &call{method: "PUT", path: "/contacts/" + seg(id), op: "/contacts/{contact_id}", body: b, idempotent: true}, &ct)
	return ct, err
}

// TagContact attaches the workspace tag tagID to a contact and returns the tag.
// Attaching a tag twice changes nothing, so it is retried like a read. An unknown
// contact or tag answers ErrNotFound.
func (c *Client) TagContact(ctx context.Context, contactID, tagID string) (Tag, error) {
	var t Tag
	if err := needID("contact id", contactID); err != nil {
		return t, err
	}
	if err := needID("tag id", tagID); err != nil {
		return t, err
	}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/" + seg(contactID) + "/tags", op: "/contacts/{contact_id}/tags",
		body: map[string]string{"id": tagID}, idempotent: true}, &t)
	return t, err
}

// UntagContact removes the workspace tag tagID from a contact and returns the tag.
// Removing a tag the contact does not have changes nothing (Intercom answers the
// tag), so it is retried like a read. An unknown contact or tag answers ErrNotFound.
func (c *Client) UntagContact(ctx context.Context, contactID, tagID string) (Tag, error) {
	var t Tag
	if err := needID("contact id", contactID); err != nil {
		return t, err
	}
	if err := needID("tag id", tagID); err != nil {
		return t, err
	}
	err := c.do(ctx, &call{method: "DELETE", path: "/contacts/" + seg(contactID) + "/tags/" + seg(tagID),
		op: "/contacts/{contact_id}/tags/{tag_id}", idempotent: true}, &t)
	return t, err
}

// Consent types of a subscription.
const (
	ConsentOptIn  = "opt_in"
	ConsentOptOut = "opt_out"
)

// SetContactSubscription records a contact's explicit opt-in or opt-out
// (ConsentOptIn, ConsentOptOut) of the subscription type subscriptionID. Setting the
// same consent twice changes nothing, so it is retried like a read.
func (c *Client) SetContactSubscription(ctx context.Context, contactID, subscriptionID, consent string) (Subscription, error) {
	var s Subscription
	if err := needID("contact id", contactID); err != nil {
		return s, err
	}
	if err := needID("subscription id", subscriptionID); err != nil {
		return s, err
	}
	if consent != ConsentOptIn && consent != ConsentOptOut {
		return s, fmt.Errorf("%w: consent must be %s or %s", ErrValidation, ConsentOptIn, ConsentOptOut)
	}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/" + seg(contactID) + "/subscriptions", op: "/contacts/{contact_id}/subscriptions",
		body: map[string]string{"id": subscriptionID, "consent_type": consent}, idempotent: true}, &s)
	return s, err
}

// NoteOptions tunes CreateNote.
type NoteOptions struct {
	// AdminID is the teammate the note is written as (the token's owner when empty).
	AdminID string
}

// CreateNote adds a note about a contact (body is text or HTML). It is never retried
// after the request may have reached Intercom (ErrUnknownOutcome): the note would be
// written twice.
func (c *Client) CreateNote(ctx context.Context, contactID, body string, opts NoteOptions) (Note, error) {
	var n Note
	if err := needID("contact id", contactID); err != nil {
		return n, err
	}
	if strings.TrimSpace(body) == "" {
		return n, fmt.Errorf("%w: empty note", ErrValidation)
	}
	b := map[string]string{"body": body}
	if opts.AdminID != "" {
		b["admin_id"] = opts.AdminID
	}
	err := c.do(ctx, &call{method: "POST", path: "/contacts/" + seg(contactID) + "/notes", op: "/contacts/{contact_id}/notes", body: b}, &n)
	return n, err
}

// DataAttribute is a workspace data attribute of contacts or companies.
type DataAttribute struct {
	Type        string   `json:"type"`
	ID          ID       `json:"id"`
	Name        string   `json:"name"`
	FullName    string   `json:"full_name"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	DataType    string   `json:"data_type"`
	Model       string   `json:"model"`
	Custom      Bool     `json:"custom"`
	Archived    Bool     `json:"archived"`
	APIWritable Bool     `json:"api_writable"`
	Options     []string `json:"options,omitempty"`
}

// ListDataAttributes returns the data attributes of model ("contact", "company", or
// "" for both).
func (c *Client) ListDataAttributes(ctx context.Context, model string) ([]DataAttribute, error) {
	var l struct {
		Data []DataAttribute `json:"data"`
	}
	cl := &call{method: "GET", path: "/data_attributes", idempotent: true}
	switch model {
	case "":
	case "contact", "company":
		cl.query = map[string][]string{"model": {model}}
	default:
		return nil, fmt.Errorf("%w: model must be contact or company", ErrValidation)
	}
	err := c.do(ctx, cl, &l)
	return l.Data, err
}

// CreateDataAttribute defines a custom attribute of model ("contact" or "company")
// with dataType string, integer, float, boolean, date or datetime. A name already
// in use answers ErrValidation. It is not retried after the request may have reached
// Intercom (ErrUnknownOutcome); list the attributes before calling it again.
func (c *Client) CreateDataAttribute(ctx context.Context, model, name, dataType, description string) (DataAttribute, error) {
	var a DataAttribute
	if model != "contact" && model != "company" {
		return a, fmt.Errorf("%w: model must be contact or company", ErrValidation)
	}
	switch dataType {
	case "string", "integer", "float", "boolean", "date", "datetime":
	default:
		return a, fmt.Errorf("%w: data type %q is not string, integer, float, boolean, date or datetime", ErrValidation, dataType)
	}
	if strings.TrimSpace(name) == "" {
		return a, fmt.Errorf("%w: empty attribute name", ErrValidation)
	}
	b := map[string]string{"name": name, "model": model, "data_type": dataType}
	if description != "" {
		b["description"] = description
	}
	err := c.do(ctx, &call{method: "POST", path: "/data_attributes", body: b}, &a)
	return a, err
}

// TagConversation attaches the workspace tag tagID to a conversation, as the admin
// adminID, and returns the tag. Attaching a tag twice changes nothing, so it is
// retried like a read. An unknown conversation or tag answers ErrNotFound.
func (c *Client) TagConversation(ctx context.Context, conversationID, tagID, adminID string) (Tag, error) {
	var t Tag
	if err := needID("conversation id", conversationID); err != nil {
		return t, err
	}
	if err := needID("tag id", tagID); err != nil {
		return t, err
	}
	if err := needID("admin id", adminID); err != nil {
		return t, err
	}
	err := c.do(ctx, &call{method: "POST", path: "/conversations/" + seg(conversationID) + "/tags", op: "/conversations/{conversation_id}/tags",
		body: map[string]string{"id": tagID, "admin_id": adminID}, idempotent: true}, &t)
	return t, err
}
