package scan_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// reply posts a customer's reply to the sandbox, as the Messenger would.
func reply(t *testing.T, w *apptest.Workspace, convID, contactID, body string, urls ...string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"message_type": "comment", "type": "user", "intercom_user_id": contactID, "body": body, "attachment_urls": urls})
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/conversations/"+convID+"/reply", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+w.Sandbox.Token())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reply: %s", resp.Status)
	}
}

// Attachments: a message with files only is counted and reported (its file
// names scanned, the files not); a card number in a file name is a finding of
// field attachment_name, and redacting that part removes the files with it.
// Tickets: every ticket's attributes are scanned (text values, file names),
// recorded as "ticket:<id>", reported, never sent for redaction, and skipped
// by the next run while unchanged.
func TestTicketsAndAttachments(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := apptest.New(t, b, apptest.Options{Sandbox: sandbox.Options{Contacts: 30, Seed: 5}})
			a := w.Open("cli")
			conv := w.Sandbox.Workspace().Conversations()[0]
			customer := conv.ContactIDs[0]
			reply(t, w, conv.ID, customer, "", "https://files.example.test/u/screenshot.png")
			reply(t, w, conv.ID, customer, "here is the photo you asked for", "https://files.example.test/u/card-4539148803436467.jpg")
			conv, _ = w.Sandbox.Workspace().Conversation(conv.ID)
			onlyFiles, named := conv.Parts[len(conv.Parts)-2], conv.Parts[len(conv.Parts)-1]

			res, err := scanner(a).Run(bg, scan.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.AttachmentOnly != 1 {
				t.Errorf("attachment-only parts: %d, want 1", res.AttachmentOnly)
			}
			sc := scans(t, a)
			fs, err := sc.ScanFindings(bg, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			var inName bool
			for _, f := range fs {
				if f.PartID == onlyFiles.ID {
					t.Errorf("a finding in a part with a plain file name: %+v", f)
				}
				if f.PartID == named.ID && f.Type == "CARD" && f.Field == "attachment_name" && f.AuthorRole == scan.RoleCustomer {
					inName = true
				}
			}
			if !inName {
				t.Errorf("no card finding in the attachment name: %+v", fs)
			}

			// Tickets: what the sandbox put in the attributes, against what was found.
			tickets := w.Sandbox.Workspace().Tickets()
			if res.Tickets != int64(len(tickets)) || len(tickets) == 0 {
				t.Fatalf("tickets scanned: %d, want %d", res.Tickets, len(tickets))
			}
			var wantCards, files, withFiles int
			for _, tk := range tickets {
				fs, err := sc.ScanFindings(bg, scan.TicketKeyPrefix+tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]bool{}
				for _, f := range fs {
					if f.PartKind != scan.KindTicketAttribute {
						t.Errorf("ticket %s: finding of kind %s", tk.ID, f.PartKind)
					}
					if f.Type == "CARD" {
						got[f.PartID+"/"+f.Field] = true
					}
				}
				want := map[string]bool{}
				if strings.Contains(tk.Description, "charged my card") {
					want["_default_description_/ticket_attribute"] = true
				}
				if strings.HasPrefix(tk.Attributes["Payment details"].(string), "Card ") {
					want["Payment details/ticket_attribute"] = true
				}
				shots, _ := tk.Attributes["Screenshots"].([]any)
				for _, f := range shots {
					if strings.HasPrefix(f.(sandbox.File).Name, "card ") {
						want["Screenshots/attachment_name"] = true
					}
				}
				files += len(shots)
				if len(shots) > 0 {
					withFiles++ // an attribute of files only: their names are scanned
				}
				if len(got) != len(want) {
					t.Errorf("ticket %s: card findings in %v, want %v", tk.ID, got, want)
				}
				for k := range want {
					if !got[k] {
						t.Errorf("ticket %s: no card finding in %s", tk.ID, k)
					}
				}
				wantCards += len(want)
			}
			if wantCards == 0 || files == 0 {
				t.Fatalf("the sandbox's tickets hold no card number (%d) or no file (%d)", wantCards, files)
			}
			cov, err := sc.ScanCoverage(bg)
			if err != nil || cov.Tickets != int64(len(tickets)) || cov.TicketAttributeFindings == 0 || cov.AttachmentOnly != int64(1+withFiles) {
				t.Fatalf("coverage: %+v %v", cov, err)
			}
			rep, err := scan.BuildReport(bg, a.Store, scan.ReportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(rep.Notices, "\n")
			if !strings.Contains(joined, "ticket attributes") || !strings.Contains(joined, "attachments only") {
				t.Errorf("report notices: %q", joined)
			}

			// Unchanged tickets are skipped by the next run.
			again, err := scanner(a).Run(bg, scan.ScanOptions{})
			if err != nil || again.Tickets != 0 {
				t.Fatalf("second run: %+v %v", again, err)
			}

			// Redaction: ticket attributes are never sent; the named file's part is,
			// and its files go with it.
			rr, err := redactor(a).Run(bg, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range rr.Planned {
				if x.PartKind == scan.KindTicketAttribute || strings.HasPrefix(x.ConversationID, scan.TicketKeyPrefix) {
					t.Errorf("a ticket attribute was sent for redaction: %+v", x)
				}
			}
			if n := w.Sandbox.Stats().Effect(sandbox.EffectPartRedacted, conv.ID+"/part:"+named.ID); n != 1 {
				t.Errorf("the part with the card in its file name was redacted %d times", n)
			}
			after, _ := w.Sandbox.Workspace().Conversation(conv.ID)
			for _, p := range after.Parts {
				if p.ID == named.ID && (!p.Redacted || len(p.Attachments) != 0) {
					t.Errorf("redacted part: %+v", p)
				}
			}
			if x, err := sc.GetRedaction(bg, conv.ID, named.ID); err != nil || x.State != store.RedactionDone {
				t.Errorf("redaction of the named file's part: %+v %v", x, err)
			}
		})
	}
}
