package sandbox

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Workspace is the imitated workspace's data. Its exported methods are read-only views
// for tests: each returns copies, safe to keep and to read while the server runs.
type Workspace struct {
	mu sync.RWMutex

	appID  string
	anchor time.Time // the generator's "now"

	admins   []*Admin
	tags     map[string]*Tag
	tagOrder []string
	segments map[string]*Segment
	segOrder []string
	comps    map[string]*Company
	compOrd  []string
	subTypes []*SubscriptionType

	contacts     map[string]*Contact // every contact still stored: live, archived, merged
	contactOrder []*Contact          // by (CreatedAt, ID); deleted contacts are skipped on read
	byExternal   map[string]*Contact
	byEmail      map[string][]*Contact // lower-cased email -> contacts ever stored with it
	deleted      map[string]bool       // ids of deleted contacts
	liveCount    int                   // contacts neither deleted, archived nor merged
	mergedFrom   map[string][]string   // contact id -> ids of the contacts merged into it

	convs     map[string]*Conversation
	convOrder []*Conversation
	convsOf   map[string][]string // contact id -> conversation ids the contact takes part in

	tickets     map[string]*Ticket
	ticketOrder []*Ticket
	ticketsOf   map[string][]string // contact id -> ids of the tickets stored with it

	notes     map[string]*Note
	notesOf   map[string][]string // contact id -> note ids
	events    map[string][]*Event // contact id -> events, oldest first
	exports   map[string]*exportJob
	exportSeq int

	attrs []*DataAttribute // data attributes, oldest first

	seq struct{ conv, part, ticket, note, person, attr, message int }
	rnd *rng // for AddPerson; guarded by mu
}

func newWorkspace(seed int64, anchor time.Time) *Workspace {
	return &Workspace{
		appID:      "sbx" + newRNG(seed, 99).hex(5),
		anchor:     anchor,
		tags:       map[string]*Tag{},
		segments:   map[string]*Segment{},
		comps:      map[string]*Company{},
		contacts:   map[string]*Contact{},
		byExternal: map[string]*Contact{},
		byEmail:    map[string][]*Contact{},
		mergedFrom: map[string][]string{},
		deleted:    map[string]bool{},
		convs:      map[string]*Conversation{},
		convsOf:    map[string][]string{},
		tickets:    map[string]*Ticket{},
		ticketsOf:  map[string][]string{},
		notes:      map[string]*Note{},
		notesOf:    map[string][]string{},
		events:     map[string][]*Event{},
		exports:    map[string]*exportJob{},
		rnd:        newRNG(seed, 7),
	}
}

// AppID is the workspace's id_code (the app_id of its webhooks).
func (w *Workspace) AppID() string { return w.appID }

func cloneContact(c *Contact) Contact {
	out := *c
	out.TagIDs = slices.Clone(c.TagIDs)
	out.SegmentIDs = slices.Clone(c.SegmentIDs)
	out.CompanyIDs = slices.Clone(c.CompanyIDs)
	out.Subscriptions = slices.Clone(c.Subscriptions)
	if c.CustomAttributes != nil {
		out.CustomAttributes = make(map[string]string, len(c.CustomAttributes))
		for k, v := range c.CustomAttributes {
			out.CustomAttributes[k] = v
		}
	}
	return out
}

func cloneConversation(c *Conversation) Conversation {
	out := *c
	out.ContactIDs = slices.Clone(c.ContactIDs)
	out.TeammateIDs = slices.Clone(c.TeammateIDs)
	out.TagIDs = slices.Clone(c.TagIDs)
	out.Parts = slices.Clone(c.Parts)
	return out
}

func cloneTicket(t *Ticket) Ticket {
	out := *t
	out.ContactIDs = slices.Clone(t.ContactIDs)
	out.Parts = slices.Clone(t.Parts)
	out.Attributes = maps.Clone(t.Attributes)
	return out
}

// Contacts returns every stored contact, archived and merged ones included (deleted
// ones excluded), ordered by creation time.
func (w *Workspace) Contacts() []Contact {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Contact, 0, len(w.contacts))
	for _, c := range w.contactOrder {
		if !w.deleted[c.ID] {
			out = append(out, cloneContact(c))
		}
	}
	return out
}

// Contact returns the stored contact with id (archived and merged ones included).
func (w *Workspace) Contact(id string) (Contact, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c, ok := w.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return cloneContact(c), true
}

