package dsar_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// accessPerson is the subject of the access tests: several users and a lead sharing
// an email, an archived and a merged contact, own and shared conversations, tickets,
// notes, recent and old events.
var accessPerson = sandbox.PersonSpec{
	Users: 2, Leads: 1, Archived: 1, Merged: 1,
	Conversations: 5, PartsPerConversation: 5, SharedConversations: 2,
	Tickets: 3, Notes: 4, Events: 4, OldEvents: 3,
}

// accessIDs files for p by email, plus the ids of the contacts search cannot find.
func accessIDs(p sandbox.Person) dsar.Identifiers {
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	ids.ContactIDs = append(append(ids.ContactIDs, p.ArchivedIDs...), p.MergedIDs...)
	return ids
}

// fileAccess submits and verifies an access request and resolves the person.
func fileAccess(t *testing.T, h *harness, ids dsar.Identifiers) (store.Request, dsar.Resolution) {
	t.Helper()
	ctx := context.Background()
	svc := h.app.DSAR
	r, err := svc.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "email", Identifiers: ids})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.Verify(ctx, r.ID, "email_reply"); err != nil {
		t.Fatal(err)
	}
	norm, err := ids.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Resolve(ctx, norm)
	if err != nil {
		t.Fatal(err)
	}
	return r, res
}

// unpacked is a package zip read back.
type unpacked struct {
	files map[string][]byte
	data  accesspkg.Package
	raw   []byte
}

