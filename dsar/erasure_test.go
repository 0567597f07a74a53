package dsar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// personIdentifiers is how a privacy team files a request for p: the email, and
// the ids of the contacts search cannot find (archived and merged-away ones).
func personIdentifiers(p sandbox.Person) dsar.Identifiers {
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	ids.ContactIDs = append(ids.ContactIDs, p.ArchivedIDs...)
	ids.ContactIDs = append(ids.ContactIDs, p.MergedIDs...)
	return ids
}

// cached is what seedCache wrote for a person: the ciphertext of the email of one
// cached contact and how to open it.
type cached struct {
	keyID, row string
	ct         []byte
}

// seedCache puts a cached copy of each live contact of p in the local store, as the
// sync does: the email encrypted under a per-person key, with its blind index.
func seedCache(t *testing.T, h *harness, p sandbox.Person) cached {
	t.Helper()
	ctx := context.Background()
	v := h.app.Vault
	keyID, err := v.SubjectRef(vault.KindEmail, p.Email)
	if err != nil {
		t.Fatal(err)
	}
	keyID = "person:" + keyID
	idx, err := v.BlindIndex(vault.KindEmail, p.Email)
	if err != nil {
		t.Fatal(err)
	}
	var out cached
	for _, id := range p.LiveContactIDs {
		aad := vault.AAD{Table: "cached_contacts", Column: "email", Row: id}
		ct, err := v.Encrypt(ctx, keyID, aad, []byte(p.Email))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.app.Store.UpsertContact(ctx, store.CachedContact{IntercomID: id, PersonKeyID: keyID, Role: "user", EmailEnc: ct, EmailIdx: idx}); err != nil {
			t.Fatal(err)
		}
		out = cached{keyID: keyID, row: id, ct: ct}
	}
	return out
}

// file submits and verifies a request.
func file(t *testing.T, h *harness, typ store.RequestType, ids dsar.Identifiers) store.Request {
	t.Helper()
	ctx := context.Background()
	r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: typ, Jurisdiction: deadline.GDPR, Channel: "email", Identifiers: ids})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = h.app.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkErased asserts that nothing of p is left in the sandbox or the store, and
// that every effect happened at most once.
func checkErased(t *testing.T, h *harness, p sandbox.Person, c cached) {
	t.Helper()
	ctx := context.Background()
	ws := h.sb.Workspace()
	for _, id := range p.ContactIDs {
		if _, ok := ws.Contact(id); ok {
			t.Errorf("contact %s still in the workspace", id)
		}
	}
	for _, id := range p.TicketIDs {
		if _, ok := ws.Ticket(id); ok {
			t.Errorf("ticket %s still in the workspace", id)
		}
	}
	for _, id := range p.ConversationIDs {
		if cv, ok := ws.Conversation(id); ok {
			for _, cid := range cv.ContactIDs {
				if slices.Contains(p.ContactIDs, cid) {
					t.Errorf("conversation %s still lists the person's contact %s", id, cid)
				}
			}
		}
	}
	st := h.sb.Stats()
	for _, e := range []sandbox.Effect{sandbox.EffectContactDeleted, sandbox.EffectTicketDeleted, sandbox.EffectConversationDeleted} {
		if rep := st.Repeated(e); len(rep) > 0 {
			t.Errorf("%s happened more than once to %v", e, rep)
		}
	}
	if c.keyID != "" {
		if _, err := h.app.Store.GetContact(ctx, c.row); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cached contact still in the store: %v", err)
		}
		other := h.open("reader") // a fresh process: no key cache
		_, err := other.Vault.Decrypt(ctx, c.keyID, vault.AAD{Table: "cached_contacts", Column: "email", Row: c.row}, c.ct)
		if !errors.Is(err, vault.ErrShredded) {
			t.Errorf("old ciphertext after erasure: %v, want ErrShredded", err)
		}
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindEmail, p.Email)
	if ok, err := h.app.Store.Suppressed(ctx, ref); err != nil || !ok {
		t.Errorf("email not on the suppression list: %v %v", ok, err)
	}
	for _, id := range p.ContactIDs {
		ref, _ := h.app.Vault.BlindIndex(vault.KindContactID, id)
		if ok, _ := h.app.Store.Suppressed(ctx, ref); !ok {
			t.Errorf("contact id %s not on the suppression list", id)
		}
	}
	if rep, err := h.app.VerifyAudit(ctx); err != nil || rep.Unsigned != 0 {
		t.Fatalf("after the run, %d audit records are unsigned (each step signs its records when it commits): %v", rep.Unsigned, err)
	}
	checkAudit(t, h, p)
}

