package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConversationPartsLimit(t *testing.T) {
	e := newEnv(t, Options{Seed: 13, Contacts: 20})
	p := e.s.AddPerson(PersonSpec{Conversations: 1, PartsPerConversation: 620})
	id := p.ConversationIDs[0]
	all, _ := e.s.Workspace().Conversation(id)
	var c conversationJSON
	e.want(e.do("GET", "/conversations/"+id, nil), 200).json(t, &c)
	parts := c.ConversationParts.ConversationParts
	if len(parts) != 500 {
		t.Fatalf("%d parts returned, want 500", len(parts))
	}
	if parts[0].ID != all.Parts[120].ID || parts[499].ID != all.Parts[619].ID {
		t.Fatal("the returned parts are not the 500 most recent")
	}
	if c.ConversationParts.TotalCount != 620 {
		t.Errorf("total_count %d, want 620", c.ConversationParts.TotalCount)
	}
	var plain conversationJSON
	e.want(e.do("GET", "/conversations/"+id+"?display_as=plaintext", nil), 200).json(t, &plain)
	for _, pt := range plain.ConversationParts.ConversationParts {
		if pt.Body != nil && strings.ContainsAny(*pt.Body, "<>") {
			t.Fatalf("plaintext body holds HTML: %q", *pt.Body)
		}
	}
}