func unpack(t *testing.T, pkg []byte) unpacked {
	t.Helper()
	if _, err := accesspkg.Verify(pkg); err != nil {
		t.Fatalf("manifest does not verify: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	u := unpacked{files: map[string][]byte{}, raw: pkg}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		u.files[f.Name] = b
	}
	if err := json.Unmarshal(u.files["data.json"], &u.data); err != nil {
		t.Fatalf("data.json: %v", err)
	}
	return u
}

// contains reports whether any file of the package holds v (case-insensitively) and
// names the first.
func (u unpacked) contains(v string) (string, bool) {
	lv := strings.ToLower(v)
	for name, b := range u.files {
		if strings.Contains(strings.ToLower(string(b)), lv) {
			return name, true
		}
	}
	return "", false
}

func (u unpacked) notice(code string) bool {
	return slices.ContainsFunc(u.data.Notices, func(n accesspkg.Notice) bool { return n.Code == code })
}

// seedLocal puts what the local store may hold about p: a cached contact (email and
// name encrypted, with the email's blind index), a cached conversation with a part,
// and a webhook event.
func seedLocal(t *testing.T, h *harness, p sandbox.Person, convID string) {
	t.Helper()
	ctx := context.Background()
	v := h.app.Vault
	ref, err := v.SubjectRef(vault.KindEmail, p.Email)
	if err != nil {
		t.Fatal(err)
	}
	key := "person:" + ref
	enc := func(table, col, row, plain string) []byte {
		ct, err := v.Encrypt(ctx, key, vault.AAD{Table: table, Column: col, Row: row}, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	idx, err := v.BlindIndex(vault.KindEmail, p.Email)
	if err != nil {
		t.Fatal(err)
	}
	id := p.LiveContactIDs[0]
	if err := h.app.Store.UpsertContact(ctx, store.CachedContact{IntercomID: id, PersonKeyID: key, Role: "user",
		EmailEnc: enc("cached_contacts", "email", id, p.Email), EmailIdx: idx,
		NameEnc: enc("contacts", "name", id, p.Name), AttributesEnc: enc("cached_contacts", "attributes", id, `{"plan":"pro"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Store.UpsertConversation(ctx, store.CachedConversation{ID: convID, ContactIDs: []string{id}, PersonKeyID: key,
		SubjectEnc: enc("cached_conversations", "subject", convID, "Cached subject line")}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Store.UpsertPart(ctx, store.CachedPart{ConversationID: convID, PartID: "p1", AuthorType: "user",
		BodyEnc: enc("cached_parts", "body", convID+"/p1", "<p>cached part: write to "+p.Email+" or to stranger.person@elsewhere-mail.org</p>"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Store.InsertWebhookEvent(ctx, store.WebhookEvent{NotificationID: "notif_access_1", Topic: "contact.user.updated", ContactID: id,
		PersonKeyID: key, PayloadEnc: enc("webhook_events", "payload", "notif_access_1", `{"type":"contact","id":"`+id+`"}`)}); err != nil {
		t.Fatal(err)
	}
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

func TestAccessPackage(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.AddPerson(accessPerson)
			ws := h.sb.Workspace()
			seedLocal(t, h, p, "conv_cached_1")
			r, res := fileAccess(t, h, accessIDs(p))

			info, err := h.app.DSAR.BuildPackage(ctx, r, accessIDs(p), res)
			if err != nil {
				t.Fatal(err)
			}
			if info.BlobID == "" || info.Size == 0 || len(info.SHA256) != 64 || info.Files < 10 || info.ExpiresAt.Before(time.Now().Add(6*24*time.Hour)) {
				t.Errorf("package info %+v", info)
			}
			var out bytes.Buffer
			winfo, err := h.app.DSAR.WritePackage(ctx, r.ID, &out)
			if err != nil {
				t.Fatal(err)
			}
			if winfo.SHA256 != info.SHA256 || int64(out.Len()) != info.Size {
				t.Errorf("written package differs from the built one: %+v vs %+v", winfo, info)
			}
			u := unpack(t, out.Bytes())
			for _, name := range []string{"data.json", "data.schema.json", "report.html", "supplementary.json", "manifest.json",
				"contacts.csv", "conversations.csv", "tickets.csv", "notes.csv", "events.csv", "local_store.csv"} {
				if _, ok := u.files[name]; !ok {
					t.Errorf("%s missing from the package", name)
				}
			}

			// Every contact of the person, with its status.
			byID := map[string]accesspkg.Contact{}
			for _, c := range u.data.Contacts {
				byID[c.ID] = c
			}
			for _, id := range p.ContactIDs {
				if _, ok := byID[id]; !ok {
					t.Errorf("contact %s missing", id)
				}
			}
			for _, id := range p.ArchivedIDs {
				if byID[id].Status != "archived" {
					t.Errorf("archived contact %s has status %q", id, byID[id].Status)
				}
			}
			for _, id := range p.MergedIDs {
				if byID[id].Status != "merged" || byID[id].MergedInto == "" {
					t.Errorf("merged contact %s: %+v", id, byID[id])
				}
			}

			// Profile split: what the person gave is provided, location derived,
			// timestamps observed.
			live := byID[p.LiveContactIDs[0]]
			if live.Provided["email"] != p.Email || live.Provided["name"] != p.Name {
				t.Errorf("provided = %v", live.Provided)
			}
			if _, ok := live.Derived["location"]; !ok {
				t.Errorf("location not derived: %v", live.Derived)
			}
			if _, ok := live.Observed["last_seen_at"]; !ok {
				t.Errorf("last_seen_at not observed: %v", live.Observed)
			}

			// Attached objects, compared with the workspace.
			var wantNotes, gotNotes, wantTags, gotTags, gotEvents, gotSummary int
			for _, id := range p.LiveContactIDs {
				c, _ := ws.Contact(id)
				pc := byID[id]
				wantNotes += len(ws.Notes(id))
				gotNotes += len(pc.Notes)
				wantTags += len(c.TagIDs)
				gotTags += len(pc.Tags)
				if len(pc.Segments) != len(c.SegmentIDs) || len(pc.Companies) != len(c.CompanyIDs) || len(pc.Subscriptions) != len(c.Subscriptions) {
					t.Errorf("contact %s: segments %d/%d companies %d/%d subscriptions %d/%d", id, len(pc.Segments), len(c.SegmentIDs),
						len(pc.Companies), len(c.CompanyIDs), len(pc.Subscriptions), len(c.Subscriptions))
				}
				gotEvents += len(pc.Events)
				for _, e := range pc.EventSummary {
					n, _ := e["count"].(float64)
					gotSummary += int(n)
				}
			}
			if gotNotes != wantNotes || wantNotes == 0 || gotTags != wantTags {
				t.Errorf("notes %d want %d; tags %d want %d", gotNotes, wantNotes, gotTags, wantTags)
			}
			if gotEvents != p.RecentEvents || gotSummary != p.Events {
				t.Errorf("events %d want %d (last 90 days); summary counts %d want %d", gotEvents, p.RecentEvents, gotSummary, p.Events)
			}

			// Conversations: exactly those of the workspace that list one of the
			// person's contacts, each with every part.
			want := map[string]sandbox.Conversation{}
			for _, cv := range ws.Conversations() {
				if slices.ContainsFunc(cv.ContactIDs, func(id string) bool { return slices.Contains(p.ContactIDs, id) }) {
					want[cv.ID] = cv
				}
			}
			for _, id := range p.ConversationIDs {
				if _, ok := want[id]; !ok {
					t.Fatalf("the workspace does not list conversation %s under the person", id)
				}
			}
			got := map[string]accesspkg.Conversation{}
			for _, c := range u.data.Contacts {
				for _, cv := range c.Conversations {
					if _, dup := got[cv.ID]; dup {
						t.Errorf("conversation %s appears twice", cv.ID)
					}
					got[cv.ID] = cv
				}
			}
			if len(got) != len(want) {
				t.Errorf("conversations: got %d, want %d", len(got), len(want))
			}
			for id, cv := range want {
				g, ok := got[id]
				if !ok {
					t.Errorf("conversation %s missing", id)
					continue
				}
				if g.PartsIncluded != len(cv.Parts) || len(g.Messages) < len(cv.Parts) {
					t.Errorf("conversation %s: %d parts included, %d messages, want %d parts", id, g.PartsIncluded, len(g.Messages), len(cv.Parts))
				}
			}
			var gotTickets []string
			for _, c := range u.data.Contacts {
				for _, tk := range c.Tickets {
					gotTickets = append(gotTickets, tk["id"].(string))
				}
			}
			slices.Sort(gotTickets)
			wantTickets := slices.Clone(p.TicketIDs)
			slices.Sort(wantTickets)
			if !slices.Equal(gotTickets, wantTickets) {
				t.Errorf("tickets %v, want %v", gotTickets, wantTickets)
			}

			// Third parties: the other customers of shared threads, and every e-mail
			// address in the person's threads that is not the person's, never appear.
			others := map[string]bool{}
			for _, cv := range want {
				for _, cid := range cv.ContactIDs {
					if !slices.Contains(p.ContactIDs, cid) {
						oc, _ := ws.Contact(cid)
						for _, v := range []string{oc.Email, oc.Phone, oc.Name} {
							if v != "" {
								others[v] = true
							}
						}
					}
				}
				for _, part := range cv.Parts {
					for _, e := range emailRE.FindAllString(part.Body, -1) {
						if !strings.EqualFold(e, p.Email) {
							others[e] = true
						}
					}
					if part.Author.Type != "admin" && part.Author.Type != "bot" && !slices.Contains(p.ContactIDs, part.Author.ID) {
						others[part.Author.Name] = true
						others[part.Author.Email] = true
					}
				}
			}
			for _, id := range p.TicketIDs {
				tk, _ := ws.Ticket(id)
				for _, e := range emailRE.FindAllString(tk.Description+tk.Title, -1) {
					if !strings.EqualFold(e, p.Email) {
						others[e] = true
					}
				}
			}
			delete(others, "")
			if len(others) == 0 {
				t.Fatal("the fixture has no third-party data to redact")
			}
			for v := range others {
				if name, ok := u.contains(v); ok {
					t.Errorf("third-party value (len %d) found in %s", len(v), name)
				}
			}
			if _, ok := u.contains("stranger.person@elsewhere-mail.org"); ok {
				t.Error("third-party e-mail of a cached part found in the package")
			}
			// The person's own data stays, in data.json and in the report.
			for _, f := range []string{"data.json", "report.html", "contacts.csv"} {
				if !strings.Contains(strings.ToLower(string(u.files[f])), strings.ToLower(p.Email)) {
					t.Errorf("%s does not hold the person's own e-mail", f)
				}
			}
			// In the threads themselves, the person's own e-mail and phone stay
			// wherever they wrote them, and the teammates' names stay.
			var ownEmail, ownPhone, staff int
			for id, cv := range want {
				var text strings.Builder
				for _, m := range got[id].Messages {
					text.WriteString(m.Text + "\n" + m.Author + "\n")
				}
				for _, part := range append([]sandbox.Part{{Body: cv.Source.Body}}, cv.Parts...) {
					if strings.Contains(strings.ToLower(part.Body), strings.ToLower(p.Email)) {
						ownEmail++
						if !strings.Contains(strings.ToLower(text.String()), strings.ToLower(p.Email)) {
							t.Errorf("conversation %s: the person's own e-mail was redacted", id)
						}
					}
					if strings.Contains(part.Body, p.Phone) {
						ownPhone++
						if !strings.Contains(text.String(), p.Phone) {
							t.Errorf("conversation %s: the person's own phone was redacted", id)
						}
					}
					if part.Author.Type == "admin" && part.Author.Name != "" {
						staff++
						if !strings.Contains(text.String(), part.Author.Name) {
							t.Errorf("conversation %s: a teammate's name is missing", id)
						}
					}
				}
			}
			if ownEmail == 0 || ownPhone == 0 || staff == 0 {
				t.Errorf("fixture: own e-mail in %d parts, own phone in %d, teammate parts %d; the test needs each", ownEmail, ownPhone, staff)
			}
			// A message of another customer keeps its text but not its author.
			sawOther, sawYou := false, false
			for _, cv := range got {
				for _, m := range cv.Messages {
					sawOther = sawOther || (m.AuthorRole == "other" && m.Author == "Another person" && m.Text != "")
					sawYou = sawYou || (m.AuthorRole == "subject" && m.ProvidedBySubject)
				}
			}
			if !sawOther || !sawYou {
				t.Errorf("authors: another person seen %v, the person seen %v", sawOther, sawYou)
			}

			// Local store, decrypted for the package only.
			if len(u.data.Local.Contacts) != 1 || u.data.Local.Contacts[0]["email"] != p.Email || u.data.Local.Contacts[0]["name"] != p.Name {
				t.Errorf("local contacts %v", u.data.Local.Contacts)
			}
			if len(u.data.Local.Conversations) != 1 || u.data.Local.Conversations[0]["subject"] != "Cached subject line" {
				t.Errorf("local conversations %v", u.data.Local.Conversations)
			}
			if len(u.data.Local.WebhookEvents) != 1 || u.data.Local.WebhookEvents[0]["payload"] == nil {
				t.Errorf("local webhook events %v", u.data.Local.WebhookEvents)
			}

			for _, code := range []string{dsar.NoticeEvents90Days, dsar.NoticeThirdPartyRedacted,
				dsar.NoticeArchivedNoProfile, dsar.NoticeMergedContacts} {
				if !u.notice(code) {
					t.Errorf("notice %s missing", code)
				}
			}
			// The limit of Intercom's search is the operator's note (kept in the
			// request's outcome), not the person's.
			if u.notice(dsar.NoticeConversationCut) || u.notice("nothing_found") || u.notice(dsar.NoticeArchivedByID.Code) {
				t.Error("unexpected notice")
			}
			checkSelfContained(t, u.files["report.html"])
			checkSchema(t, u)
			if out := os.Getenv("ACCESS_REPORT_OUT"); out != "" && b.Name == "sqlite" {
				if err := os.WriteFile(out, u.files["report.html"], 0o600); err != nil {
					t.Fatal(err)
				}
			}

			// Idempotent: the second call returns the stored package unchanged.
			again, err := h.app.DSAR.BuildPackage(ctx, r, accessIDs(p), res)
			if err != nil {
				t.Fatal(err)
			}
			if again.BlobID != info.BlobID || again.SHA256 != info.SHA256 {
				t.Errorf("second build %+v, first %+v", again, info)
			}
			blobs, err := h.app.Store.BlobsByRequest(ctx, r.ID)
			if err != nil || len(blobs) != 1 {
				t.Errorf("blobs after two builds: %d %v", len(blobs), err)
			}
			// Stored encrypted: the stored bytes do not hold the person's e-mail.
			rc, err := h.app.Store.OpenBlob(ctx, info.BlobID)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := io.ReadAll(rc)
			rc.Close()
			if bytes.Contains(stored, []byte("PK\x03\x04")) || int64(len(stored)) <= info.Size {
				t.Error("the stored blob looks like the plaintext zip")
			}
			checkAudit(t, h, sandbox.Person{Email: p.Email, Name: p.Name, Phone: p.Phone, ExternalID: p.ExternalID})
			t.Logf("package: %d bytes, %d files, counts %v", info.Size, info.Files, info.Counts)
		})
	}
}

// checkSchema validates data.json against the data.schema.json of the same package.
func checkSchema(t *testing.T, u unpacked) {
	t.Helper()
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(u.files["data.schema.json"]))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("data.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("data.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(u.files["data.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("data.json does not follow data.schema.json: %v", err)
	}
}

// checkSelfContained asserts report.html loads nothing from anywhere.
func checkSelfContained(t *testing.T, report []byte) {
	t.Helper()
	low := strings.ToLower(string(report))
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", " src=", "srcset="} {
		if strings.Contains(low, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(low, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("report.html links outside itself: %q", m[1])
		}
	}
	if !strings.Contains(low, "content-security-policy") {
		t.Error("report.html has no Content-Security-Policy")
	}
}

func TestAccessNothingFound(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{})
	ctx := context.Background()
	ids := dsar.Identifiers{Emails: []string{"nobody.at.all@example.org"}}
	r, res := fileAccess(t, h, ids)
	if len(res.Matches) != 0 {
		t.Fatalf("matches %v", res.ContactIDs())
	}
	info, err := h.app.DSAR.BuildPackage(ctx, r, ids, res)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, out.Bytes())
	if !u.notice("nothing_found") || len(u.data.Contacts) != 0 || info.Counts["contacts"] != 0 {
		t.Errorf("notices %v contacts %d", u.data.Notices, len(u.data.Contacts))
	}
	if !strings.Contains(string(u.files["report.html"]), "No Intercom contact matched") {
		t.Error("the report does not say that nothing was found")
	}
	checkSelfContained(t, u.files["report.html"])
	checkSchema(t, u)
}

func TestAccessLongConversation(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 5})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Conversations: 1, PartsPerConversation: 520})
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	r, res := fileAccess(t, h, ids)
	if _, err := h.app.DSAR.BuildPackage(ctx, r, ids, res); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, out.Bytes())
	if !u.notice(dsar.NoticeConversationCut) {
		t.Errorf("no truncation notice: %v", u.data.Notices)
	}
	cv := u.data.Contacts[0].Conversations[0]
	if cv.PartsTotal != 520 || cv.PartsIncluded != 500 {
		t.Errorf("parts total %d included %d", cv.PartsTotal, cv.PartsIncluded)
	}
	if !strings.Contains(string(u.files["report.html"]), "500 of 520") {
		t.Error("the report does not say the conversation was cut")
	}
}

func TestWritePackageErrors(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 5})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Conversations: 1})
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	r, res := fileAccess(t, h, ids)
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, io.Discard); !errors.Is(err, dsar.ErrNoPackage) {
		t.Errorf("before building: %v, want ErrNoPackage", err)
	}
	if _, err := h.app.DSAR.WritePackage(ctx, "req_nope", io.Discard); !errors.Is(err, dsar.ErrNotFound) {
		t.Errorf("unknown request: %v, want ErrNotFound", err)
	}
	if _, err := h.app.DSAR.BuildPackage(ctx, r, ids, res); err != nil {
		t.Fatal(err)
	}
	later := *h.app.DSAR
	later.Now = func() time.Time { return time.Now().Add(dsar.DefaultPackageTTL + time.Hour) }
	var out bytes.Buffer
	_, err := later.WritePackage(ctx, r.ID, &out)
	if !errors.Is(err, dsar.ErrPackageExpired) || out.Len() != 0 {
		t.Errorf("after expiry: %v (%d bytes written), want ErrPackageExpired", err, out.Len())
	}
	if strings.Contains(err.Error(), p.Email) {
		t.Error("error holds the e-mail")
	}
}

// TestAccessUnderFaults builds a package while the sandbox answers 5xx and drops
// connections: the client retries, and the package is as complete as without faults.
func TestAccessUnderFaults(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 10, ErrorRate: 0.15, DropRate: 0.05})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1, Conversations: 30, SharedConversations: 2, Tickets: 3, Notes: 3, Events: 5})
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	var r store.Request
	var res dsar.Resolution
	for attempt := 0; ; attempt++ { // resolution itself may meet a fault that outlasts the retries
		var err error
		r, err = h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Identifiers: ids})
		if err != nil {
			t.Fatal(err)
		}
		if res, err = h.app.DSAR.Resolve(ctx, ids); err == nil {
			break
		} else if attempt == 5 {
			t.Fatal(err)
		}
	}
	var info dsar.PackageInfo
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if info, err = h.app.DSAR.BuildPackage(ctx, r, ids, res); err == nil {
			break
		}
		t.Logf("attempt %d: %v", attempt, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.Counts["conversations"] != int64(len(p.ConversationIDs)) || info.Counts["tickets"] != int64(len(p.TicketIDs)) {
		t.Errorf("counts %v, want %d conversations and %d tickets", info.Counts, len(p.ConversationIDs), len(p.TicketIDs))
	}
	if st := h.app.Intercom.Stats(); st.Retries == 0 {
		t.Errorf("no retries: the faults did not happen (%+v)", st)
	}
}

// TestAccessCancelled cancels the context while the data is being fetched: the call
// returns the context's error promptly and stores nothing.
func TestAccessCancelled(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 5, Latency: 20 * time.Millisecond})
	p := h.sb.AddPerson(sandbox.PersonSpec{Conversations: 200})
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	r, res := fileAccess(t, h, ids)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.app.DSAR.BuildPackage(ctx, r, ids, res)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %s", d)
	}
	if blobs, err := h.app.Store.BlobsByRequest(context.Background(), r.ID); err != nil || len(blobs) != 0 {
		t.Errorf("%d blobs stored after cancellation (%v)", len(blobs), err)
	}
}

// TestAccessPackageReproducible builds the package twice for the same person at the
// same instant: although the calls complete in a different order each time, data.json
// and report.html are identical but for the request id.
func TestAccessPackageReproducible(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 10})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 2, Leads: 1, Conversations: 40, SharedConversations: 3, Tickets: 4, Notes: 4, Events: 6, OldEvents: 2})
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	at := time.Now().UTC().Truncate(time.Second)
	svc := *h.app.DSAR
	svc.Now = func() time.Time { return at }
	var data, report [2]string
	for i := range 2 {
		r, res := fileAccess(t, h, ids)
		if _, err := svc.BuildPackage(ctx, r, ids, res); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := svc.WritePackage(ctx, r.ID, &out); err != nil {
			t.Fatal(err)
		}
		u := unpack(t, out.Bytes())
		data[i] = strings.ReplaceAll(string(u.files["data.json"]), r.ID, "REQ")
		report[i] = strings.ReplaceAll(string(u.files["report.html"]), r.ID, "REQ")
		data[i] = regexp.MustCompile(`"received_at": "[^"]*"`).ReplaceAllString(data[i], "")
		report[i] = regexp.MustCompile(`received [^·]*·`).ReplaceAllString(report[i], "")
	}
	if data[0] != data[1] {
		t.Error("data.json differs between two builds of the same data")
	}
	if report[0] != report[1] {
		t.Error("report.html differs between two builds of the same data")
	}
	// Each download is in the audit trail.
	var buf bytes.Buffer
	pub, kid := h.app.Vault.AuditPublicKey()
	if err := audit.Export(ctx, h.app.Store, &buf, audit.Keyring{{KeyID: kid, Key: pub}}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), string(audit.ActionAccessPackageDownloaded)); n != 2 {
		t.Errorf("%d download records, want 2", n)
	}
	if n := strings.Count(buf.String(), string(audit.ActionAccessPackageCreated)); n != 2 {
		t.Errorf("%d package records, want 2", n)
	}
}

// TestAccessPackageConcurrentBuilds runs BuildPackage for one request from several
// goroutines at once (two workers that both picked the request): one package is
// stored and audited, and every caller gets it.
func TestAccessPackageConcurrentBuilds(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{Contacts: 5})
			ctx := context.Background()
			p := h.sb.AddPerson(sandbox.PersonSpec{Conversations: 5, Tickets: 1, Notes: 1})
			ids := dsar.Identifiers{Emails: []string{p.Email}}
			r, res := fileAccess(t, h, ids)
			other := h.open("second-worker").DSAR
			const n = 4
			infos := make([]dsar.PackageInfo, n)
			errs := make([]error, n)
			done := make(chan int)
			for i := range n {
				svc := h.app.DSAR
				if i%2 == 1 {
					svc = other
				}
				go func() {
					infos[i], errs[i] = svc.BuildPackage(ctx, r, ids, res)
					done <- i
				}()
			}
			for range n {
				<-done
			}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("build %d: %v", i, errs[i])
				}
				if infos[i].BlobID != infos[0].BlobID || infos[i].SHA256 != infos[0].SHA256 {
					t.Errorf("build %d returned another package: %+v vs %+v", i, infos[i], infos[0])
				}
			}
			blobs, err := h.app.Store.BlobsByRequest(ctx, r.ID)
			if err != nil || len(blobs) != 1 {
				t.Errorf("%d blobs stored (%v), want 1", len(blobs), err)
			}
			var buf bytes.Buffer
			pub, kid := h.app.Vault.AuditPublicKey()
			if err := audit.Export(ctx, h.app.Store, &buf, audit.Keyring{{KeyID: kid, Key: pub}}); err != nil {
				t.Fatal(err)
			}
			if c := strings.Count(buf.String(), string(audit.ActionAccessPackageCreated)); c != 1 {
				t.Errorf("%d package records in the audit trail, want 1", c)
			}
		})
	}
}

