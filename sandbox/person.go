package sandbox

import "strconv"

// samplePersonSpec is the subject of the demo and of the DSAR tests.
var samplePersonSpec = PersonSpec{
	Name: "Saoirse Ní Bhriain", Email: "saoirse.nibhriain@example-mail.ie", Phone: "+353 87 123 4567",
	ExternalID: "usr_sample_0001",
	Users:      1, Leads: 1, Archived: 1, Merged: 1,
	Conversations: 4, PartsPerConversation: 6, SharedConversations: 1,
	Tickets: 2, Notes: 3, Events: 5, OldEvents: 3,
}

// addPerson adds spec's person at time now (unix seconds). It takes the write lock.
func (w *Workspace) addPerson(spec PersonSpec, now int64) Person {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq.person++
	g := &generator{w: w, r: w.rnd, now: now}
	p := g.r.persona(w.seq.person)
	if spec.Name != "" {
		p.name = spec.Name
		p.first = spec.Name
		if i := indexSpace(spec.Name); i > 0 {
			p.first = spec.Name[:i]
		}
	}
	if spec.Email != "" {
		p.email = spec.Email
	}
	if spec.Phone != "" {
		p.phone = spec.Phone
	}
	p.externalID = spec.ExternalID
	if p.externalID == "" {
		p.externalID = "usr_p" + strconv.Itoa(w.seq.person)
	}
	if spec.Users == 0 && spec.Leads == 0 {
		spec.Users = 1
	}
	if spec.PartsPerConversation == 0 {
		spec.PartsPerConversation = 4
	}
	out := Person{Name: p.name, Email: p.email, Phone: p.phone, ExternalID: p.externalID}
	created := now - 400*day
	mk := func(role string, ext string) *Contact {
		created += 3600
		q := *p
		q.externalID = ext
		c := g.contact(&q, role, created)
		c.Phone = p.phone
		w.addContact(c)
		out.ContactIDs = append(out.ContactIDs, c.ID)
		return c
	}
	var users, all []*Contact
	for i := 0; i < spec.Users; i++ {
		ext := ""
		if i == 0 {
			ext = p.externalID
		}
		c := mk("user", ext)
		users = append(users, c)
		all = append(all, c)
		out.LiveContactIDs = append(out.LiveContactIDs, c.ID)
	}
	for i := 0; i < spec.Leads; i++ {
		c := mk("lead", "")
		all = append(all, c)
		out.LiveContactIDs = append(out.LiveContactIDs, c.ID)
	}
	for i := 0; i < spec.Archived; i++ {
		c := mk("user", "")
		c.Archived = true
		all = append(all, c)
		out.ArchivedIDs = append(out.ArchivedIDs, c.ID)
	}
	for i := 0; i < spec.Merged; i++ {
		c := mk("lead", "")
		into := all[0]
		if len(users) > 0 {
			into = users[0]
		}
		w.merge(c, into, now-int64(10+i)*day)
		all = append(all, c)
		out.MergedIDs = append(out.MergedIDs, c.ID)
	}
	for i := 0; i < spec.Conversations; i++ {
		c := all[i%len(all)]
		conv := g.conversation(c, p, nil, spec.PartsPerConversation)
		out.ConversationIDs = append(out.ConversationIDs, conv.ID)
	}
	for i := 0; i < spec.SharedConversations; i++ {
		other := w.contactOrder[g.r.intn(len(w.contactOrder))]
		for j := 0; j < len(w.contactOrder) && (other.Email == p.email || !live(other) || w.deleted[other.ID]); j++ {
			other = w.contactOrder[(j+1)%len(w.contactOrder)]
		}
		op := g.r.persona(w.seq.person + 1000)
		op.name, op.email = other.Name, other.Email
		conv := g.conversation(other, op, all[0], spec.PartsPerConversation)
		out.ConversationIDs = append(out.ConversationIDs, conv.ID)
	}
	for i := 0; i < spec.Tickets; i++ {
		out.TicketIDs = append(out.TicketIDs, g.ticket(all[i%len(all)], p).ID)
	}
	for i := 0; i < spec.Notes; i++ {
		c := all[i%len(all)]
		out.NoteIDs = append(out.NoteIDs, g.note(c, p, now-int64(i+1)*day).ID)
	}
	// Recent events lie between one day and 89 days ago (a week apart while that
	// fits, closer together beyond a dozen), so all of them stay inside the 90-day
	// window GET /events lists, with a day of margin for a test's run time.
	step := min(7*day, recentEventSpan/max(int64(spec.Events), 1))
	for i := 0; i < spec.Events; i++ {
		g.event(all[0], now-day-int64(i)*step)
	}
	for i := 0; i < spec.OldEvents; i++ {
		g.event(all[0], now-int64(120+i*30)*day)
	}
	w.recount()
	out.Events, out.RecentEvents = w.countEvents(all, now-eventWindow)
	return out
}

// recentEventSpan is the span over which addPerson spreads a person's recent events.
const recentEventSpan = 88 * day

// countEvents counts the events of contacts cs: all of them, and those created at or
// after since (the ones GET /events lists). The caller holds the lock.
func (w *Workspace) countEvents(cs []*Contact, since int64) (all, recent int) {
	for _, c := range cs {
		for _, e := range w.events[c.ID] {
			all++
			if e.CreatedAt >= since {
				recent++
			}
		}
	}
	return all, recent
}

func indexSpace(s string) int {
	for i, c := range s {
		if c == ' ' {
			return i
		}
	}
	return -1
}
