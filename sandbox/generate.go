package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

const day = 24 * 3600

// persona is the identity behind one or more contacts.
type persona struct {
	first, last, name, email, phone, address, externalID string
	place                                                *placeInfo
}

func (r *rng) persona(seq int) *persona {
	first, last := r.pick(givenNames), r.pick(familyNames)
	local := strings.ToLower(asciiFold(first) + "." + strings.ReplaceAll(asciiFold(last), " ", ""))
	local = strings.ReplaceAll(local, "'", "")
	if r.chance(0.5) {
		local += strconv.Itoa(seq)
	}
	pl := &places[r.intn(len(places))]
	p := &persona{
		first: first, last: last, name: first + " " + last,
		email: local + "@" + r.pick(mailDomains),
		phone: r.phone(),
		place: pl,
	}
	p.address = strconv.Itoa(1+r.intn(240)) + " " + r.pick(pl.street) + ", " + pl.postcode(r) + " " + pl.city
	return p
}

// asciiFold maps the accented letters of the vocabulary to ASCII for e-mail local parts.
func asciiFold(s string) string {
	return foldReplacer.Replace(s)
}

var foldReplacer = strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ü", "u", "ú", "u", "ö", "o", "ó", "o",
	"á", "a", "ã", "a", "í", "i", "ı", "i", "ç", "c", "ß", "ss", "ñ", "n", "Ł", "L", "ł", "l", "Ö", "O", "Î", "I")

// generator builds a workspace. It owns w exclusively while it runs.
type generator struct {
	w    *Workspace
	r    *rng
	now  int64
	seed int64
}

func generate(seed int64, n int, now time.Time, contactsOnly bool) *Workspace {
	w := newWorkspace(seed, now)
	g := &generator{w: w, r: newRNG(seed, uint64(n)), now: now.Unix(), seed: seed}
	g.fixtures()
	w.seedAttributes(g.now - 900*day)
	var pool []*persona // recent identities, some reused so users and leads share emails
	var users []*Contact
	var leads []*Contact
	for i := 0; i < n; i++ {
		var p *persona
		role := "user"
		if g.r.chance(0.3) {
			role = "lead"
		}
		if len(pool) > 0 && g.r.chance(0.06) {
			p = pool[g.r.intn(len(pool))] // a second contact for the same e-mail
		} else {
			p = g.r.persona(i)
			if len(pool) < 64 {
				pool = append(pool, p)
			} else {
				pool[g.r.intn(64)] = p
			}
		}
		if role == "user" && p.externalID == "" && g.r.chance(0.6) {
			p.externalID = "usr_" + strconv.Itoa(100000+i)
		}
		c := g.contact(p, role, g.now-int64(1+g.r.intn(700))*day+int64(g.r.intn(day)))
		// Appended unsorted and sorted once below: inserting in order would be
		// quadratic for large workspaces.
		g.w.contacts[c.ID] = c
		g.w.indexEmail(c)
		g.w.contactOrder = append(g.w.contactOrder, c)
		if role == "user" {
			users = append(users, c)
		} else {
			leads = append(leads, c)
		}
		if !contactsOnly {
			g.activity(c, p, pool)
		}
	}
	slices.SortFunc(w.contactOrder, cmpContact)
	for _, c := range w.contactOrder {
		if c.Role == "user" && c.ExternalID != "" {
			if _, taken := w.byExternal[c.ExternalID]; !taken {
				w.byExternal[c.ExternalID] = c
			}
		}
	}
	// Soft-delete some contacts, and merge some leads into users.
	for _, c := range g.w.contactOrder {
		if g.r.chance(0.02) {
			c.Archived = true
		}
	}
	for _, l := range leads {
		if len(users) > 0 && !l.Archived && g.r.chance(0.02) {
			u := users[g.r.intn(len(users))]
			if live(u) {
				t := max(l.CreatedAt, u.CreatedAt)
				w.merge(l, u, t+int64(g.r.intn(int(max(1, g.now-t)))))
			}
		}
	}
	w.seq.person = n
	w.recount()
	return w
}