// checkAudit verifies the chain and searches its export for the person's data.
func checkAudit(t *testing.T, h *harness, p sandbox.Person) {
	t.Helper()
	ctx := context.Background()
	rep, err := h.app.VerifyAudit(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("audit verify: %+v %v", rep, err)
	}
	var buf bytes.Buffer
	pub, id := h.app.Vault.AuditPublicKey()
	if err := audit.Export(ctx, h.app.Store, &buf, audit.Keyring{{KeyID: id, Key: pub}}); err != nil {
		t.Fatal(err)
	}
	low := strings.ToLower(buf.String())
	for _, v := range []string{p.Email, p.Name, p.Phone, p.ExternalID} {
		if v != "" && strings.Contains(low, strings.ToLower(v)) {
			t.Errorf("the audit export holds a plaintext identifier of the person")
		}
	}
}

func outcome(t *testing.T, r store.Request) dsar.Outcome {
	t.Helper()
	var o dsar.Outcome
	if err := json.Unmarshal(r.Outcome, &o); err != nil {
		t.Fatalf("outcome %q: %v", r.Outcome, err)
	}
	return o
}

func TestErasureEndToEnd(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			h.app.Config.Erasure.DeleteConversations = true
			ctx := context.Background()
			p := h.sb.SamplePerson()
			c := seedCache(t, h, p)
			r := file(t, h, store.RequestErasure, personIdentifiers(p))
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			r, err := h.app.DSAR.Get(ctx, r.ID)
			if err != nil || r.State != store.StateCompleted || r.CompletedAt.IsZero() {
				t.Fatalf("after run: %s %v", r.State, err)
			}
			o := outcome(t, r)
			if o.Result != "completed" || o.Counts["contacts_deleted"]+o.Counts["contacts_already_gone"] != int64(len(p.ContactIDs)) ||
				o.Counts["tickets_deleted"] != int64(len(p.TicketIDs)) || o.EvidenceSHA256 == "" {
				t.Errorf("outcome %+v for person %d contacts %d tickets", o, len(p.ContactIDs), len(p.TicketIDs))
			}
			t.Logf("outcome %s", r.Outcome)
			checkErased(t, h, p, c)
			// The request's own key is gone: its identifiers can no longer be read.
			if _, err := h.open("reader").DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
				t.Errorf("identifiers after erasure: %v, want ErrShredded", err)
			}
			steps, err := h.app.Store.Steps(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range steps {
				if !strings.HasPrefix(s.Name, "_") {
					if s.State != store.StepDone {
						t.Errorf("step %s is %s", s.Name, s.State)
					}
					names = append(names, s.Name)
				}
				if strings.Contains(strings.ToLower(string(s.Detail)), strings.ToLower(p.Email)) {
					t.Errorf("step %s detail holds the email", s.Name)
				}
			}
			if !slices.Equal(names, dsar.Plan(store.RequestErasure)) {
				t.Errorf("steps %v, want %v", names, dsar.Plan(store.RequestErasure))
			}

			// Idempotency: running again does nothing, sends nothing.
			before := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls })
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			if after := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls }); after != before {
				t.Errorf("a second run of a completed request sent %d requests", after-before)
			}
		})
	}
}