func TestSearchConversations(t *testing.T) {
	e := newEnv(t, Options{Seed: 14, Contacts: 200})
	p := e.s.SamplePerson()
	ws := e.s.Workspace()
	var out conversationList
	e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"field":"contact_ids","operator":"=","value":%q},"pagination":{"per_page":150}}`, p.LiveContactIDs[0])), 200).json(t, &out)
	if out.Type != "conversation.list" || len(out.Conversations) != len(ws.ConversationsOf(p.LiveContactIDs[0])) {
		t.Fatalf("%s with %d conversations, want %d", out.Type, len(out.Conversations), len(ws.ConversationsOf(p.LiveContactIDs[0])))
	}
	for _, c := range out.Conversations {
		if c.ConversationParts != nil {
			t.Fatal("search results carry conversation_parts")
		}
	}
	// The indexed path (contact_ids = X) and a full scan (the same filter inside OR)
	// agree, for every contact of a sample of them.
	for _, c := range ws.Contacts()[:40] {
		var viaIndex, viaScan conversationList
		e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"field":"contact_ids","operator":"=","value":%q},"pagination":{"per_page":150}}`, c.ID)), 200).json(t, &viaIndex)
		e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"operator":"OR","value":[{"field":"contact_ids","operator":"=","value":%q}]},"pagination":{"per_page":150}}`, c.ID)), 200).json(t, &viaScan)
		if len(viaIndex.Conversations) != len(viaScan.Conversations) || viaIndex.TotalCount != viaScan.TotalCount {
			t.Fatalf("contact %s: index found %d, scan %d", c.ID, len(viaIndex.Conversations), len(viaScan.Conversations))
		}
		for i := range viaIndex.Conversations {
			if viaIndex.Conversations[i].ID != viaScan.Conversations[i].ID {
				t.Fatalf("contact %s: order differs at %d", c.ID, i)
			}
		}
	}
	// Whole-word match on source.body; dates with "or equal" on conversations.
	c, _ := ws.Conversation(p.ConversationIDs[0])
	word := strings.FieldsFunc(stripTags(c.Source.Body), notWordRune)[0]
	e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"operator":"AND","value":[{"field":"id","operator":"=","value":%q},{"field":"source.body","operator":"=","value":%q}]}}`, c.ID, word)), 200).json(t, &out)
	if len(out.Conversations) != 1 {
		t.Errorf("whole word %q did not match", word)
	}
	e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"operator":"AND","value":[{"field":"id","operator":"=","value":%q},{"field":"source.body","operator":"=","value":%q}]}}`, c.ID, word[:len(word)-1]+"#")), 200).json(t, &out)
	if len(out.Conversations) != 0 {
		t.Errorf("a partial word matched with =")
	}
	e.want(e.do("POST", "/conversations/search", fmt.Sprintf(`{"query":{"operator":"AND","value":[{"field":"id","operator":"=","value":%q},{"field":"created_at","operator":">","value":%d}]}}`, c.ID, c.CreatedAt)), 200).json(t, &out)
	if len(out.Conversations) != 1 {
		t.Error("> on the conversation's own day did not match (conversation search documents or-equal)")
	}
	// Walk all conversations with the cursor in the body.
	seen := map[string]bool{}
	body := `{"query":{"field":"open","operator":"=","value":true},"pagination":{"per_page":50%s}}`
	after := ""
	total := -1
	for {
		var out conversationList // fresh: a last page has no "next" to overwrite the previous one
		e.want(e.do("POST", "/conversations/search", fmt.Sprintf(body, after)), 200).json(t, &out)
		total = out.TotalCount
		for _, c := range out.Conversations {
			if seen[c.ID] || !c.Open {
				t.Fatalf("%s repeated (%v) or closed (open=%v state=%s)", c.ID, seen[c.ID], c.Open, c.State)
			}
			seen[c.ID] = true
		}
		if out.Pages.Next == nil {
			break
		}
		after = `,"starting_after":"` + out.Pages.Next.StartingAfter + `"`
	}
	if len(seen) != total || total == 0 {
		t.Fatalf("walked %d of %d", len(seen), total)
	}
}

func TestRedact(t *testing.T) {
	ck := newClock()
	e := newEnv(t, Options{Seed: 15, Contacts: 20, Now: ck.Now})
	p := e.s.SamplePerson()
	conv, _ := e.s.Workspace().Conversation(p.ConversationIDs[0])
	var part, empty Part
	for _, pt := range conv.Parts {
		if pt.Body != "" && part.ID == "" {
			part = pt
		}
		if pt.Body == "" {
			empty = pt
		}
	}
	ck.Add(time.Hour)
	var out conversationJSON
	e.want(e.do("POST", "/conversations/redact", fmt.Sprintf(`{"type":"conversation_part","conversation_id":%s,"conversation_part_id":%s}`, conv.ID, part.ID)), 200).json(t, &out)
	var got *partJSON
	for i := range out.ConversationParts.ConversationParts {
		if out.ConversationParts.ConversationParts[i].ID == part.ID {
			got = &out.ConversationParts.ConversationParts[i]
		}
	}
	if got == nil || got.Body == nil || *got.Body != "<p><i>This message was deleted</i></p>" || !got.Redacted {
		t.Fatalf("redacted part: %+v", got)
	}
	if out.UpdatedAt != ck.Now().Unix() || got.UpdatedAt != ck.Now().Unix() {
		t.Errorf("updated_at %d not bumped to %d", out.UpdatedAt, ck.Now().Unix())
	}
	if stored, _ := e.s.Workspace().Conversation(conv.ID); strings.Contains(stored.Parts[indexOf(stored.Parts, part.ID)].Body, part.Body) {
		t.Fatal("the stored part still holds the original body")
	}
	r := e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": conv.ID, "conversation_part_id": part.ID}), 400)
	r.code(t)
	if n := e.s.Stats().Effect(EffectPartRedacted, conv.ID+"/part:"+part.ID); n != 1 {
		t.Fatalf("redaction counted %d times", n)
	}
	if empty.ID != "" {
		if c := e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": conv.ID, "conversation_part_id": empty.ID}), 400).code(t); c != "conversation_part_not_redactable" {
			t.Errorf("part without body: %s", c)
		}
	}
	// Source.
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "source", "conversation_id": conv.ID, "source_id": conv.Source.ID}), 200).json(t, &out)
	if out.Source.Body != redactedBody || !out.Source.Redacted {
		t.Fatalf("source after redact: %+v", out.Source)
	}
	e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "source", "conversation_id": conv.ID, "source_id": conv.Source.ID}), 400)
	for _, body := range []string{`{}`, `{"type":"conversation_part","conversation_id":"1"}`, `[1]`, `{"type":"x","conversation_id":"1","source_id":"2"}`} {
		e.want(e.do("POST", "/conversations/redact", body), 400)
	}
	if c := e.want(e.do("POST", "/conversations/redact", map[string]string{"type": "conversation_part", "conversation_id": "1", "conversation_part_id": "2"}), 404).code(t); c != "conversation_part_or_message_not_found" {
		t.Error(c)
	}
}

func indexOf(parts []Part, id string) int {
	for i, p := range parts {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func TestTickets(t *testing.T) {
	e := newEnv(t, Options{Seed: 16, Contacts: 100})
	p := e.s.SamplePerson()
	var out ticketList
	e.want(e.do("POST", "/tickets/search", fmt.Sprintf(`{"query":{"field":"contact_ids","operator":"IN","value":[%q,%q]}}`, p.LiveContactIDs[0], p.LiveContactIDs[1])), 200).json(t, &out)
	if out.Type != "ticket.list" || len(out.Tickets) != len(p.TicketIDs) {
		t.Fatalf("%s with %d tickets, want %d", out.Type, len(out.Tickets), len(p.TicketIDs))
	}
	tk, _ := e.s.Workspace().Ticket(p.TicketIDs[0])
	e.want(e.do("POST", "/tickets/search", fmt.Sprintf(`{"query":{"operator":"AND","value":[{"field":"id","operator":"=","value":%q},{"field":"created_at","operator":">=","value":%d}]}}`, tk.ID, tk.CreatedAt)), 200).json(t, &out)
	if len(out.Tickets) != 1 {
		t.Error(">= on created_at (allowed on tickets) did not match the ticket's own day")
	}
	var got ticketJSON
	e.want(e.do("GET", "/tickets/"+tk.ID, nil), 200).json(t, &got)
	if got.TicketAttributes["_default_title_"] != tk.Title || got.TicketID != tk.TicketID {
		t.Fatalf("ticket %+v", got)
	}
	d := e.want(e.do("DELETE", "/tickets/"+tk.ID, nil), 200).m(t)
	if d["deleted"] != true || d["object"] != "ticket" {
		t.Fatal(d)
	}
	if c := e.want(e.do("GET", "/tickets/"+tk.ID, nil), 404).code(t); c != "ticket_not_found" {
		t.Error(c)
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t, Options{Seed: 17, Contacts: 30})
	p := e.s.SamplePerson()
	id := p.LiveContactIDs[0]
	var list struct {
		Type   string      `json:"type"`
		Events []eventJSON `json:"events"`
		Pages  struct {
			Next  string `json:"next"`
			Since string `json:"since"`
		} `json:"pages"`
	}
	all := e.s.Workspace().Events(id)
	cutoff := e.clock.Now().Unix() - eventWindow
	recent := 0
	for _, ev := range all {
		if ev.CreatedAt >= cutoff {
			recent++
		}
	}
	if recent == len(all) {
		t.Fatal("the sample person has no old events")
	}
	e.want(e.do("GET", "/events?type=user&intercom_user_id="+id+"&per_page=2", nil), 200).json(t, &list)
	got := 0
	for {
		for _, ev := range list.Events {
			if ev.CreatedAt < cutoff {
				t.Fatal("an event older than 90 days was listed")
			}
			got++
		}
		if list.Pages.Next == "" {
			break
		}
		next := strings.TrimPrefix(list.Pages.Next, e.url)
		list.Events, list.Pages.Next = nil, "" // a last page has no next to overwrite
		e.want(e.do("GET", next, nil), 200).json(t, &list)
	}
	if got != recent {
		t.Fatalf("listed %d events, want the %d of the last 90 days", got, recent)
	}
	var sum struct {
		Type   string        `json:"type"`
		Events []summaryItem `json:"events"`
	}
	e.want(e.do("GET", "/events?type=user&user_id="+p.ExternalID+"&summary=true", nil), 200).json(t, &sum)
	n := 0
	for _, it := range sum.Events {
		n += it.Count
	}
	if sum.Type != "event.summary" || n != len(all) {
		t.Fatalf("summary counts %d, want all %d", n, len(all))
	}
	e.want(e.do("GET", "/events?type=user&email="+p.Email, nil), 200)
	e.want(e.do("GET", "/events?intercom_user_id="+id, nil), 400)
	e.want(e.do("GET", "/events?type=user&intercom_user_id="+id+"&user_id=x", nil), 400)
	e.want(e.do("GET", "/events?type=user&intercom_user_id=nobody", nil), 404)
}

// TestContactIndexMatchesScan checks that conversation and ticket searches by
// contact_ids (answered from the per-contact indexes) find what a full scan finds.
func TestContactIndexMatchesScan(t *testing.T) {
	e := newEnv(t, Options{Seed: 21, Contacts: 120})
	p := e.s.SamplePerson()
	contacts := slices.Clone(p.ContactIDs)
	for _, c := range e.s.Workspace().Contacts()[:40] {
		contacts = append(contacts, c.ID)
	}
	tickets := 0
	for _, cid := range contacts {
		for _, kind := range []string{"conversations", "tickets"} {
			found := func(query string) []string {
				var out struct {
					Conversations []struct{ ID string } `json:"conversations"`
					Tickets       []struct{ ID string } `json:"tickets"`
				}
				e.want(e.do("POST", "/"+kind+"/search", `{"query":`+query+`,"pagination":{"per_page":150}}`), 200).json(t, &out)
				var ids []string
				for _, x := range append(out.Conversations, out.Tickets...) {
					ids = append(ids, x.ID)
				}
				return ids
			}
			eq := fmt.Sprintf(`{"field":"contact_ids","operator":"=","value":%q}`, cid)
			viaIndex, viaScan := found(eq), found(`{"operator":"OR","value":[`+eq+`]}`)
			if fmt.Sprint(viaIndex) != fmt.Sprint(viaScan) {
				t.Fatalf("%s of %s: index %v, scan %v", kind, cid, viaIndex, viaScan)
			}
			if kind == "tickets" {
				tickets += len(viaIndex)
			}
		}
	}
	if tickets < len(p.TicketIDs) {
		t.Fatalf("found %d tickets in all, want at least the sample person's %d", tickets, len(p.TicketIDs))
	}
}