// fixtures creates the workspace-wide objects: teammates, tags, segments, companies and
// subscription types.
func (g *generator) fixtures() {
	w := g.w
	for i, name := range adminNames {
		first := strings.ToLower(asciiFold(strings.Fields(name)[0]))
		w.admins = append(w.admins, &Admin{
			ID: strconv.Itoa(5017690 + i), Name: name,
			Email: first + "@support.sandbox-workspace.example", JobTitle: "Support",
		})
	}
	for i, name := range tagNames {
		id := strconv.Itoa(7100000 + i)
		w.tags[id] = &Tag{ID: id, Name: name}
		w.tagOrder = append(w.tagOrder, id)
	}
	for i, name := range segmentNames {
		id := "5f1" + strconv.Itoa(i) + g.r.hex(20)
		pt := "user"
		if i == 1 {
			pt = "contact"
		}
		w.segments[id] = &Segment{ID: id, Name: name, PersonType: pt, CreatedAt: g.now - 800*day, UpdatedAt: g.now - 30*day}
		w.segOrder = append(w.segOrder, id)
	}
	for i, name := range companyNames {
		id := "6a0" + strconv.Itoa(i%10) + g.r.hex(20)
		w.comps[id] = &Company{
			ID: id, CompanyID: "cmp-" + strconv.Itoa(1000+i), Name: name,
			Website:  "https://" + strings.ToLower(strings.Fields(name)[0]) + ".example",
			Industry: industries[i%len(industries)], Plan: []string{"Starter", "Pro", "Enterprise"}[i%3],
			CreatedAt: g.now - int64(300+i)*day, UpdatedAt: g.now - int64(i)*day, Size: 10 + 37*i,
		}
		w.compOrd = append(w.compOrd, id)
	}
	w.subTypes = []*SubscriptionType{
		{ID: "37846", Name: "Newsletter", Description: "Monthly product news"},
		{ID: "37847", Name: "Product updates", Description: "Release notes"},
		{ID: "37848", Name: "SMS offers", Description: "Offers by text message"},
	}
}

func (g *generator) contactID(created int64) string {
	for {
		id := strconv.FormatInt(created&0xffffffff, 16)
		for len(id) < 8 {
			id = "0" + id
		}
		id += g.r.hex(16)
		if _, taken := g.w.contacts[id]; !taken && !g.w.deleted[id] {
			return id
		}
	}
}

func (g *generator) contact(p *persona, role string, created int64) *Contact {
	r := g.r
	c := &Contact{
		ID: g.contactID(created), Role: role, Name: p.name, Email: p.email,
		CreatedAt: created, UpdatedAt: created + int64(r.intn(30))*day,
		Location: Location{Country: p.place.country, Region: p.place.region, City: p.place.city,
			CountryCode: p.place.code, ContinentCode: p.place.continent},
		OwnerID: g.w.admins[r.intn(len(g.w.admins))].ID,
	}
	if c.UpdatedAt > g.now {
		c.UpdatedAt = g.now
	}
	c.LastSeenAt = c.UpdatedAt
	if r.chance(0.7) {
		c.Phone = p.phone
	}
	if role == "user" {
		c.ExternalID = p.externalID
		c.SignedUpAt = created
		c.CustomAttributes = map[string]string{"plan": r.pick([]string{"free", "pro", "enterprise"})}
		if r.chance(0.3) {
			c.CustomAttributes["billing_address"] = p.address
		}
	}
	for _, id := range g.w.tagOrder {
		if r.chance(0.15) {
			c.TagIDs = append(c.TagIDs, id)
		}
	}
	for _, id := range g.w.segOrder {
		if r.chance(0.2) {
			c.SegmentIDs = append(c.SegmentIDs, id)
		}
	}
	if r.chance(0.4) {
		c.CompanyIDs = append(c.CompanyIDs, g.w.compOrd[r.intn(len(g.w.compOrd))])
	}
	for _, st := range g.w.subTypes {
		if r.chance(0.25) {
			consent := "opt_in"
			if r.chance(0.4) {
				consent = "opt_out"
			}
			c.Subscriptions = append(c.Subscriptions, SubscriptionState{SubscriptionID: st.ID, Consent: consent})
		}
	}
	return c
}