func TestErasureNothingFound(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r := file(t, h, store.RequestErasure, dsar.Identifiers{Emails: []string{"nobody-here@example.org"}})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if r.State != store.StateCompleted || outcome(t, r).Result != "nothing_found" {
		t.Fatalf("state %s outcome %s", r.State, r.Outcome)
	}
	if n := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Status[200] }); n == 0 {
		t.Error("no request reached the sandbox")
	}
	o := outcome(t, r)
	if len(o.Systems) != 0 || o.Searched["email"] != 1 || o.Counts["contacts_found"] != 0 {
		t.Errorf("an erasure that found nothing claims systems %v (searched %v, counts %v)", o.Systems, o.Searched, o.Counts)
	}
	if n := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Status[200] + e.Status[404] }); n == 0 {
		t.Error("nothing was searched")
	}
	for ep, e := range h.sb.Stats().Endpoints {
		if strings.HasPrefix(ep, "DELETE") && e.Calls > 0 {
			t.Errorf("%s sent %d times for nobody", ep, e.Calls)
		}
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindEmail, "nobody-here@example.org")
	if ok, _ := h.app.Store.Suppressed(ctx, ref); ok {
		t.Error("an erasure that found nothing suppressed the identifier although not configured to")
	}

	// Configured to: the identifier is suppressed, and the outcome says so.
	h.app.DSAR.Config.Erasure.SuppressWhenNothingFound = true
	r = file(t, h, store.RequestErasure, dsar.Identifiers{Emails: []string{"nobody-else@example.org"}})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	ref, _ = h.app.Vault.BlindIndex(vault.KindEmail, "nobody-else@example.org")
	if ok, _ := h.app.Store.Suppressed(ctx, ref); !ok {
		t.Error("suppress_when_nothing_found is on but the identifier was not suppressed")
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if o := outcome(t, r); o.Result != "nothing_found" || len(o.Systems) != 0 {
		t.Errorf("outcome %+v", o)
	}
}

// TestContactIDNotFound: a contact id answering 404 is "not found (or
// archived)", never a contact found. An access by such an id finds nothing; an
// erasure by id still sends the DELETE (it works on archived contacts) and
// reports by its answer.
func TestContactIDNotFound(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	typo := "000000000000000000000000"

	r := file(t, h, store.RequestAccess, dsar.Identifiers{ContactIDs: []string{typo}})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	o := outcome(t, r)
	if o.Result != "nothing_found" || o.Counts["contacts_found"] != 0 || o.Counts["contact_ids_not_found_or_archived"] != 1 {
		t.Errorf("access by a typo id: %+v", o)
	}
	if !slices.ContainsFunc(o.Notices, func(n dsar.Notice) bool { return n.Code == dsar.NoticeContactIDNotFound.Code }) {
		t.Errorf("notices %+v", o.Notices)
	}
	var buf bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &buf); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, buf.Bytes())
	if len(u.data.Contacts) != 1 || u.data.Contacts[0].Status != "not_found_or_archived" {
		t.Errorf("package contacts %+v", u.data.Contacts)
	}
	if !strings.Contains(string(u.files["report.html"]), "Nothing found") {
		t.Error("the report does not say nothing was found")
	}

	// Erasure by a typo id (another one: an erasure by the same id would rightly
	// shred the access request above): the DELETE is sent, answers 404, nothing
	// found.
	r = file(t, h, store.RequestErasure, dsar.Identifiers{ContactIDs: []string{"000000000000000000000001"}})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if n := h.sb.Stats().Endpoints["DELETE /contacts/{id}"].Calls; n != 1 {
		t.Errorf("%d DELETE(s) for the id given", n)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if o := outcome(t, r); o.Result != "nothing_found" || len(o.Systems) != 0 || o.Counts["contact_ids_not_found"] != 1 || o.Counts["contacts_already_gone"] != 0 {
		t.Errorf("erasure by a typo id: %+v", o)
	}

	// Erasure by the id of an archived contact: the DELETE succeeds: found and erased.
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Archived: 1})
	r = file(t, h, store.RequestErasure, dsar.Identifiers{ContactIDs: p.ArchivedIDs})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if o := outcome(t, r); o.Result != "completed" || !slices.Contains(o.Systems, "intercom") || o.Counts["contacts_deleted"] != 1 {
		t.Errorf("erasure by an archived id: %+v", o)
	}
}

func TestRunRefusesUnverified(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Identifiers: dsar.Identifiers{Emails: []string{"a@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.app.DSAR.Run(ctx, r.ID); !errors.Is(err, dsar.ErrNotVerified) {
		t.Fatalf("run of a received request: %v", err)
	}
	if n := h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls }); n != 0 {
		t.Errorf("an unverified request sent %d requests to Intercom", n)
	}
}

func TestAccessRunBuildsPackage(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := runAccess(t, h, p)
	if r.State != store.StateCompleted {
		t.Fatalf("state %s", r.State)
	}
	var buf bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &buf); err != nil || buf.Len() == 0 {
		t.Fatalf("package: %d bytes, %v", buf.Len(), err)
	}
	if st := h.sb.Stats(); len(st.Effects) != 0 {
		t.Errorf("an access request changed the workspace: %v", st.Effects)
	}
	// The identifiers stay readable: an access request keeps its key.
	if _, err := h.app.DSAR.Identifiers(ctx, r); err != nil {
		t.Errorf("identifiers after access: %v", err)
	}
	checkAudit(t, h, p)
}

