package sandbox

import (
	"maps"
	"sync"
)

// Effect names a change the sandbox made to its workspace.
type Effect string

// The effects Stats counts per object id.
const (
	EffectContactDeleted       Effect = "contact.deleted"
	EffectContactArchived      Effect = "contact.archived"
	EffectContactUnarchived    Effect = "contact.unarchived"
	EffectContactMerged        Effect = "contact.merged" // counted on the source (from) id
	EffectPartRedacted         Effect = "conversation_part.redacted"
	EffectConversationDeleted  Effect = "conversation.deleted"
	EffectTicketDeleted        Effect = "ticket.deleted"
	EffectTicketCreated        Effect = "ticket.created"
	EffectTicketReplied        Effect = "ticket.replied" // counted on the ticket id, once per reply
	EffectExportCreated        Effect = "export.created"
	EffectExportCanceled       Effect = "export.canceled"
	EffectContactCreated       Effect = "contact.created"
	EffectContactUpdated       Effect = "contact.updated"
	EffectContactTagged        Effect = "contact.tagged"       // counted on "contact id/tag id"
	EffectContactUntagged      Effect = "contact.untagged"     // counted on "contact id/tag id"
	EffectSubscriptionSet      Effect = "contact.subscription" // counted on "contact id/subscription id"
	EffectNoteCreated          Effect = "note.created"
	EffectConversationCreated  Effect = "conversation.created"
	EffectConversationReplied  Effect = "conversation.replied" // counted on the conversation id, once per reply
	EffectEventCreated         Effect = "event.created"        // counted on the contact id, once per event
	EffectDataAttributeCreated Effect = "data_attribute.created"
)

// EndpointStats counts the requests answered for one endpoint.
type EndpointStats struct {
	// Calls counts every request routed to the endpoint, whatever its answer.
	Calls int
	// RateLimited counts 429 answers, ServerErrors injected 5xx answers, and Dropped
	// requests that got no answer: connections the sandbox closed (DropRate) and
	// requests the client abandoned while the sandbox delayed them (Latency).
	RateLimited, ServerErrors, Dropped int
	// Status counts answers by HTTP status.
	Status map[int]int
}

// Stats is a snapshot of what the sandbox has served and done.
type Stats struct {
	// Endpoints is keyed by "METHOD /path/{pattern}", e.g. "DELETE /contacts/{id}";
	// unauthenticated requests count too. Requests that match no endpoint are under
	// "UNMATCHED".
	Endpoints map[string]EndpointStats
	// Effects counts each change per object id: Effects[EffectContactDeleted][id] is how
	// many times that contact was deleted (a correct client makes it at most 1).
	Effects map[Effect]map[string]int
	// Webhooks counts notifications delivered and failed.
	WebhooksSent, WebhooksFailed int
}

// Effect returns how many times kind happened to object id.
func (s Stats) Effect(kind Effect, id string) int { return s.Effects[kind][id] }

// Repeated returns the ids that kind happened to more than once.
func (s Stats) Repeated(kind Effect) []string {
	var out []string
	for id, n := range s.Effects[kind] {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

// Total sums an endpoint counter over all endpoints.
func (s Stats) Total(f func(EndpointStats) int) int {
	n := 0
	for _, e := range s.Endpoints {
		n += f(e)
	}
	return n
}

type statsRec struct {
	mu      sync.Mutex
	ep      map[string]*EndpointStats
	effects map[Effect]map[string]int
	whSent  int
	whFail  int
}

func newStatsRec() *statsRec {
	return &statsRec{ep: map[string]*EndpointStats{}, effects: map[Effect]map[string]int{}}
}

func (r *statsRec) endpoint(key string, f func(*EndpointStats)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.ep[key]
	if e == nil {
		e = &EndpointStats{Status: map[int]int{}}
		r.ep[key] = e
	}
	f(e)
}

func (r *statsRec) effect(kind Effect, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.effects[kind]
	if m == nil {
		m = map[string]int{}
		r.effects[kind] = m
	}
	m[id]++
}

func (r *statsRec) webhook(ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.whSent++
	} else {
		r.whFail++
	}
}

func (r *statsRec) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Endpoints: make(map[string]EndpointStats, len(r.ep)), Effects: make(map[Effect]map[string]int, len(r.effects)),
		WebhooksSent: r.whSent, WebhooksFailed: r.whFail}
	for k, v := range r.ep {
		c := *v
		c.Status = maps.Clone(v.Status)
		s.Endpoints[k] = c
	}
	for k, v := range r.effects {
		s.Effects[k] = maps.Clone(v)
	}
	return s
}