// TestAccessIncludesContactSyncCopies runs the real minimal sync (with e-mail, name
// and phone configured to be kept) and checks that the access package holds the
// decrypted local copies of the person's contacts, found by id and by blind index.
func TestAccessIncludesContactSyncCopies(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 10})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1, Conversations: 2})
	syncer := &contactsync.Syncer{Store: h.app.Store, Vault: h.app.Vault, Chain: h.app.Chain, Intercom: h.app.Intercom,
		Config: config.Sync{PII: []string{"email", "name", "phone"}, CustomAttributes: []string{"plan"}}}
	if _, err := syncer.Sync(ctx, contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	r, res := fileAccess(t, h, ids)
	if _, err := h.app.DSAR.BuildPackage(ctx, r, ids, res); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); err != nil {
		t.Fatal(err)
	}
	u := unpack(t, out.Bytes())
	got := map[string]accesspkg.Record{}
	for _, c := range u.data.Local.Contacts {
		got[c["intercom_id"].(string)] = c
	}
	for _, id := range p.LiveContactIDs {
		c, ok := got[id]
		if !ok {
			t.Errorf("synced contact %s not in the package", id)
			continue
		}
		if c["email"] != p.Email || c["name"] != p.Name {
			t.Errorf("synced contact %s not decrypted: %v", id, c)
		}
	}
	if u.notice(dsar.NoticeLocalUnreadable) {
		t.Error("some synced values could not be opened")
	}
}