// activity gives contact c conversations, tickets, notes and events.
func (g *generator) activity(c *Contact, p *persona, pool []*persona) {
	r := g.r
	for k := r.intn(5); k > 0; k-- {
		var other *Contact
		if r.chance(0.05) && len(g.w.contactOrder) > 1 {
			o := g.w.contactOrder[r.intn(len(g.w.contactOrder))]
			if o != c {
				other = o
			}
		}
		g.conversation(c, p, other, 1+r.intn(10))
	}
	if r.chance(0.15) {
		g.ticket(c, p)
	}
	for k := r.intn(3); k > 0; k-- {
		g.note(c, p, c.CreatedAt+int64(r.intn(int(max(1, g.now-c.CreatedAt)))))
	}
	for k := r.intn(6); k > 0; k-- {
		g.event(c, g.now-int64(r.intn(200))*day-int64(r.intn(day)))
	}
}

func (g *generator) authorFor(c *Contact) Author {
	return Author{Type: c.Role, ID: c.ID, Name: c.Name, Email: c.Email}
}

func (g *generator) adminAuthor(a *Admin) Author {
	return Author{Type: "admin", ID: a.ID, Name: a.Name, Email: a.Email}
}

func (g *generator) nextPartID() string {
	g.w.seq.part++
	return strconv.Itoa(20_000_000_000 + g.w.seq.part)
}

// conversation creates a conversation opened by c (persona p) with nparts parts; when
// other is set it is a shared thread in which other customer also writes.
func (g *generator) conversation(c *Contact, p *persona, other *Contact, nparts int) *Conversation {
	r, w := g.r, g.w
	w.seq.conv++
	created := c.CreatedAt + int64(r.intn(int(max(1, g.now-c.CreatedAt))))
	admin := w.admins[r.intn(len(w.admins))]
	var op *persona
	if other != nil {
		op = &persona{name: other.Name, email: other.Email, phone: other.Phone, first: strings.Fields(other.Name + " x")[0]}
		if op.phone == "" {
			op.phone = r.phone()
		}
	} else {
		op = r.persona(w.seq.conv)
	}
	conv := &Conversation{
		ID: strconv.Itoa(100_000_000 + w.seq.conv), CreatedAt: created,
		State: r.pick([]string{"open", "closed", "closed", "snoozed"}), Read: r.chance(0.7),
		Priority: r.pick([]string{"none", "none", "low", "high"}), AdminAssigneeID: mustAtoi(admin.ID),
		ContactIDs: []string{c.ID}, TeammateIDs: []string{admin.ID},
	}
	conv.Title = r.pick(subjects)
	conv.Source = Source{
		ID: strconv.Itoa(300_000_000 + w.seq.conv), DeliveredAs: "customer_initiated", Subject: conv.Title,
		Body: userText(r, p, op), Author: g.authorFor(c),
	}
	if other != nil {
		conv.ContactIDs = append(conv.ContactIDs, other.ID)
	}
	if r.chance(0.2) {
		conv.TagIDs = []string{w.tagOrder[r.intn(len(w.tagOrder))]}
	}
	t := created
	for i := 0; i < nparts; i++ {
		t += int64(60 + r.intn(3*3600))
		part := Part{ID: g.nextPartID(), PartType: "comment", CreatedAt: t, UpdatedAt: t}
		switch {
		case i == 0 && r.chance(0.3):
			part.PartType, part.Author = "assignment", g.adminAuthor(admin)
		case other != nil && i%3 == 2:
			part.Author, part.Body = g.authorFor(other), userText(r, op, p)
		case i%2 == 0:
			part.Author, part.Body = g.adminAuthor(admin), adminText(r, p)
		case r.chance(0.15):
			part.PartType, part.Author, part.Body = "note", g.adminAuthor(admin), noteText(r, p)
		default:
			part.Author, part.Body = g.authorFor(c), userText(r, p, op)
		}
		conv.Parts = append(conv.Parts, part)
	}
	conv.UpdatedAt = t
	if conv.UpdatedAt > g.now {
		conv.UpdatedAt = g.now
	}
	w.addConversation(conv)
	return conv
}

