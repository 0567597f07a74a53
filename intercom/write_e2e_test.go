package intercom_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// TestWriteCallsAgainstSandbox drives every write call of the client against the
// sandbox and checks what the workspace holds afterwards and what each effect counted.
func TestWriteCallsAgainstSandbox(t *testing.T) {
	s, c := startSandbox(t, sandbox.Options{Seed: 41, Contacts: 30, RateLimit: -1}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if _, err := c.CreateContact(ctx, intercom.ContactFields{Email: intercom.Str("ann@example.com"),
		CustomAttributes: map[string]any{"ssn": "078-05-1120"}}); !errors.Is(err, intercom.ErrValidation) {
		t.Fatalf("undefined custom attribute: %v", err)
	}
	a, err := c.CreateDataAttribute(ctx, "contact", "ssn", "string", "for tests")
	if err != nil || a.FullName != "custom_attributes.ssn" || !bool(a.Custom) {
		t.Fatalf("create attribute: %+v %v", a, err)
	}
	if _, err := c.CreateDataAttribute(ctx, "contact", "ssn", "string", ""); !errors.Is(err, intercom.ErrValidation) {
		t.Errorf("duplicate attribute: %v", err)
	}
	attrs, err := c.ListDataAttributes(ctx, "contact")
	if err != nil || !slices.ContainsFunc(attrs, func(a intercom.DataAttribute) bool { return a.Name == "ssn" }) {
		t.Fatalf("list attributes: %v %v", attrs, err)
	}
	ct, err := c.CreateContact(ctx, intercom.ContactFields{Email: intercom.Str("ann@example.com"), Name: intercom.Str("Ann Example"),
		ExternalID: intercom.Str("ann-1"), CustomAttributes: map[string]any{"ssn": "078-05-1120"}})
	if err != nil || ct.ID == "" || ct.Role != "user" || ct.CustomAttributes["ssn"] != "078-05-1120" {
		t.Fatalf("create: %+v %v", ct, err)
	}
	if _, err := c.CreateContact(ctx, intercom.ContactFields{Email: intercom.Str("ann@example.com")}); !errors.Is(err, intercom.ErrConflict) {
		t.Errorf("duplicate user: %v", err)
	}
	lead, err := c.CreateContact(ctx, intercom.ContactFields{Role: intercom.Str("lead"), Email: intercom.Str("ann@example.com")})
	if err != nil || lead.Role != "lead" {
		t.Fatalf("lead sharing the email: %+v %v", lead, err)
	}

	// Correction, restriction, opt-out: the calls #12 builds on.
	yes := true
	up, err := c.UpdateContact(ctx, string(ct.ID), intercom.ContactFields{Name: intercom.Str("Ann Corrected"), Phone: intercom.Str(""),
		UnsubscribedFromEmails: &yes, CustomAttributes: map[string]any{"ssn": nil}})
	if err != nil || up.Name != "Ann Corrected" || !bool(up.UnsubscribedFromEmails) || up.CustomAttributes["ssn"] != nil {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := c.UpdateContact(ctx, "nobody", intercom.ContactFields{Name: intercom.Str("x")}); !errors.Is(err, intercom.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
	if _, err := c.UpdateContact(ctx, string(ct.ID), intercom.ContactFields{}); !errors.Is(err, intercom.ErrValidation) {
		t.Errorf("empty update: %v", err)
	}
	tagID := s.Workspace().Tags()[0].ID
	tag, err := c.TagContact(ctx, string(ct.ID), tagID)
	if err != nil || string(tag.ID) != tagID {
		t.Fatalf("tag: %+v %v", tag, err)
	}
	if _, err := c.TagContact(ctx, string(ct.ID), "no-such-tag"); !errors.Is(err, intercom.ErrNotFound) {
		t.Errorf("unknown tag: %v", err)
	}
	for range 2 { // removing twice changes nothing the second time
		if un, err := c.UntagContact(ctx, string(ct.ID), tagID); err != nil || string(un.ID) != tagID {
			t.Fatalf("untag: %+v %v", un, err)
		}
	}
	if got, err := c.ContactTags(ctx, string(ct.ID)); err != nil || len(got) != 0 {
		t.Errorf("tags after untagging: %+v %v", got, err)
	}
	if n := s.Stats().Effect(sandbox.EffectContactUntagged, string(ct.ID)+"/"+tagID); n != 1 {
		t.Errorf("untagged %d times, want 1", n)
	}
	if _, err := c.UntagContact(ctx, string(ct.ID), "no-such-tag"); !errors.Is(err, intercom.ErrNotFound) {
		t.Errorf("untag an unknown tag: %v", err)
	}
	if _, err := c.TagContact(ctx, string(ct.ID), tagID); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SetContactSubscription(ctx, string(ct.ID), "37846", intercom.ConsentOptOut)
	if err != nil || sub.ConsentType != intercom.ConsentOptOut {
		t.Fatalf("subscription: %+v %v", sub, err)
	}
	subs, err := c.ContactSubscriptions(ctx, string(ct.ID))
	if err != nil || len(subs) != 1 || subs[0].ConsentType != intercom.ConsentOptOut {
		t.Errorf("subscriptions after opt-out: %+v %v", subs, err)
	}
	if _, err := c.SetContactSubscription(ctx, string(ct.ID), "37846", "maybe"); !errors.Is(err, intercom.ErrValidation) {
		t.Errorf("bad consent: %v", err)
	}
	n, err := c.CreateNote(ctx, string(ct.ID), "Asked for a correction of their name", intercom.NoteOptions{})
	if err != nil || n.ID == "" || n.Contact == nil || string(n.Contact.ID) != string(ct.ID) {
		t.Fatalf("note: %+v %v", n, err)
	}
	var notes []string
	for nn, err := range c.ContactNotes(ctx, string(ct.ID), intercom.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		notes = append(notes, string(nn.ID))
	}
	if !slices.Equal(notes, []string{string(n.ID)}) {
		t.Errorf("notes %v", notes)
	}

	got, _ := s.Workspace().Contact(string(ct.ID))
	if got.Name != "Ann Corrected" || got.Phone != "" || !got.UnsubscribedFromEmails || got.CustomAttributes["ssn"] != "" || !slices.Contains(got.TagIDs, tagID) {
		t.Errorf("stored %+v", got)
	}
	st := s.Stats()
	if st.Effect(sandbox.EffectContactCreated, string(ct.ID)) != 1 || st.Effect(sandbox.EffectContactUpdated, string(ct.ID)) != 1 ||
		st.Effect(sandbox.EffectContactTagged, string(ct.ID)+"/"+tagID) != 2 || st.Effect(sandbox.EffectNoteCreated, string(n.ID)) != 1 {
		t.Errorf("effects %v", st.Effects)
	}
}

// TestNotesWalkAgainstSandbox walks a contact's notes page by page through the
// client (the sandbox answers next: null, as the description does).
func TestNotesWalkAgainstSandbox(t *testing.T) {
	s, c := startSandbox(t, sandbox.Options{Seed: 42, Contacts: 20, RateLimit: -1}, nil)
	p := s.AddPerson(sandbox.PersonSpec{Users: 1, Notes: 7})
	var got []string
	for n, err := range c.ContactNotes(context.Background(), p.LiveContactIDs[0], intercom.ListOptions{PerPage: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(n.ID))
	}
	if !slices.Equal(sorted(got), sorted(p.NoteIDs)) {
		t.Errorf("walked %v, want %v", got, p.NoteIDs)
	}
	if calls := s.Stats().Endpoints["GET /contacts/{id}/notes"].Calls; calls != 4 {
		t.Errorf("%d requests for 7 notes at 2 a page, want 4", calls)
	}
}
