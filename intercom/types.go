package intercom

import (
	"bytes"
	"encoding/json"
)

// Admin is the teammate who owns the access token, as GET /me answers.
type Admin struct {
	Type          string `json:"type"`
	ID            ID     `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	EmailVerified Bool   `json:"email_verified"`
	HasInboxSeat  Bool   `json:"has_inbox_seat"`
	// App is the workspace the token belongs to.
	App App `json:"app"`
}

// App is the workspace an access token belongs to.
type App struct {
	Type string `json:"type"`
	// IDCode is the workspace (app) id, the app_id of webhook notifications.
	IDCode               string    `json:"id_code"`
	Name                 string    `json:"name"`
	Region               string    `json:"region"`
	Timezone             string    `json:"timezone"`
	CreatedAt            Timestamp `json:"created_at"`
	IdentityVerification Bool      `json:"identity_verification"`
}

// Avatar is a contact's avatar. Intercom sends an object {type, image_url}; older
// versions sent the URL as a plain string. Both decode.
type Avatar struct {
	Type     string   `json:"type,omitempty"`
	ImageURL InfoText `json:"image_url,omitempty"`
}

// UnmarshalJSON accepts an object, a URL string or null.
func (a *Avatar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Avatar{Type: "avatar", ImageURL: InfoText(s)}
		return nil
	}
	type plain Avatar
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = Avatar(p)
	return nil
}

// Location is where Intercom places a contact.
type Location struct {
	Type          string `json:"type,omitempty"`
	Country       string `json:"country,omitempty"`
	Region        string `json:"region,omitempty"`
	City          string `json:"city,omitempty"`
	CountryCode   string `json:"country_code,omitempty"`
	ContinentCode string `json:"continent_code,omitempty"`
}

// SocialProfile is one social network profile of a contact.
type SocialProfile struct {
	Type string   `json:"type,omitempty"`
	Name string   `json:"name,omitempty"`
	URL  InfoText `json:"url,omitempty"`
}

// SocialProfiles is the social_profiles list of a contact.
type SocialProfiles struct {
	Type string          `json:"type,omitempty"`
	Data []SocialProfile `json:"data"`
}

// Ref is a reference to another object (type and id, and its API URL when given).
type Ref struct {
	Type string   `json:"type,omitempty"`
	ID   ID       `json:"id"`
	URL  InfoText `json:"url,omitempty"`
}

// RefList is an embedded list of references, as a contact carries its tags, notes
// and companies: at most 10 inline, with the total count and the URL of the full list.
type RefList struct {
	Type       string   `json:"type,omitempty"`
	Data       []Ref    `json:"data"`
	URL        InfoText `json:"url,omitempty"`
	TotalCount Int      `json:"total_count"`
	HasMore    Bool     `json:"has_more"`
}

// MergeHistoryEntry records one contact merged into this one.
type MergeHistoryEntry struct {
	Type              string    `json:"type,omitempty"`
	SourceContactID   ID        `json:"source_contact_id"`
	SourceContactRole string    `json:"source_contact_role,omitempty"`
	MergedAt          Timestamp `json:"merged_at"`
}

// Contact is an Intercom contact (a user or a lead). Raw keeps the object exactly as
// Intercom sent it, so that an access package loses no field this type does not name.
type Contact struct {
	Type        string `json:"type"`
	ID          ID     `json:"id"`
	ExternalID  ID     `json:"external_id"`
	WorkspaceID string `json:"workspace_id"`
	// Role is "user" or "lead".
	Role             string `json:"role"`
	Email            string `json:"email"`
	EmailDomain      string `json:"email_domain"`
	Phone            string `json:"phone"`
	FormattedPhone   string `json:"formatted_phone,omitempty"`
	Name             string `json:"name"`
	OwnerID          ID     `json:"owner_id"`
	Avatar           Avatar `json:"avatar"`
	LanguageOverride string `json:"language_override"`

	HasHardBounced         Bool `json:"has_hard_bounced"`
	MarkedEmailAsSpam      Bool `json:"marked_email_as_spam"`
	UnsubscribedFromEmails Bool `json:"unsubscribed_from_emails"`
	EnabledPushMessaging   Bool `json:"enabled_push_messaging"`

	CreatedAt          Timestamp `json:"created_at"`
	UpdatedAt          Timestamp `json:"updated_at"`
	SignedUpAt         Timestamp `json:"signed_up_at"`
	LastSeenAt         Timestamp `json:"last_seen_at"`
	LastRepliedAt      Timestamp `json:"last_replied_at"`
	LastContactedAt    Timestamp `json:"last_contacted_at"`
	LastEmailOpenedAt  Timestamp `json:"last_email_opened_at"`
	LastEmailClickedAt Timestamp `json:"last_email_clicked_at"`

	Browser           string    `json:"browser"`
	BrowserVersion    string    `json:"browser_version"`
	BrowserLanguage   string    `json:"browser_language"`
	OS                string    `json:"os"`
	AndroidAppName    string    `json:"android_app_name"`
	AndroidAppVersion string    `json:"android_app_version"`
	AndroidDevice     string    `json:"android_device"`
	AndroidOSVersion  string    `json:"android_os_version"`
	AndroidSDKVersion string    `json:"android_sdk_version"`
	AndroidLastSeenAt Timestamp `json:"android_last_seen_at"`
	IOSAppName        string    `json:"ios_app_name"`
	IOSAppVersion     string    `json:"ios_app_version"`
	IOSDevice         string    `json:"ios_device"`
	IOSOSVersion      string    `json:"ios_os_version"`
	IOSSDKVersion     string    `json:"ios_sdk_version"`
	IOSLastSeenAt     Timestamp `json:"ios_last_seen_at"`

	// CustomAttributes holds the workspace's own attributes, as decoded JSON values.
	CustomAttributes map[string]any `json:"custom_attributes"`
	Location         Location       `json:"location"`
	SocialProfiles   SocialProfiles `json:"social_profiles"`
	Tags             RefList        `json:"tags"`
	Notes            RefList        `json:"notes"`
	Companies        RefList        `json:"companies"`
	// MergeHistory is filled only when asked for, and only for users.
	MergeHistory []MergeHistoryEntry `json:"merge_history,omitempty"`

	// Raw is the contact exactly as Intercom sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the contact and keeps the raw object in Raw. A contact
// without an id decodes (the minimal sync skips and counts such contacts); an id
// that is neither a string nor a number is ErrBadIdentifier.
func (c *Contact) UnmarshalJSON(b []byte) error {
	type plain Contact
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Contact(p)
	c.Raw = append(json.RawMessage(nil), bytes.TrimSpace(b)...)
	return nil
}

// ContactDeleted is the answer to deleting a contact.
type ContactDeleted struct {
	Type       string `json:"type"`
	ID         ID     `json:"id"`
	ExternalID ID     `json:"external_id"`
	Deleted    Bool   `json:"deleted"`
}

// ContactArchived is the answer to archiving or unarchiving a contact.
type ContactArchived struct {
	Type       string `json:"type"`
	ID         ID     `json:"id"`
	ExternalID ID     `json:"external_id"`
	Archived   Bool   `json:"archived"`
}

// Tag is a tag applied to a contact.
type Tag struct {
	Type      string    `json:"type"`
	ID        ID        `json:"id"`
	Name      string    `json:"name"`
	AppliedAt Timestamp `json:"applied_at"`
	AppliedBy *Ref      `json:"applied_by,omitempty"`
}

// Segment is a segment a contact belongs to.
type Segment struct {
	Type       string    `json:"type"`
	ID         ID        `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  Timestamp `json:"created_at"`
	UpdatedAt  Timestamp `json:"updated_at"`
	PersonType string    `json:"person_type"`
	Count      Int       `json:"count,omitempty"`
}