// ticketAttributes are a support ticket type's custom attributes: an order
// number and an invoice id (hard negatives for a scan), an amount, a flag,
// payment details that sometimes hold a card number, and screenshots whose
// file names sometimes do. Their own random source keeps every other
// generated value unchanged.
func ticketAttributes(r *rng, id string) map[string]any {
	pay := "Paid by invoice INV-" + r.digits(6)
	if r.intn(4) == 0 {
		pay = "Card " + r.card() + " exp 0" + strconv.Itoa(1+r.intn(9)) + "/2" + strconv.Itoa(7+r.intn(3))
	}
	var files []any
	for i := range r.intn(3) {
		name := "screenshot-" + strconv.Itoa(i+1) + ".png"
		if r.intn(6) == 0 {
			name = "card " + strings.ReplaceAll(r.card(), " ", "") + ".jpg"
		}
		files = append(files, File{Type: "upload", Name: name, URL: "https://downloads.intercomcdn.com/i/o/" + id + "/" + strconv.Itoa(i+1),
			ContentType: "image/png", Filesize: int64(20_000 + r.intn(500_000)), Width: 1280, Height: 800})
	}
	return map[string]any{
		"Order number":    "ORD-" + r.digits(8),
		"Refund amount":   float64(r.intn(50_000)) / 100,
		"Urgent":          r.intn(5) == 0,
		"Payment details": pay,
		"Screenshots":     files,
	}
}

func mustAtoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (g *generator) ticket(c *Contact, p *persona) *Ticket {
	r, w := g.r, g.w
	w.seq.ticket++
	created := c.CreatedAt + int64(r.intn(int(max(1, g.now-c.CreatedAt))))
	admin := w.admins[r.intn(len(w.admins))]
	state := r.pick([]string{"submitted", "in_progress", "waiting_on_customer", "resolved"})
	t := &Ticket{
		ID: strconv.Itoa(600_000 + w.seq.ticket), TicketID: strconv.Itoa(w.seq.ticket),
		Category: "Customer", Title: r.pick(subjects),
		Description: userText(r, p, r.persona(w.seq.ticket)),
		State:       state, Open: state != "resolved", CreatedAt: created, UpdatedAt: created + 3600,
		ContactIDs: []string{c.ID}, AdminID: mustAtoi(admin.ID),
	}
	t.Attributes = ticketAttributes(newRNG(g.seed, uint64(w.seq.ticket)<<8|0xa7), t.ID)
	for i := 0; i < 1+r.intn(3); i++ {
		g.w.seq.part++
		t.Parts = append(t.Parts, Part{ID: strconv.Itoa(40_000_000 + w.seq.part), PartType: "comment",
			Body: adminText(r, p), CreatedAt: created + int64(i+1)*600, UpdatedAt: created + int64(i+1)*600,
			Author: g.adminAuthor(admin)})
	}
	w.tickets[t.ID] = t
	w.ticketOrder = append(w.ticketOrder, t)
	for _, id := range t.ContactIDs {
		w.ticketsOf[id] = append(w.ticketsOf[id], t.ID)
	}
	return t
}

