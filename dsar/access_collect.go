package dsar

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/intercom-privacy/intercom-privacy/intercom"
)

// DefaultParallelism is how many Intercom calls one request makes at a time when
// Service.Parallelism is zero. The client's shared rate budget bounds the rate;
// this bounds the calls in flight, so that latency does not cap the rate.
const DefaultParallelism = 8

func (s *Service) parallelism() int {
	if s.Parallelism > 0 {
		return s.Parallelism
	}
	return DefaultParallelism
}

// contactData is what Intercom returned for one contact.
type contactData struct {
	tags      []intercom.Tag
	segments  []intercom.Segment
	subs      []intercom.Subscription
	companies []intercom.Company
	notes     []intercom.Note
	events    []intercom.DataEvent
	summary   intercom.EventSummary
	// gone lists the kinds Intercom answered 404 for (the contact was deleted or
	// archived while the package was being built).
	gone []string
}

// collected is everything fetched from Intercom for one person.
type collected struct {
	mu       sync.Mutex
	contacts map[string]*contactData
	// convsOf and ticketsOf list, per contact, the ids its search found.
	convsOf   map[string][]string
	ticketsOf map[string][]string
	convs     map[string]intercom.Conversation
	tickets   map[string]intercom.Ticket
}

// fetcher runs Intercom calls in parallel: at most parallelism calls (or list walks)
// in flight, the first error cancels the rest.
type fetcher struct {
	g   *errgroup.Group
	ctx context.Context
	sem chan struct{}
}

// run starts f in a goroutine once a slot is free. It may be called from inside a
// running task (the new task waits for a slot of its own, the caller does not).
func (f *fetcher) run(task func(ctx context.Context) error) {
	f.g.Go(func() error {
		select {
		case f.sem <- struct{}{}:
		case <-f.ctx.Done():
			return f.ctx.Err()
		}
		defer func() { <-f.sem }()
		if err := f.ctx.Err(); err != nil {
			return err
		}
		return task(f.ctx)
	})
}