// Company is a company a contact is attached to.
type Company struct {
	Type             string          `json:"type"`
	ID               ID              `json:"id"`
	CompanyID        ID              `json:"company_id"`
	AppID            string          `json:"app_id"`
	Name             string          `json:"name"`
	Plan             json.RawMessage `json:"plan,omitempty"`
	Website          InfoText        `json:"website"`
	Industry         string          `json:"industry"`
	Size             Int             `json:"size"`
	UserCount        Int             `json:"user_count"`
	SessionCount     Int             `json:"session_count"`
	MonthlySpend     float64         `json:"monthly_spend"`
	CreatedAt        Timestamp       `json:"created_at"`
	UpdatedAt        Timestamp       `json:"updated_at"`
	RemoteCreatedAt  Timestamp       `json:"remote_created_at"`
	LastRequestAt    Timestamp       `json:"last_request_at"`
	CustomAttributes map[string]any  `json:"custom_attributes"`
}

// Note is a note teammates wrote about a contact. Body is HTML and may hold
// personal data.
type Note struct {
	Type      string    `json:"type"`
	ID        ID        `json:"id"`
	CreatedAt Timestamp `json:"created_at"`
	Contact   *Ref      `json:"contact,omitempty"`
	Author    *Author   `json:"author,omitempty"`
	Body      string    `json:"body"`
}

