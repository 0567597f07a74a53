package dsar_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func auditCount(t *testing.T, h *harness, action audit.Action, requestID string) int {
	t.Helper()
	n := 0
	for rec, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == string(action) && rec.RequestID == requestID {
			n++
		}
	}
	return n
}

// TestAccessUnarchivesToRead: with access.unarchive_to_read, an access request
// by the id of an archived contact unarchives it, puts its data in the package
// and archives it again, each once and audited; a mistyped id stays "not
// found". Both backends.
func TestAccessUnarchivesToRead(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			h.app.Config.Access.UnarchiveToRead = true
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Archived: 1})
			archived := p.ArchivedIDs[0]
			r, _ := fileAccess(t, h, dsar.Identifiers{ContactIDs: []string{archived, "000000000000000000000000"}})
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			st := h.sb.Stats()
			if st.Effects[sandbox.EffectContactUnarchived][archived] != 1 || st.Effects[sandbox.EffectContactArchived][archived] != 1 {
				t.Fatalf("unarchived %d, archived %d time(s)", st.Effects[sandbox.EffectContactUnarchived][archived], st.Effects[sandbox.EffectContactArchived][archived])
			}
			if c, ok := h.sb.Workspace().Contact(archived); !ok || !c.Archived {
				t.Fatal("the contact is not archived again")
			}
			var pkg bytes.Buffer
			if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &pkg); err != nil {
				t.Fatal(err)
			}
			u := unpack(t, pkg.Bytes())
			var status map[string]string = map[string]string{}
			for _, c := range u.data.Contacts {
				status[c.ID] = c.Status
			}
			if status[archived] != "archived" || status["000000000000000000000000"] != "not_found_or_archived" {
				t.Fatalf("package statuses %v", status)
			}
			if _, ok := u.contains(p.Email); !ok {
				t.Fatal("the archived contact's data is not in the package")
			}
			if !slices.ContainsFunc(u.data.Notices, func(n accesspkg.Notice) bool { return n.Code == dsar.NoticeArchivedRead.Code }) {
				t.Errorf("the package does not tell the person: %+v", u.data.Notices)
			}
			if auditCount(t, h, audit.ActionAccessContactUnarchived, r.ID) != 1 || auditCount(t, h, audit.ActionAccessContactRearchived, r.ID) != 1 {
				t.Fatal("unarchive and archive not audited once each")
			}
			got, _ := h.app.DSAR.Get(ctx, r.ID)
			if o := outcome(t, got); o.Result != "completed" || o.Counts["contacts_found"] != 1 {
				t.Fatalf("outcome %+v", o)
			}
		})
	}
}

// TestAccessUnarchiveDenied: a request that unarchived a contact and then
// failed (no controller configured) and was denied archives the contact back
// on its next Run, once.
func TestAccessUnarchiveDenied(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Access.UnarchiveToRead = true
	ctrl := h.app.Config.Access.Controller
	h.app.Config.Access.Controller = ""
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Archived: 1})
	archived := p.ArchivedIDs[0]
	r, _ := fileAccess(t, h, dsar.Identifiers{ContactIDs: []string{archived}})
	if err := h.app.DSAR.Run(ctx, r.ID); err == nil {
		t.Fatal("a package was built without a controller")
	}
	if c, _ := h.sb.Workspace().Contact(archived); c.Archived {
		t.Fatal("the contact was not unarchived before the package failed")
	}
	if _, err := h.app.DSAR.Deny(ctx, r.ID, "GDPR Art. 12(5) manifestly unfounded"); err != nil {
		t.Fatal(err)
	}
	h.app.Config.Access.Controller = ctrl
	for range 2 {
		if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := h.sb.Workspace().Contact(archived); !c.Archived {
		t.Fatal("the contact of a denied request stays unarchived")
	}
	if n := h.sb.Stats().Effects[sandbox.EffectContactArchived][archived]; n != 1 {
		t.Fatalf("archived %d time(s)", n)
	}
	if got, _ := h.app.DSAR.Get(ctx, r.ID); got.State != store.StateDenied {
		t.Fatalf("state %s", got.State)
	}
}