func (g *generator) note(c *Contact, p *persona, at int64) *Note {
	w := g.w
	w.seq.note++
	n := &Note{ID: strconv.Itoa(9_000_000 + w.seq.note), ContactID: c.ID,
		AuthorID: w.admins[g.r.intn(len(w.admins))].ID, Body: noteText(g.r, p), CreatedAt: at}
	w.notes[n.ID] = n
	w.notesOf[c.ID] = append(w.notesOf[c.ID], n.ID)
	return n
}

func (g *generator) event(c *Contact, at int64) {
	if at < c.CreatedAt {
		at = c.CreatedAt
	}
	e := &Event{ID: g.r.hex(24), ContactID: c.ID, Name: g.r.pick(eventNames), CreatedAt: at}
	if g.r.chance(0.3) {
		e.Metadata = map[string]string{"ip": strconv.Itoa(80+g.r.intn(100)) + "." + strconv.Itoa(g.r.intn(256)) + ".12." + strconv.Itoa(1+g.r.intn(250))}
	}
	g.w.insertEvent(e)
}

// insertEvent stores e among its contact's events, oldest first. The caller holds
// mu (or owns w exclusively).
func (w *Workspace) insertEvent(e *Event) {
	evs := w.events[e.ContactID]
	i := len(evs)
	for i > 0 && evs[i-1].CreatedAt > e.CreatedAt {
		i--
	}
	evs = append(evs, nil)
	copy(evs[i+1:], evs[i:])
	evs[i] = e
	w.events[e.ContactID] = evs
}

// userText is a customer's message with personal data in free text; o is another
// person the message may mention.
func userText(r *rng, p, o *persona) string {
	switch r.intn(10) {
	case 0:
		return "<p>Hi, this is " + p.name + ". My order hasn't arrived yet, could you check? You can reach me on " + p.phone + ".</p>"
	case 1:
		return "<p>Please send the invoice to " + p.email + " instead.</p><p>Thanks,<br>" + p.first + "</p>"
	case 2:
		return "<p>I moved, my new address is " + p.address + ".</p>"
	case 3:
		return "<p>You charged my card " + r.card() + " twice this month!</p>"
	case 4:
		return "<p>Please refund to my account " + r.iban() + " (" + p.name + ").</p>"
	case 5:
		return "<p>My colleague " + o.name + " (" + o.email + ", " + o.phone + ") will take over from here.</p>"
	case 6:
		return "<p>Can you update my phone to <a href=\"tel:" + strings.ReplaceAll(p.phone, " ", "") + "\">" + p.phone + "</a>?</p>"
	case 7:
		return "<p>Sure, my email is <a href=\"mailto:" + p.email + "\">" + p.email + "</a>.</p>"
	case 8:
		return "<p>Hello,</p><p>I want to close my account. Name: <b>" + p.name + "</b><br>Address: " + p.address + "<br>Phone: " + p.phone + "</p>"
	default:
		return "<p>Thanks, that works for me.</p>"
	}
}

// adminText is a teammate's reply about person p.
func adminText(r *rng, p *persona) string {
	switch r.intn(5) {
	case 0:
		return "<p>Hi " + p.first + ", thanks for reaching out! I've looked into it.</p>"
	case 1:
		return "<p>I've updated the address on file for " + p.name + " to " + p.address + ".</p>"
	case 2:
		return "<p>Could you confirm the last four digits of the card we have on file?</p>"
	case 3:
		return "<p>Thanks " + p.first + ", I've forwarded this to billing (" + p.email + ").</p>"
	default:
		return "<p>This should be sorted now. Anything else I can help with?</p>"
	}
}

// noteText is an internal note about person p.
func noteText(r *rng, p *persona) string {
	switch r.intn(3) {
	case 0:
		return "<p>" + p.name + " called from " + p.phone + ", identity verified.</p>"
	case 1:
		return "<p>Customer asked us to use " + p.email + " for all correspondence.</p>"
	default:
		return "<p>Escalated to billing, refund to " + r.iban() + " pending.</p>"
	}
}
