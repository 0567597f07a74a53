package sandbox

import (
	"strings"
)

// JSON views of the workspace's objects, shaped as Intercom's description names them.
// The render functions are called with the workspace lock held.

type listRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	URL  string `json:"url"`
}

type inlineList struct {
	Type       string    `json:"type"`
	Data       []listRef `json:"data"`
	URL        string    `json:"url"`
	TotalCount int       `json:"total_count"`
	HasMore    bool      `json:"has_more"`
}

type locationJSON struct {
	Type          string  `json:"type"`
	Country       *string `json:"country"`
	Region        *string `json:"region"`
	City          *string `json:"city"`
	CountryCode   *string `json:"country_code"`
	ContinentCode *string `json:"continent_code"`
}

type socialProfiles struct {
	Type string `json:"type"`
	Data []any  `json:"data"`
}

type contactJSON struct {
	Type                   string             `json:"type"`
	ID                     string             `json:"id"`
	WorkspaceID            string             `json:"workspace_id"`
	ExternalID             *string            `json:"external_id"`
	Role                   string             `json:"role"`
	Email                  string             `json:"email"`
	EmailDomain            string             `json:"email_domain"`
	Phone                  *string            `json:"phone"`
	Name                   *string            `json:"name"`
	OwnerID                *string            `json:"owner_id"`
	HasHardBounced         bool               `json:"has_hard_bounced"`
	MarkedEmailAsSpam      bool               `json:"marked_email_as_spam"`
	UnsubscribedFromEmails bool               `json:"unsubscribed_from_emails"`
	CreatedAt              int64              `json:"created_at"`
	UpdatedAt              int64              `json:"updated_at"`
	SignedUpAt             *int64             `json:"signed_up_at"`
	LastSeenAt             *int64             `json:"last_seen_at"`
	LastRepliedAt          *int64             `json:"last_replied_at"`
	LastContactedAt        *int64             `json:"last_contacted_at"`
	LastEmailOpenedAt      *int64             `json:"last_email_opened_at"`
	LastEmailClickedAt     *int64             `json:"last_email_clicked_at"`
	LanguageOverride       *string            `json:"language_override"`
	Browser                *string            `json:"browser"`
	OS                     *string            `json:"os"`
	CustomAttributes       map[string]any     `json:"custom_attributes"`
	Avatar                 *string            `json:"avatar"`
	Tags                   inlineList         `json:"tags"`
	Notes                  inlineList         `json:"notes"`
	Companies              inlineList         `json:"companies"`
	Location               locationJSON       `json:"location"`
	SocialProfiles         socialProfiles     `json:"social_profiles"`
	EnabledPushMessaging   *bool              `json:"enabled_push_messaging,omitempty"`
	MergeHistory           []mergeHistoryItem `json:"merge_history,omitempty"`
}

func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func inline(kind, url string, idsIn []string) inlineList {
	l := inlineList{Type: "list", Data: []listRef{}, URL: url, TotalCount: len(idsIn), HasMore: len(idsIn) > 10}
	for i, id := range idsIn {
		if i == 10 {
			break
		}
		l.Data = append(l.Data, listRef{Type: kind, ID: id, URL: "/" + kind + "s/" + id})
	}
	return l
}

func (w *Workspace) renderContact(c *Contact, withPush bool) contactJSON {
	j := contactJSON{
		Type: "contact", ID: c.ID, WorkspaceID: w.appID, ExternalID: ptr(c.ExternalID), Role: c.Role,
		Email: c.Email, Phone: ptr(c.Phone), Name: ptr(c.Name), OwnerID: ptr(c.OwnerID),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, SignedUpAt: ptr(c.SignedUpAt), LastSeenAt: ptr(c.LastSeenAt),
		UnsubscribedFromEmails: c.UnsubscribedFromEmails,
		CustomAttributes:       w.customJSON(c.CustomAttributes),
		Tags:                   inline("tag", "/contacts/"+c.ID+"/tags", c.TagIDs),
		Notes:                  inline("note", "/contacts/"+c.ID+"/notes", w.liveNotes(c.ID)),
		Companies:              inline("company", "/contacts/"+c.ID+"/companies", c.CompanyIDs),
		Location: locationJSON{Type: "location", Country: ptr(c.Location.Country), Region: ptr(c.Location.Region),
			City: ptr(c.Location.City), CountryCode: ptr(c.Location.CountryCode), ContinentCode: ptr(c.Location.ContinentCode)},
		SocialProfiles: socialProfiles{Type: "list", Data: []any{}},
	}
	if _, dom, ok := strings.Cut(c.Email, "@"); ok {
		j.EmailDomain = dom
	}
	if withPush {
		f := false
		j.EnabledPushMessaging = &f
	}
	return j
}

