package dsar_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// A completed erasure plans a notice for each recipient the registry says is told
// of erasures, in the transaction that completes it; an erasure that found
// nothing, or an access request, plans none.
func TestErasurePlansRecipientNotices(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Notices.Registry = []config.RecipientEntry{
		{Name: "Warehouse", Role: "controller", Notify: config.Notify{Method: "webhook", URL: "https://dw.example.com/n", SecretEnv: "DW", Events: []string{"erasure"}}},
		{Name: "CRM", Role: "processor", Notify: config.Notify{Method: "manual", Events: []string{"erasure", "correction"}}},
		{Name: "Analytics", Role: "third_party", Notify: config.Notify{Method: "manual", Events: []string{"restriction"}}},
	}
	p := h.sb.SamplePerson()
	erase := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, erase.ID); err != nil {
		t.Fatal(err)
	}
	ns, err := h.app.Store.NoticesByRequest(ctx, erase.ID)
	if err != nil || len(ns) != 2 {
		t.Fatalf("notices of the erasure: %+v, %v", ns, err)
	}
	for _, n := range ns {
		if n.Event != "erasure" || (n.Recipient == "Warehouse") != (n.State == store.NoticePending) {
			t.Errorf("notice %+v", n)
		}
	}
	none := file(t, h, store.RequestErasure, dsar.Identifiers{Emails: []string{"nobody-here@example.org"}})
	access := file(t, h, store.RequestAccess, personIdentifiers(h.sb.SamplePerson()))
	for _, r := range []store.Request{none, access} {
		if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if ns, err := h.app.Store.NoticesByRequest(ctx, r.ID); err != nil || len(ns) != 0 {
			t.Errorf("request %s (%s) planned %d notices, %v", r.ID, r.Type, len(ns), err)
		}
	}
}

// An access package names the registry's recipients and the rights and complaint
// route of the request's own law.
func TestAccessPackageSpeaksOfItsLaw(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Access.Controller = "Example Ltd, 1 Example Street"
	h.app.Config.Access.ContactDPO = "dpo@example.com"
	h.app.Config.Recipients = []config.RecipientEntry{
		{Name: "Intercom, Inc.", Role: "processor", Country: "US", Notify: config.Notify{Method: "manual"}},
		{Name: "Warehouse Co", Role: "third_party", Country: "DE", Notify: config.Notify{Method: "manual"}},
	}
	p := h.sb.SamplePerson()
	for _, tc := range []struct {
		j            deadline.Jurisdiction
		want, refuse string
	}{
		{deadline.CCPA, "California Privacy Protection Agency", "Art. 77"},
		{deadline.GDPR, "GDPR Art. 77", "California"},
		{deadline.Virginia, "Virginia Attorney General", "supervisory authority"},
	} {
		r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: tc.j, Channel: "email", Identifiers: personIdentifiers(p)})
		if err != nil {
			t.Fatal(err)
		}
		if r, err = h.app.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
			t.Fatal(err)
		}
		if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := h.app.DSAR.WritePackage(ctx, r.ID, &out); err != nil {
			t.Fatal(err)
		}
		u := unpack(t, out.Bytes())
		supp := string(u.files["supplementary.json"])
		if !strings.Contains(supp, tc.want) || strings.Contains(supp, tc.refuse) {
			t.Errorf("%s: supplementary.json should name %q and not %q:\n%s", tc.j, tc.want, tc.refuse, supp)
		}
		if !strings.Contains(supp, "Warehouse Co") {
			t.Errorf("%s: the registry's recipients are not named", tc.j)
		}
		report := string(u.files["report.html"])
		if !strings.Contains(report, tc.want) || strings.Contains(report, tc.refuse) {
			t.Errorf("%s: report.html should name %q and not %q", tc.j, tc.want, tc.refuse)
		}
		if tc.j != deadline.GDPR && strings.Contains(report, "GDPR Article 15") {
			t.Errorf("%s: report headed with the GDPR", tc.j)
		}
	}
}