// Subscription is a subscription type a contact explicitly opted in to or out of.
type Subscription struct {
	Type               string          `json:"type"`
	ID                 ID              `json:"id"`
	State              string          `json:"state"`
	ConsentType        string          `json:"consent_type"`
	DefaultTranslation json.RawMessage `json:"default_translation,omitempty"`
	Translations       json.RawMessage `json:"translations,omitempty"`
	ContentTypes       []string        `json:"content_types,omitempty"`
}

// Author is who wrote a conversation part, a source or a note.
type Author struct {
	Type        string `json:"type"`
	ID          ID     `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	FromAIAgent Bool   `json:"from_ai_agent,omitempty"`
	IsAIAnswer  Bool   `json:"is_ai_answer,omitempty"`
}

// Attachment is a file attached to a conversation source or part.
type Attachment struct {
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	URL         InfoText `json:"url"`
	ContentType string   `json:"content_type"`
	Filesize    Int      `json:"filesize"`
	Width       Int      `json:"width"`
	Height      Int      `json:"height"`
}

// Source is the message that started a conversation. Body is HTML.
type Source struct {
	Type        string       `json:"type"`
	ID          ID           `json:"id"`
	DeliveredAs string       `json:"delivered_as"`
	Subject     string       `json:"subject"`
	Body        string       `json:"body"`
	Author      Author       `json:"author"`
	Attachments []Attachment `json:"attachments"`
	URL         InfoText     `json:"url"`
	Redacted    Bool         `json:"redacted"`
}

// ConversationPart is one message or event of a conversation. Body is HTML.
type ConversationPart struct {
	Type        string          `json:"type"`
	ID          ID              `json:"id"`
	PartType    string          `json:"part_type"`
	Body        string          `json:"body"`
	CreatedAt   Timestamp       `json:"created_at"`
	UpdatedAt   Timestamp       `json:"updated_at"`
	NotifiedAt  Timestamp       `json:"notified_at"`
	AssignedTo  *Ref            `json:"assigned_to,omitempty"`
	Author      Author          `json:"author"`
	Attachments []Attachment    `json:"attachments"`
	ExternalID  ID              `json:"external_id"`
	Redacted    Bool            `json:"redacted"`
	State       string          `json:"state,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
}

// ContactRef names a contact taking part in a conversation or ticket.
type ContactRef struct {
	Type       string `json:"type"`
	ID         ID     `json:"id"`
	ExternalID ID     `json:"external_id"`
}

// ConversationContacts is the contacts list of a conversation.
type ConversationContacts struct {
	Type     string       `json:"type"`
	Contacts []ContactRef `json:"contacts"`
}

// Teammates is the teammates list of a conversation.
type Teammates struct {
	Type   string `json:"type"`
	Admins []Ref  `json:"admins"`
}

// ConversationParts is the parts list of a retrieved conversation: at most the 500
// most recent parts, with the total count.
type ConversationParts struct {
	Type              string             `json:"type"`
	ConversationParts []ConversationPart `json:"conversation_parts"`
	TotalCount        Int                `json:"total_count"`
}

