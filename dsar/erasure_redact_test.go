package dsar_test

import (
	"context"
	"slices"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// personParts lists, per conversation shared with another customer, the ids of
// the parts (and "source:" the opening message) the person wrote.
func personParts(t *testing.T, h *harness, p sandbox.Person) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, id := range p.ConversationIDs {
		c, ok := h.sb.Workspace().Conversation(id)
		if !ok || slices.Contains(p.ContactIDs, c.ContactIDs[0]) && len(c.ContactIDs) == 1 {
			continue
		}
		shared := false
		for _, cid := range c.ContactIDs {
			if !slices.Contains(p.ContactIDs, cid) {
				shared = true
			}
		}
		if !shared {
			continue
		}
		out[id] = []string{}
		if slices.Contains(p.ContactIDs, c.Source.Author.ID) {
			out[id] = append(out[id], "source:"+c.Source.ID)
		}
		for _, pt := range c.Parts {
			if slices.Contains(p.ContactIDs, pt.Author.ID) && pt.Body != "" {
				out[id] = append(out[id], "part:"+pt.ID)
			}
		}
	}
	return out
}

// TestErasureRedactsSharedConversations: a conversation shared with other
// people is kept, and every message the person wrote in it is redacted in
// Intercom, once; the others' messages are untouched.
func TestErasureRedactsSharedConversations(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Conversations: 1, SharedConversations: 2, PartsPerConversation: 4})
	want := personParts(t, h, p)
	n := 0
	for _, parts := range want {
		n += len(parts)
	}
	if len(want) != 2 || n == 0 {
		t.Fatalf("shared conversations %v", want)
	}
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	st := h.sb.Stats()
	for convID, parts := range want {
		c, ok := h.sb.Workspace().Conversation(convID)
		if !ok {
			t.Fatalf("shared conversation %s deleted", convID)
		}
		for _, item := range parts {
			if k := st.Effect(sandbox.EffectPartRedacted, convID+"/"+item); k != 1 {
				t.Errorf("%s/%s redacted %d times, want 1", convID, item, k)
			}
		}
		for _, pt := range c.Parts {
			if !slices.Contains(p.ContactIDs, pt.Author.ID) && pt.Redacted {
				t.Errorf("another person's part %s redacted", pt.ID)
			}
		}
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	o := outcome(t, r)
	if o.Counts["parts_redacted"] != int64(n) || r.State != store.StateCompleted {
		t.Errorf("outcome %+v, want %d parts redacted", o.Counts, n)
	}
	before := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls })
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if after := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls }); after != before {
		t.Errorf("a second run sent %d requests", after-before)
	}
}