func (w *Workspace) liveNotes(contactID string) []string {
	var out []string
	for _, id := range w.notesOf[contactID] {
		if _, ok := w.notes[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

type contactRef struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	ExternalID *string `json:"external_id"`
}

type authorJSON struct {
	Type        string  `json:"type"`
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Email       string  `json:"email"`
	FromAIAgent bool    `json:"from_ai_agent"`
	IsAIAnswer  bool    `json:"is_ai_answer"`
}

type sourceAuthorJSON struct {
	Type  string  `json:"type"`
	ID    *string `json:"id"`
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

type sourceJSON struct {
	Type        string           `json:"type"`
	ID          *string          `json:"id"`
	DeliveredAs string           `json:"delivered_as"`
	Subject     string           `json:"subject"`
	Body        string           `json:"body"`
	Author      sourceAuthorJSON `json:"author"`
	Attachments []any            `json:"attachments"`
	URL         *string          `json:"url"`
	Redacted    bool             `json:"redacted"`
}

type refJSON struct {
	Type string  `json:"type"`
	ID   *string `json:"id"`
}

type partJSON struct {
	Type        string     `json:"type"`
	ID          string     `json:"id"`
	PartType    string     `json:"part_type"`
	Body        *string    `json:"body"`
	CreatedAt   int64      `json:"created_at"`
	UpdatedAt   int64      `json:"updated_at"`
	NotifiedAt  int64      `json:"notified_at"`
	AssignedTo  *refJSON   `json:"assigned_to,omitempty"`
	Author      authorJSON `json:"author"`
	Attachments []any      `json:"attachments"`
	ExternalID  *string    `json:"external_id"`
	Redacted    bool       `json:"redacted"`
	Tags        []tagBasic `json:"tags"`
}

type tagBasic struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tagJSON struct {
	Type      string   `json:"type"`
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	AppliedAt *int64   `json:"applied_at"`
	AppliedBy *refJSON `json:"applied_by"`
}

type tagsJSON struct {
	Type string    `json:"type"`
	Tags []tagJSON `json:"tags"`
}

type contactsJSON struct {
	Type     string       `json:"type"`
	Contacts []contactRef `json:"contacts"`
}

type teammatesJSON struct {
	Type      string    `json:"type"`
	Teammates []refJSON `json:"teammates"`
}

type partsJSON struct {
	Type              string     `json:"type"`
	ConversationParts []partJSON `json:"conversation_parts"`
	TotalCount        int        `json:"total_count"`
}

type conversationJSON struct {
	Type                string            `json:"type"`
	ID                  string            `json:"id"`
	Title               *string           `json:"title"`
	CreatedAt           int64             `json:"created_at"`
	UpdatedAt           int64             `json:"updated_at"`
	WaitingSince        *int64            `json:"waiting_since"`
	SnoozedUntil        *int64            `json:"snoozed_until"`
	Open                bool              `json:"open"`
	State               string            `json:"state"`
	Read                bool              `json:"read"`
	Priority            string            `json:"priority"`
	AdminAssigneeID     int64             `json:"admin_assignee_id"`
	TeamAssigneeID      int64             `json:"team_assignee_id"`
	Tags                tagsJSON          `json:"tags"`
	Source              sourceJSON        `json:"source"`
	Contacts            contactsJSON      `json:"contacts"`
	Teammates           teammatesJSON     `json:"teammates"`
	CustomAttributes    map[string]string `json:"custom_attributes"`
	AIAgentParticipated bool              `json:"ai_agent_participated"`
	ConversationParts   *partsJSON        `json:"conversation_parts,omitempty"`
}

// maxParts is how many conversation parts a retrieved conversation carries: the most
// recent ones (intercom-api-notes.md §8).
const maxParts = 500

func (w *Workspace) contactRefs(idsIn []string) []contactRef {
	out := make([]contactRef, 0, len(idsIn))
	for _, id := range idsIn {
		ref := contactRef{Type: "contact", ID: id}
		if c, ok := w.contacts[id]; ok {
			ref.ExternalID = ptr(c.ExternalID)
		}
		out = append(out, ref)
	}
	return out
}

func (w *Workspace) renderConversation(c *Conversation, withParts bool) conversationJSON {
	j := conversationJSON{
		Type: "conversation", ID: c.ID, Title: ptr(c.Title), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Open: c.State != "closed", State: c.State, Read: c.Read, Priority: c.Priority,
		AdminAssigneeID: c.AdminAssigneeID, Tags: tagsJSON{Type: "tag.list", Tags: []tagJSON{}},
		Source: sourceJSON{Type: "conversation", ID: ptr(c.Source.ID), DeliveredAs: c.Source.DeliveredAs,
			Subject: c.Source.Subject, Body: c.Source.Body, Attachments: []any{}, Redacted: c.Source.Redacted,
			Author: sourceAuthorJSON{Type: c.Source.Author.Type, ID: ptr(c.Source.Author.ID),
				Name: ptr(c.Source.Author.Name), Email: ptr(c.Source.Author.Email)}},
		Contacts:         contactsJSON{Type: "contact.list", Contacts: w.contactRefs(c.ContactIDs)},
		Teammates:        teammatesJSON{Type: "admin.list", Teammates: []refJSON{}},
		CustomAttributes: map[string]string{},
	}
	var tagger *string
	if len(c.TeammateIDs) > 0 {
		tagger = ptr(c.TeammateIDs[0])
	}
	for _, id := range c.TagIDs {
		if t, ok := w.tags[id]; ok {
			at := c.CreatedAt
			j.Tags.Tags = append(j.Tags.Tags, tagJSON{Type: "tag", ID: t.ID, Name: t.Name, AppliedAt: &at,
				AppliedBy: &refJSON{Type: "admin", ID: tagger}})
		}
	}
	for _, id := range c.TeammateIDs {
		j.Teammates.Teammates = append(j.Teammates.Teammates, refJSON{Type: "admin", ID: ptr(id)})
	}
	if withParts {
		parts := c.Parts
		if len(parts) > maxParts {
			parts = parts[len(parts)-maxParts:]
		}
		pj := &partsJSON{Type: "conversation_part.list", ConversationParts: make([]partJSON, 0, len(parts)), TotalCount: len(c.Parts)}
		for i := range parts {
			pj.ConversationParts = append(pj.ConversationParts, renderPart(&parts[i]))
		}
		j.ConversationParts = pj
	}
	return j
}

// filesJSON is a part's attachments list (empty, never null).
func filesJSON(fs []File) []any {
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		out = append(out, f)
	}
	return out
}

func renderPart(p *Part) partJSON {
	pj := partJSON{Type: "conversation_part", ID: p.ID, PartType: p.PartType, Body: ptr(p.Body),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, NotifiedAt: p.CreatedAt,
		Author:      authorJSON{Type: p.Author.Type, ID: p.Author.ID, Name: ptr(p.Author.Name), Email: p.Author.Email},
		Attachments: filesJSON(p.Attachments), Redacted: p.Redacted, Tags: []tagBasic{}}
	if p.PartType == "assignment" {
		pj.AssignedTo = &refJSON{Type: "admin", ID: ptr(p.Author.ID)}
	}
	return pj
}

type ticketStateJSON struct {
	Type          string `json:"type"`
	ID            string `json:"id"`
	Category      string `json:"category"`
	InternalLabel string `json:"internal_label"`
	ExternalLabel string `json:"external_label"`
}

type ticketTypeJSON struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Category    string `json:"category"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Icon        string `json:"icon"`
	WorkspaceID string `json:"workspace_id"`
	Archived    bool   `json:"archived"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

type ticketPartAuthor struct {
	Type  string  `json:"type"`
	ID    string  `json:"id"`
	Name  *string `json:"name"`
	Email string  `json:"email"`
}

type ticketPartJSON struct {
	Type        string           `json:"type"`
	ID          string           `json:"id"`
	PartType    string           `json:"part_type"`
	Body        *string          `json:"body"`
	CreatedAt   int64            `json:"created_at"`
	UpdatedAt   int64            `json:"updated_at"`
	Author      ticketPartAuthor `json:"author"`
	Attachments []any            `json:"attachments"`
	Redacted    bool             `json:"redacted"`
}

type ticketPartsJSON struct {
	Type        string           `json:"type"`
	TicketParts []ticketPartJSON `json:"ticket_parts"`
	TotalCount  int              `json:"total_count"`
}

type ticketJSON struct {
	Type                  string          `json:"type"`
	ID                    string          `json:"id"`
	TicketID              string          `json:"ticket_id"`
	Category              string          `json:"category"`
	TicketAttributes      map[string]any  `json:"ticket_attributes"`
	TicketState           ticketStateJSON `json:"ticket_state"`
	TicketType            ticketTypeJSON  `json:"ticket_type"`
	Contacts              contactsJSON    `json:"contacts"`
	AdminAssigneeID       int64           `json:"admin_assignee_id"`
	TeamAssigneeID        int64           `json:"team_assignee_id"`
	CreatedAt             int64           `json:"created_at"`
	UpdatedAt             int64           `json:"updated_at"`
	Open                  bool            `json:"open"`
	TicketParts           ticketPartsJSON `json:"ticket_parts"`
	IsShared              bool            `json:"is_shared"`
	PreviousTicketStateID *string         `json:"previous_ticket_state_id"`
}

var stateLabels = map[string]string{"submitted": "Submitted", "in_progress": "In progress",
	"waiting_on_customer": "Waiting on customer", "resolved": "Resolved"}

// ticketAttributesJSON is ticket_attributes: the default title and
// description, and the ticket type's other attributes.
func ticketAttributesJSON(t *Ticket) map[string]any {
	out := make(map[string]any, 2+len(t.Attributes))
	for k, v := range t.Attributes {
		if files, ok := v.([]any); ok && files == nil {
			v = []any{}
		}
		out[k] = v
	}
	out["_default_title_"] = t.Title
	out["_default_description_"] = t.Description
	return out
}

func (w *Workspace) renderTicket(t *Ticket) ticketJSON {
	j := ticketJSON{
		Type: "ticket", ID: t.ID, TicketID: t.TicketID, Category: t.Category,
		TicketAttributes: ticketAttributesJSON(t),
		TicketState: ticketStateJSON{Type: "ticket_state", ID: "st_" + t.State, Category: t.State,
			InternalLabel: stateLabels[t.State], ExternalLabel: stateLabels[t.State]},
		TicketType:      w.renderTicketType(t.TypeID),
		Contacts:        contactsJSON{Type: "contact.list", Contacts: w.contactRefs(t.ContactIDs)},
		AdminAssigneeID: t.AdminID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, Open: t.Open,
		TicketParts: ticketPartsJSON{Type: "ticket_part.list", TicketParts: []ticketPartJSON{}, TotalCount: len(t.Parts)},
	}
	for _, p := range t.Parts {
		j.TicketParts.TicketParts = append(j.TicketParts.TicketParts, ticketPartJSON{Type: "ticket_part", ID: p.ID,
			PartType: p.PartType, Body: ptr(p.Body), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
			Author:      ticketPartAuthor{Type: p.Author.Type, ID: p.Author.ID, Name: ptr(p.Author.Name), Email: p.Author.Email},
			Attachments: []any{}, Redacted: p.Redacted})
	}
	return j
}