func TestAccessAndErasureTogether(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	c := seedCache(t, h, p)
	// An earlier access request of the same person: its package goes with the erasure.
	earlier := file(t, h, store.RequestAccess, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, earlier.ID); err != nil {
		t.Fatal(err)
	}
	earlierBlob := packageBlobOf(t, h, earlier.ID)
	r := file(t, h, store.RequestAccessErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if r.State != store.StateCompleted {
		t.Fatalf("state %s", r.State)
	}
	all, _ := h.app.Store.Steps(ctx, r.ID)
	var steps []string
	for _, s := range all {
		if !strings.HasPrefix(s.Name, "_") {
			steps = append(steps, s.Name)
		}
	}
	if !slices.Equal(steps, dsar.Plan(store.RequestAccessErasure)) || steps[1] != dsar.StepPackage {
		t.Fatalf("steps %v: the package must be built right after resolve, before any deletion", steps)
	}
	checkErased(t, h, p, c)
	// The identifiers the request was filed with are shredded when it completes
	// (a fresh process: no key cache), while the person's copy survives the
	// erasure, verified against its manifest, until it expires.
	reader := h.open("reader")
	if _, err := reader.DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
		t.Errorf("identifiers of the completed access+erasure: %v, want ErrShredded", err)
	}
	var buf bytes.Buffer
	info, err := reader.DSAR.WritePackage(ctx, r.ID, &buf)
	if err != nil {
		t.Fatalf("package of access+erasure after the erasure: %v", err)
	}
	if _, err := accesspkg.Verify(buf.Bytes()); err != nil || int64(buf.Len()) != info.Size {
		t.Errorf("package written after the erasure does not verify: %v (%d bytes, info %d)", err, buf.Len(), info.Size)
	}
	blob := packageBlobOf(t, h, r.ID)
	if !strings.HasPrefix(blob.PersonKeyID, "package:") {
		t.Errorf("package stored under key %q, want a key of its own", blob.PersonKeyID)
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); err != nil {
		t.Errorf("the package's key after the erasure: %v", err)
	}
	o := outcome(t, r)
	if !slices.ContainsFunc(o.Notices, func(n dsar.Notice) bool { return n.Code == dsar.NoticePackageKept.Code }) {
		t.Errorf("outcome does not say the package stays until it expires: %+v", o.Notices)
	}
	if slices.ContainsFunc(o.Notices, func(n dsar.Notice) bool { return n.Code == dsar.NoticeRequestKeyKept.Code }) {
		t.Errorf("outcome says the request key was kept: %+v", o.Notices)
	}
	// The earlier request's package, its key and its identifiers are gone; its
	// record stays.
	if _, err := h.app.DSAR.WritePackage(ctx, earlier.ID, &buf); !errors.Is(err, dsar.ErrNoPackage) {
		t.Errorf("earlier package after erasure: %v", err)
	}
	if _, err := h.app.Store.LoadPersonKey(ctx, earlierBlob.PersonKeyID); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("earlier package's key after erasure: %v, want ErrNotFound", err)
	}
	earlier, _ = h.app.DSAR.Get(ctx, earlier.ID)
	if _, err := reader.DSAR.Identifiers(ctx, earlier); !errors.Is(err, vault.ErrShredded) {
		t.Errorf("earlier request's identifiers after erasure: %v", err)
	}
}

// packageBlobOf returns the access package blob of a request.
func packageBlobOf(t *testing.T, h *harness, requestID string) store.Blob {
	t.Helper()
	bs, err := h.app.Store.BlobsByRequest(context.Background(), requestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Kind == store.BlobAccessPackage {
			return b
		}
	}
	t.Fatalf("request %s has no package blob", requestID)
	return store.Blob{}
}