// Conversation is an Intercom conversation. Search results carry no parts. Raw keeps
// the object exactly as Intercom sent it.
type Conversation struct {
	Type              string               `json:"type"`
	ID                ID                   `json:"id"`
	Title             string               `json:"title"`
	CreatedAt         Timestamp            `json:"created_at"`
	UpdatedAt         Timestamp            `json:"updated_at"`
	WaitingSince      Timestamp            `json:"waiting_since"`
	SnoozedUntil      Timestamp            `json:"snoozed_until"`
	Open              Bool                 `json:"open"`
	State             string               `json:"state"`
	Read              Bool                 `json:"read"`
	Priority          string               `json:"priority"`
	AdminAssigneeID   ID                   `json:"admin_assignee_id"`
	TeamAssigneeID    ID                   `json:"team_assignee_id"`
	Source            Source               `json:"source"`
	Contacts          ConversationContacts `json:"contacts"`
	Teammates         *Teammates           `json:"teammates,omitempty"`
	CustomAttributes  map[string]any       `json:"custom_attributes"`
	ConversationParts ConversationParts    `json:"conversation_parts"`

	// Raw is the conversation exactly as Intercom sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the conversation and keeps the raw object in Raw. A
// conversation without an id is ErrBadIdentifier: it could be neither retrieved
// nor deleted.
func (c *Conversation) UnmarshalJSON(b []byte) error {
	type plain Conversation
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.ID == "" {
		return &identifierError{field: "conversation.id"}
	}
	*c = Conversation(p)
	c.Raw = append(json.RawMessage(nil), bytes.TrimSpace(b)...)
	return nil
}

// Deleted is the answer to deleting a conversation or a ticket.
type Deleted struct {
	ID      ID     `json:"id"`
	Object  string `json:"object"`
	Deleted Bool   `json:"deleted"`
}

// RedactResult is the outcome of a redaction.
type RedactResult struct {
	// AlreadyRedacted reports that Intercom answered 400 because the item was
	// redacted before; Conversation is then nil.
	AlreadyRedacted bool
	// Conversation is the conversation after redaction.
	Conversation *Conversation
}

// TicketParts is the parts list of a ticket.
type TicketParts struct {
	Type        string             `json:"type"`
	TicketParts []ConversationPart `json:"ticket_parts"`
	TotalCount  Int                `json:"total_count"`
}

// TicketContacts is the contacts list of a ticket.
type TicketContacts struct {
	Type     string       `json:"type"`
	Contacts []ContactRef `json:"contacts"`
}

// Ticket is an Intercom ticket. TicketAttributes may hold personal data. Raw keeps the
// object exactly as Intercom sent it.
type Ticket struct {
	Type                  string          `json:"type"`
	ID                    ID              `json:"id"`
	TicketID              ID              `json:"ticket_id"`
	Category              string          `json:"category"`
	TicketAttributes      map[string]any  `json:"ticket_attributes"`
	TicketState           json.RawMessage `json:"ticket_state,omitempty"`
	TicketType            json.RawMessage `json:"ticket_type,omitempty"`
	Contacts              TicketContacts  `json:"contacts"`
	AdminAssigneeID       ID              `json:"admin_assignee_id"`
	TeamAssigneeID        ID              `json:"team_assignee_id"`
	Open                  Bool            `json:"open"`
	IsShared              Bool            `json:"is_shared"`
	CreatedAt             Timestamp       `json:"created_at"`
	UpdatedAt             Timestamp       `json:"updated_at"`
	TicketParts           TicketParts     `json:"ticket_parts"`
	PreviousTicketStateID ID              `json:"previous_ticket_state_id"`

	// Raw is the ticket exactly as Intercom sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the ticket and keeps the raw object in Raw. A ticket
// without an id is ErrBadIdentifier: it could be neither retrieved nor deleted.
func (t *Ticket) UnmarshalJSON(b []byte) error {
	type plain Ticket
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.ID == "" {
		return &identifierError{field: "ticket.id"}
	}
	*t = Ticket(p)
	t.Raw = append(json.RawMessage(nil), bytes.TrimSpace(b)...)
	return nil
}

// DataEvent is one data event recorded for a contact (listed for 90 days only).
type DataEvent struct {
	Type           string         `json:"type"`
	ID             ID             `json:"id"`
	EventName      string         `json:"event_name"`
	CreatedAt      Timestamp      `json:"created_at"`
	UserID         ID             `json:"user_id"`
	IntercomUserID ID             `json:"intercom_user_id"`
	Email          string         `json:"email"`
	Metadata       map[string]any `json:"metadata"`
}

// EventSummary is the per-name summary of a contact's events (older events included).
type EventSummary struct {
	Type           string              `json:"type"`
	Email          string              `json:"email"`
	IntercomUserID ID                  `json:"intercom_user_id"`
	UserID         ID                  `json:"user_id"`
	Events         []EventSummaryEntry `json:"events"`
}

// EventSummaryEntry summarises the events of one name.
type EventSummaryEntry struct {
	Name        string    `json:"name"`
	First       Timestamp `json:"first"`
	Last        Timestamp `json:"last"`
	Count       Int       `json:"count"`
	Description string    `json:"description"`
	// Malformed holds the informational fields (first, last) whose value could not
	// be read as a time, by JSON name, with the value as sent; the field itself is
	// then unset. Nil when every field was read.
	Malformed map[string]string `json:"malformed,omitempty"`
}

// UnmarshalJSON decodes the entry, keeping an unreadable first or last in Malformed.
func (e *EventSummaryEntry) UnmarshalJSON(b []byte) error {
	type plain EventSummaryEntry
	var p struct {
		plain
		First json.RawMessage `json:"first"`
		Last  json.RawMessage `json:"last"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = EventSummaryEntry(p.plain)
	e.First, _ = parseTimestamp(p.First)
	e.Last, _ = parseTimestamp(p.Last)
	e.Malformed = informational(map[string]json.RawMessage{"first": p.First, "last": p.Last})
	return nil
}

// malformedFields lists the entries' unreadable fields by path ("events.last").
func (s *EventSummary) malformedFields() []string {
	var out []string
	for _, e := range s.Events {
		for name := range e.Malformed {
			out = append(out, "events."+name)
		}
	}
	return out
}

// Export job statuses. Intercom's documentation shows both "complete" and
// "completed"; DataExport.Done treats them alike.
const (
	ExportPending    = "pending"
	ExportInProgress = "in_progress"
	ExportFailed     = "failed"
	ExportComplete   = "complete"
	ExportCompleted  = "completed"
	ExportNoData     = "no_data"
	ExportCanceled   = "canceled"
)

// DataExport is a content data export job.
type DataExport struct {
	JobIdentifier string `json:"job_identifier"`
	Status        string `json:"status"`
	// DownloadURL is set once the job completed; pass it to Client.DownloadExport.
	DownloadURL string `json:"download_url"`
	// DownloadExpiresAt is when the download expires (sent as a string of seconds);
	// unset when absent or unreadable (see Malformed).
	DownloadExpiresAt Timestamp `json:"download_expires_at"`
	// Malformed holds download_expires_at, with its value as sent, when it could not
	// be read as a time. Nil otherwise.
	Malformed map[string]string `json:"malformed,omitempty"`
}

// UnmarshalJSON decodes the job, keeping an unreadable download_expires_at in
// Malformed. A job without a job_identifier is an error (ErrBadIdentifier).
func (d *DataExport) UnmarshalJSON(b []byte) error {
	type plain DataExport
	var p struct {
		plain
		DownloadExpiresAt json.RawMessage `json:"download_expires_at"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.JobIdentifier == "" {
		return &identifierError{field: "export.job_identifier"}
	}
	*d = DataExport(p.plain)
	d.DownloadExpiresAt, _ = parseTimestamp(p.DownloadExpiresAt)
	d.Malformed = informational(map[string]json.RawMessage{"download_expires_at": p.DownloadExpiresAt})
	return nil
}

func (d *DataExport) malformedFields() []string {
	var out []string
	for name := range d.Malformed {
		out = append(out, name)
	}
	return out
}

// Completed reports whether the job finished with data to download ("complete" or
// "completed").
func (d DataExport) Completed() bool {
	return d.Status == ExportComplete || d.Status == ExportCompleted
}

// Finished reports whether the job reached a final state.
func (d DataExport) Finished() bool {
	switch d.Status {
	case ExportComplete, ExportCompleted, ExportFailed, ExportNoData, ExportCanceled:
		return true
	}
	return false
}