// TestAccessRefusesAPackageMissingUnwrappableKeys: a person key of a synced copy
// that exists but no longer unwraps (damaged, or wrapped by a key-encryption key the
// keyset lost) is not a destroyed key: the package is not built, and the error
// counts the keys, instead of a package silently lacking the local copy.
func TestAccessRefusesAPackageMissingUnwrappableKeys(t *testing.T) {
	h := newHarness(t, storetest.Backends(t)[0], sandbox.Options{Contacts: 5})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 1})
	syncer := &contactsync.Syncer{Store: h.app.Store, Vault: h.app.Vault, Chain: h.app.Chain, Intercom: h.app.Intercom,
		Config: config.Sync{PII: []string{"email", "name"}}}
	if _, err := syncer.Sync(ctx, contactsync.Options{}); err != nil {
		t.Fatal(err)
	}
	damaged := map[string]bool{}
	for _, id := range p.LiveContactIDs {
		c, err := h.app.Store.GetContact(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if damaged[c.PersonKeyID] {
			continue
		}
		k, err := h.app.Store.LoadPersonKey(ctx, c.PersonKeyID)
		if err != nil {
			t.Fatal(err)
		}
		prev := bytes.Clone(k.Wrapped)
		k.Wrapped[len(k.Wrapped)-1] ^= 1
		if err := h.app.Store.UpdatePersonKey(ctx, k, prev); err != nil {
			t.Fatal(err)
		}
		damaged[c.PersonKeyID] = true
	}
	fresh := h.open("fresh") // no person key cached
	ids := dsar.Identifiers{Emails: []string{p.Email}}
	r, res := fileAccess(t, h, ids)
	_, err := fresh.DSAR.BuildPackage(ctx, r, ids, res)
	var lk *dsar.LocalKeysError
	if !errors.As(err, &lk) || lk.Keys != len(damaged) || !errors.Is(err, vault.ErrKeyUnwrap) {
		t.Fatalf("BuildPackage with %d damaged person key(s): %v, want a *dsar.LocalKeysError counting them", len(damaged), err)
	}
}