func TestShredAfterPackageExpires(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.SamplePerson()
			r := file(t, h, store.RequestAccessErasure, personIdentifiers(p))
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			blob := packageBlobOf(t, h, r.ID)
			if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res != (dsar.ShredResult{}) {
				t.Fatalf("shred before the package expired: %+v %v", res, err)
			}
			var buf bytes.Buffer
			if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &buf); err != nil {
				t.Fatalf("package before expiry: %v", err)
			}
			later := time.Now().Add(dsar.DefaultPackageTTL + time.Hour)
			h.app.DSAR.Now = func() time.Time { return later }
			res, err := h.app.DSAR.ShredExpiredPackages(ctx)
			if err != nil || res != (dsar.ShredResult{PackagesDeleted: 1, PackageKeysDestroyed: 1}) {
				t.Fatalf("shred after expiry: %+v %v", res, err)
			}
			if res, err := h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.Total() != 0 {
				t.Fatalf("second shred: %+v %v", res, err)
			}
			if _, err := h.app.Store.LoadPersonKey(ctx, blob.PersonKeyID); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("package key after expiry: %v, want ErrNotFound", err)
			}
			if _, err := h.app.Store.GetBlob(ctx, blob.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("package blob after expiry: %v, want ErrNotFound", err)
			}
			r, _ = h.app.DSAR.Get(ctx, r.ID)
			if _, err := h.open("reader").DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
				t.Errorf("identifiers after the shred: %v", err)
			}
			if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &buf); !errors.Is(err, dsar.ErrNoPackage) {
				t.Errorf("package after the shred: %v", err)
			}
			expired := 0
			for rec, err := range h.app.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action != string(audit.ActionAccessPackageExpired) {
					continue
				}
				d, err := audit.DecodeBody(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				if d.RequestID == r.ID && d.SubjectRef == r.SubjectRef && slices.Equal(d.ObjectIDs, []string{blob.ID}) &&
					d.Counts["packages_deleted"] == 1 && d.Counts["package_keys_destroyed"] == 1 {
					expired++
				}
			}
			if expired != 1 {
				t.Errorf("%d access.package_expired records for the package, want 1", expired)
			}
			checkAudit(t, h, p)
		})
	}
}

func TestVerifyDeletesContactCreatedDuringErasure(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.SamplePerson()
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	var late sandbox.Person
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteContacts && pr.State == "done" {
			// The person writes in again while the erasure runs: a new lead.
			late = h.sb.AddPerson(sandbox.PersonSpec{Email: p.Email, Leads: 1})
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(late.ContactIDs) != 1 {
		t.Fatalf("late person %+v", late)
	}
	id := late.ContactIDs[0]
	if n := h.sb.Stats().Effect(sandbox.EffectContactDeleted, id); n != 1 {
		t.Errorf("contact created during the erasure deleted %d times", n)
	}
	ref, _ := h.app.Vault.BlindIndex(vault.KindContactID, id)
	if ok, _ := h.app.Store.Suppressed(ctx, ref); !ok {
		t.Error("late contact not suppressed")
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if o := outcome(t, r); o.Counts["late_contacts_deleted"] != 1 || r.State != store.StateCompleted {
		t.Errorf("state %s outcome counts %v", r.State, o.Counts)
	}
	checkErased(t, h, p, cached{})
}

func TestAccessRunNothingFound(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r := file(t, h, store.RequestAccess, dsar.Identifiers{Emails: []string{"unknown-person@example.net"}, Phones: []string{"+1 202 555 0100"}})
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if o := outcome(t, r); r.State != store.StateCompleted || o.Result != "nothing_found" {
		t.Fatalf("state %s outcome %+v", r.State, o)
	}
	completed := 0
	for rec, err := range h.app.Store.Records(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == string(audit.ActionRequestCompleted) && rec.RequestID == r.ID {
			completed++
			if !strings.Contains(string(rec.Body), "noop") || !strings.Contains(string(rec.Body), "no personal data found") {
				t.Errorf("completion record does not say nothing was found")
			}
		}
	}
	if completed != 1 {
		t.Errorf("%d completion records", completed)
	}
}

func TestErasureHundredsOfContacts(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 150, Leads: 150, Archived: 10, Merged: 10, Tickets: 5, Conversations: 20})
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	o := outcome(t, r)
	if r.State != store.StateCompleted || o.Counts["contacts_deleted"] != int64(len(p.ContactIDs)) {
		t.Fatalf("state %s: %d of %d contacts deleted", r.State, o.Counts["contacts_deleted"], len(p.ContactIDs))
	}
	checkErased(t, h, p, cached{})
	for _, id := range p.ContactIDs {
		if n := h.sb.Stats().Effect(sandbox.EffectContactDeleted, id); n != 1 {
			t.Fatalf("contact %s deleted %d times", id, n)
		}
	}
}
