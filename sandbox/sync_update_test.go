package sandbox

import (
	"testing"
	"time"
)

func TestUpdateContact(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s, err := New(Options{Seed: 1, Contacts: 10, ContactsOnly: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var live, archived string
	for _, c := range s.Workspace().Contacts() {
		if c.MergedInto == "" && !c.Archived && live == "" {
			live = c.ID
		}
	}
	p := s.AddPerson(PersonSpec{Users: 1, Archived: 1})
	archived = p.ArchivedIDs[0]
	now = now.Add(time.Hour)
	if !s.UpdateContact(live, map[string]string{"plan": "x"}) {
		t.Fatal("live contact not updated")
	}
	c, _ := s.Workspace().Contact(live)
	if c.UpdatedAt != now.Unix() || c.CustomAttributes["plan"] != "x" {
		t.Fatalf("contact after update: %+v", c)
	}
	if s.UpdateContact(archived, nil) || s.UpdateContact("nope", nil) {
		t.Fatal("archived or unknown contact updated")
	}
}
