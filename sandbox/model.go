package sandbox

// Location is where a contact was last seen.
type Location struct {
	Country, Region, City, CountryCode, ContinentCode string
}

// Contact is one Intercom contact (a user or a lead) as the workspace holds it.
type Contact struct {
	ID         string
	ExternalID string // "" for none; leads never have one
	Role       string // "user" or "lead"
	Email      string
	Phone      string
	Name       string
	OwnerID    string
	Location   Location
	CreatedAt  int64
	UpdatedAt  int64
	SignedUpAt int64
	LastSeenAt int64
	// CustomAttributes are string-valued custom attributes.
	CustomAttributes map[string]string
	TagIDs           []string
	SegmentIDs       []string
	CompanyIDs       []string
	// UnsubscribedFromEmails is the contact's global email opt-out.
	UnsubscribedFromEmails bool
	// Subscriptions are the explicit opt-ins and opt-outs.
	Subscriptions []SubscriptionState
	// Archived is true for a soft-deleted contact: it answers 404 and is not searchable.
	Archived bool
	// MergedInto is the id of the contact this one was merged into ("" if none), and
	// MergedAt when (unix seconds).
	MergedInto string
	MergedAt   int64
}

// SubscriptionState is one explicit consent of a contact to a subscription type.
type SubscriptionState struct {
	SubscriptionID string
	Consent        string // "opt_in" or "opt_out"
}

// Author is who wrote a conversation part, a source or a ticket part.
type Author struct {
	Type  string // "user", "lead", "admin" or "bot"
	ID    string
	Name  string
	Email string
}

// Part is one conversation part.
type Part struct {
	ID        string
	PartType  string // "comment", "note", "assignment", "close", ...
	Body      string // HTML; "" for parts without a body (assignments)
	CreatedAt int64
	UpdatedAt int64
	Author    Author
	Redacted  bool
	// Attachments are the part's files (attachment_urls of a reply); a
	// redaction removes them with the body.
	Attachments []File
}

// Source is the message that opened a conversation.
type Source struct {
	ID          string
	DeliveredAs string
	Subject     string
	Body        string
	Author      Author
	Redacted    bool
}

// Conversation is one conversation with all its parts (oldest first).
type Conversation struct {
	ID              string
	Title           string
	CreatedAt       int64
	UpdatedAt       int64
	State           string // open, closed, snoozed
	Read            bool
	Priority        string // none, low, medium, high, urgent
	AdminAssigneeID int64
	Source          Source
	// ContactIDs are the customers in the thread; the first is the one who opened it.
	ContactIDs  []string
	TeammateIDs []string
	TagIDs      []string
	Parts       []Part
}

// Ticket is one ticket.
type Ticket struct {
	ID       string
	TicketID string // the Inbox number, distinct from the API id
	// TypeID is the ticket type's id (TicketTypes); "" is the first type.
	TypeID      string
	Category    string
	Title       string
	Description string
	State       string // submitted, in_progress, waiting_on_customer, resolved
	Open        bool
	CreatedAt   int64
	UpdatedAt   int64
	ContactIDs  []string
	AdminID     int64
	Parts       []Part
	// Attributes are the ticket type's other attributes, as Intercom's
	// ticket_attributes carries them beside _default_title_ and
	// _default_description_: strings, numbers, booleans and lists of files
	// (File values).
	Attributes map[string]any
}

// File is a file: a part's attachment (OpenAPI part_attachment) or a ticket
// attribute's value (file_attribute); both have these fields.
type File struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Filesize    int64  `json:"filesize"`
	Width       int64  `json:"width"`
	Height      int64  `json:"height"`
}

// Note is a note an admin wrote about a contact.
type Note struct {
	ID        string
	ContactID string
	AuthorID  string
	Body      string // HTML
	CreatedAt int64
}

// Event is one data event of a contact.
type Event struct {
	ID        string
	ContactID string
	Name      string
	CreatedAt int64
	Metadata  map[string]string
}

// Tag is a workspace tag.
type Tag struct{ ID, Name string }

// Segment is a workspace segment.
type Segment struct {
	ID, Name, PersonType string
	CreatedAt, UpdatedAt int64
}

// Company is a workspace company.
type Company struct {
	ID, CompanyID, Name, Website, Industry, Plan string
	CreatedAt, UpdatedAt                         int64
	Size                                         int
}

// Admin is a teammate.
type Admin struct {
	ID, Name, Email, JobTitle string
}

// SubscriptionType is a workspace subscription type.
type SubscriptionType struct {
	ID, Name, Description string
}

// Person is a generated test subject: one human being who is known to the workspace
// through several contacts. It lists every object that holds the person's data.
type Person struct {
	Name       string
	Email      string
	Phone      string
	ExternalID string
	// ContactIDs lists every contact of the person: live users and leads first, then
	// archived ones, then merged-away ones.
	ContactIDs []string
	// LiveContactIDs are the contacts that answer GET and appear in search.
	LiveContactIDs []string
	// ArchivedIDs are archived contacts (known by id only; search cannot find them).
	ArchivedIDs []string
	// MergedIDs are contacts merged into another contact of the person (410 on GET).
	MergedIDs       []string
	ConversationIDs []string
	TicketIDs       []string
	NoteIDs         []string
	// Events counts all the person's events; RecentEvents those of the last 90 days.
	Events       int
	RecentEvents int
}

// PersonSpec describes a person for AddPerson. Zero counts mean none (except Users and
// Leads, which default to one user when both are zero); empty identity fields are
// generated.
type PersonSpec struct {
	Name, Email, Phone, ExternalID string
	// Users and Leads are live contacts sharing the person's email (leads have no
	// external id; only the first user carries ExternalID).
	Users, Leads int
	// Archived contacts (users sharing the email) and Merged leads (merged into the
	// first user).
	Archived, Merged int
	// Conversations opened by the person, each with PartsPerConversation parts (default
	// 4) alternating between the person and teammates; SharedConversations are threads
	// the person joined that another customer opened.
	Conversations, PartsPerConversation, SharedConversations int
	Tickets, Notes                                           int
	// Events within the last 90 days, and OldEvents older than that.
	Events, OldEvents int
}