// ContactDeleted reports whether the contact with id was permanently deleted.
func (w *Workspace) ContactDeleted(id string) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.deleted[id]
}

// Conversations returns every stored conversation with its parts, oldest first.
func (w *Workspace) Conversations() []Conversation {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Conversation, 0, len(w.convs))
	for _, c := range w.convOrder {
		if _, ok := w.convs[c.ID]; ok {
			out = append(out, cloneConversation(c))
		}
	}
	return out
}

// Conversation returns the stored conversation with id.
func (w *Workspace) Conversation(id string) (Conversation, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	c, ok := w.convs[id]
	if !ok {
		return Conversation{}, false
	}
	return cloneConversation(c), true
}

// ConversationsOf returns the ids of the stored conversations contact id takes part in.
func (w *Workspace) ConversationsOf(contactID string) []string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var out []string
	for _, id := range w.convsOf[contactID] {
		if _, ok := w.convs[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// Tickets returns every stored ticket.
func (w *Workspace) Tickets() []Ticket {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Ticket, 0, len(w.tickets))
	for _, t := range w.ticketOrder {
		if _, ok := w.tickets[t.ID]; ok {
			out = append(out, cloneTicket(t))
		}
	}
	return out
}

// Ticket returns the stored ticket with id.
func (w *Workspace) Ticket(id string) (Ticket, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	t, ok := w.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return cloneTicket(t), true
}

// Notes returns the notes about contact id, oldest first.
func (w *Workspace) Notes(contactID string) []Note {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var out []Note
	for _, id := range w.notesOf[contactID] {
		if n, ok := w.notes[id]; ok {
			out = append(out, *n)
		}
	}
	return out
}

// Events returns every event of contact id (older than 90 days included), oldest first.
func (w *Workspace) Events(contactID string) []Event {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Event, 0, len(w.events[contactID]))
	for _, e := range w.events[contactID] {
		out = append(out, *e)
	}
	return out
}

// Admins returns the workspace's teammates.
func (w *Workspace) Admins() []Admin {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Admin, len(w.admins))
	for i, a := range w.admins {
		out[i] = *a
	}
	return out
}

// addContact stores c and indexes it. The caller holds mu (or owns w exclusively).
func (w *Workspace) addContact(c *Contact) {
	w.contacts[c.ID] = c
	w.indexEmail(c)
	i, _ := slices.BinarySearchFunc(w.contactOrder, c, cmpContact)
	w.contactOrder = slices.Insert(w.contactOrder, i, c)
	if c.Role == "user" && c.ExternalID != "" && c.MergedInto == "" {
		if _, taken := w.byExternal[c.ExternalID]; !taken {
			w.byExternal[c.ExternalID] = c
		}
	}
}

func cmpContact(a, b *Contact) int {
	if a.CreatedAt != b.CreatedAt {
		if a.CreatedAt < b.CreatedAt {
			return -1
		}
		return 1
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

func (w *Workspace) addConversation(c *Conversation) {
	w.convs[c.ID] = c
	w.convOrder = append(w.convOrder, c) // ids grow with the sequence; order by id
	for _, id := range c.ContactIDs {
		w.convsOf[id] = append(w.convsOf[id], c.ID)
	}
}

// live reports whether c answers GET: neither archived nor merged.
func live(c *Contact) bool { return !c.Archived && c.MergedInto == "" }

// recount recomputes liveCount. The caller holds mu (or owns w exclusively).
func (w *Workspace) recount() {
	n := 0
	for _, c := range w.contactOrder {
		if !w.deleted[c.ID] && live(c) {
			n++
		}
	}
	w.liveCount = n
}

// indexEmail adds c to the email index. Entries are never removed: searches re-check
// every candidate, so a deleted or changed contact found through it is filtered out.
func (w *Workspace) indexEmail(c *Contact) {
	if c.Email != "" {
		k := strings.ToLower(c.Email)
		w.byEmail[k] = append(w.byEmail[k], c)
	}
}

// merge records that from was merged into into at t. The caller holds mu.
func (w *Workspace) merge(from, into *Contact, t int64) {
	from.MergedInto, from.MergedAt = into.ID, t
	w.mergedFrom[into.ID] = append(w.mergedFrom[into.ID], from.ID)
}

// Tags returns the workspace's tags.
func (w *Workspace) Tags() []Tag {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Tag, 0, len(w.tagOrder))
	for _, id := range w.tagOrder {
		out = append(out, *w.tags[id])
	}
	return out
}