// collect fetches, for every contact of the resolution, its profile's attached
// objects, its data events, and the conversations and tickets it takes part in
// (found by search, then each retrieved in full). Conversations and tickets are
// retrieved once even when several of the person's contacts take part.
//
// The bodies of conversation and ticket parts go through the first pass of the
// third-party redaction (red.first) as soon as they arrive, on at most GOMAXPROCS
// goroutines outside the fetch slots, so that this CPU work overlaps the wait for
// the rate budget instead of following it.
func (s *Service) collect(ctx context.Context, res Resolution, red *redaction) (*collected, error) {
	c := &collected{
		contacts: map[string]*contactData{}, convsOf: map[string][]string{}, ticketsOf: map[string][]string{},
		convs: map[string]intercom.Conversation{}, tickets: map[string]intercom.Ticket{},
	}
	g, gctx := errgroup.WithContext(ctx)
	f := &fetcher{g: g, ctx: gctx, sem: make(chan struct{}, s.parallelism())}
	ic := s.Intercom
	seenConv, seenTicket := map[string]bool{}, map[string]bool{}
	cpu := make(chan struct{}, runtime.GOMAXPROCS(0))
	// prepare runs pass 1 of the redaction over a fetched object, then stores it.
	prepare := func(work func()) {
		g.Go(func() error {
			select {
			case cpu <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-cpu }()
			work()
			return nil
		})
	}

	for _, m := range res.Matches {
		cid := m.ContactID
		// Conversations and tickets: searched for every contact, archived and merged
		// ones included (search by contact_ids does not need the contact to be
		// retrievable).
		f.run(func(ctx context.Context) error {
			for cv, err := range ic.SearchConversations(ctx, intercom.Field("contact_ids").Eq(cid), intercom.SearchOptions{}) {
				if err != nil {
					return fmt.Errorf("dsar: search conversations of a contact: %w", err)
				}
				id := string(cv.ID)
				c.mu.Lock()
				c.convsOf[cid] = append(c.convsOf[cid], id)
				first := !seenConv[id]
				seenConv[id] = true
				c.mu.Unlock()
				if first {
					f.run(func(ctx context.Context) error {
						full, err := ic.GetConversation(ctx, id, intercom.GetConversationOptions{})
						if errors.Is(err, intercom.ErrNotFound) {
							return nil // deleted between search and retrieval
						}
						if err != nil {
							return fmt.Errorf("dsar: retrieve conversation %s: %w", id, err)
						}
						prepare(func() {
							firstPassConversation(red, &full)
							c.mu.Lock()
							c.convs[id] = full
							c.mu.Unlock()
						})
						return nil
					})
				}
			}
			return nil
		})
		f.run(func(ctx context.Context) error {
			for t, err := range ic.SearchTickets(ctx, intercom.Field("contact_ids").Eq(cid), intercom.SearchOptions{}) {
				if err != nil {
					return fmt.Errorf("dsar: search tickets of a contact: %w", err)
				}
				id := string(t.ID)
				c.mu.Lock()
				c.ticketsOf[cid] = append(c.ticketsOf[cid], id)
				first := !seenTicket[id]
				seenTicket[id] = true
				c.mu.Unlock()
				if first {
					f.run(func(ctx context.Context) error {
						full, err := ic.GetTicket(ctx, id)
						if errors.Is(err, intercom.ErrNotFound) {
							return nil
						}
						if err != nil {
							return fmt.Errorf("dsar: retrieve ticket %s: %w", id, err)
						}
						prepare(func() {
							firstPassTicket(red, &full)
							c.mu.Lock()
							c.tickets[id] = full
							c.mu.Unlock()
						})
						return nil
					})
				}
			}
			return nil
		})
		if m.Status != StatusActive || m.Contact == nil {
			// Intercom answers 404 for the attached objects of archived contacts and
			// 410 for merged ones (their data lives in the canonical contact, which
			// is part of the resolution).
			continue
		}
		d := &contactData{}
		c.contacts[cid] = d
		// gone records a 404 for one kind; any other error fails the build.
		gone := func(kind string, err error) error {
			if errors.Is(err, intercom.ErrNotFound) {
				c.mu.Lock()
				d.gone = append(d.gone, kind)
				c.mu.Unlock()
				return nil
			}
			return fmt.Errorf("dsar: %s of a contact: %w", kind, err)
		}
		f.run(func(ctx context.Context) error {
			v, err := ic.ContactTags(ctx, cid)
			if err != nil {
				return gone("tags", err)
			}
			c.mu.Lock()
			d.tags = v
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			v, err := ic.ContactSegments(ctx, cid)
			if err != nil {
				return gone("segments", err)
			}
			c.mu.Lock()
			d.segments = v
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			v, err := ic.ContactSubscriptions(ctx, cid)
			if err != nil {
				return gone("subscriptions", err)
			}
			c.mu.Lock()
			d.subs = v
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			var out []intercom.Company
			for v, err := range ic.ContactCompanies(ctx, cid, intercom.ListOptions{}) {
				if err != nil {
					return gone("companies", err)
				}
				out = append(out, v)
			}
			c.mu.Lock()
			d.companies = out
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			var out []intercom.Note
			for v, err := range ic.ContactNotes(ctx, cid, intercom.ListOptions{}) {
				if err != nil {
					return gone("notes", err)
				}
				out = append(out, v)
			}
			for i := range out {
				out[i].Body = red.first(out[i].Body)
			}
			c.mu.Lock()
			d.notes = out
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			var out []intercom.DataEvent
			for v, err := range ic.ListEvents(ctx, intercom.EventsOf{IntercomUserID: cid}, intercom.ListOptions{}) {
				if err != nil {
					return gone("events", err)
				}
				out = append(out, v)
			}
			c.mu.Lock()
			d.events = out
			c.mu.Unlock()
			return nil
		})
		f.run(func(ctx context.Context) error {
			v, err := ic.EventSummary(ctx, intercom.EventsOf{IntercomUserID: cid})
			if err != nil {
				return gone("event summary", err)
			}
			c.mu.Lock()
			d.summary = v
			c.mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c, nil
}

// firstPassConversation runs pass 1 of the redaction over the bodies of a
// conversation (a copy: the parts slice is replaced, not modified in place).
func firstPassConversation(red *redaction, cv *intercom.Conversation) {
	cv.Source.Body = red.first(cv.Source.Body)
	if cv.Source.Subject != "" {
		cv.Source.Subject = red.text(cv.Source.Subject)
	}
	parts := append([]intercom.ConversationPart(nil), cv.ConversationParts.ConversationParts...)
	for i := range parts {
		parts[i].Body = red.first(parts[i].Body)
	}
	cv.ConversationParts.ConversationParts = parts
}

// firstPassTicket runs pass 1 of the redaction over the bodies of a ticket's parts.
func firstPassTicket(red *redaction, t *intercom.Ticket) {
	parts := append([]intercom.ConversationPart(nil), t.TicketParts.TicketParts...)
	for i := range parts {
		parts[i].Body = red.first(parts[i].Body)
	}
	t.TicketParts.TicketParts = parts
}
