package dsar_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// undisclosable are custom attributes whose values a package must never hold.
var undisclosable = map[string]string{
	"password":        "Tr0ub4dor&3-horse",
	"ssn":             "536-22-8726",
	"api_token":       "sk_live_51H8x2KLmN0pQrStUvWxYz0123456789abcdef",
	"security_answer": "Mrs Fluffington the cat",
	"notes_2":         "password: hunter2hunter2", // a name that hides its content
	"tax_ref":         "A-17-XZ",                  // configured as a government id
	"fav_number":      "4111 1111 1111 1111",      // a card number in a harmless-looking attribute
}

// TestAccessWithholdsUndisclosable: government ids, passwords, security answers,
// secrets and card numbers in custom attributes (and in the local copy's webhook
// payloads) are never written into any file of the package; the package says,
// in the jurisdiction's words, that such a value is held and of what kind; an
// attribute the operator allowed is disclosed and the allowance recorded.
func TestAccessWithholdsUndisclosable(t *testing.T) {
	for _, jur := range []deadline.Jurisdiction{deadline.CCPA, deadline.GDPR} {
		t.Run(string(jur), func(t *testing.T) {
			h := newHarness(t, storetest.SQLite(), sandbox.Options{})
			ctx := context.Background()
			cfg := apptest.Config()
			cfg.CustomAttributes = map[string]string{"tax_ref": "government_id"}
			cfg.Disclosure.Allow = map[string]string{"loyalty_pin": "loyalty scheme number printed on the member card, reviewed by the DPO"}
			h.app.DSAR.Config = cfg
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Conversations: 1})
			attrs := map[string]string{"plan": "pro", "loyalty_pin": "8812"}
			for k, v := range undisclosable {
				attrs[k] = v
			}
			if !h.sb.UpdateContact(p.LiveContactIDs[0], attrs) {
				t.Fatal("update contact")
			}
			// The local copy holds a webhook payload with the same attributes.
			key := "person:test"
			payload := `{"type":"contact","custom_attributes":{"ssn":"536-22-8726","plan":"pro"}}`
			ct, err := h.app.Vault.Encrypt(ctx, key, vault.AAD{Table: "webhook_events", Column: "payload", Row: "notif_w1"}, []byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.Store.InsertWebhookEvent(ctx, store.WebhookEvent{NotificationID: "notif_w1", Topic: "contact.user.updated",
				ContactID: p.LiveContactIDs[0], PersonKeyID: key, PayloadEnc: ct}); err != nil {
				t.Fatal(err)
			}

			r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: jur, Channel: "email",
				Identifiers: dsar.Identifiers{Emails: []string{p.Email}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
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
			for name, v := range undisclosable {
				if f, ok := u.contains(v); ok {
					t.Errorf("the value of %s is in %s", name, f)
				}
			}
			for _, v := range []string{"4111111111111111", "536228726", "hunter2"} {
				if f, ok := u.contains(v); ok {
					t.Errorf("a withheld value is in %s", f)
				}
			}
			if _, ok := u.contains("8812"); !ok {
				t.Error("the allowed attribute was not disclosed")
			}
			prov := u.data.Contacts[0].Provided["custom_attributes"].(map[string]any)
			if prov["plan"] != "pro" {
				t.Errorf("an ordinary attribute was withheld: %v", prov["plan"])
			}
			ssn, _ := prov["ssn"].(string)
			if !strings.Contains(ssn, "we hold a US Social Security number") {
				t.Errorf("ssn placeholder: %q", ssn)
			}
			wantLaw := "Art. 5(1)(f)"
			if jur == deadline.CCPA {
				wantLaw = "§7024(d)"
			}
			if !strings.Contains(ssn, wantLaw) {
				t.Errorf("the placeholder does not give the %s basis: %q", jur, ssn)
			}
			basis := map[string]string{}
			for _, w := range u.data.Withheld {
				if w.Where == "profile" {
					basis[w.Attribute] = w.Basis
				}
			}
			want := map[string]string{"password": "attribute_name", "ssn": "attribute_name", "api_token": "attribute_name",
				"security_answer": "attribute_name", "notes_2": "content", "tax_ref": "configured_class", "fav_number": "content"}
			for k, b := range want {
				if basis[k] != b {
					t.Errorf("withheld %s: basis %q, want %q (all: %v)", k, basis[k], b, basis)
				}
			}
			if !slices.ContainsFunc(u.data.Withheld, func(w accesspkg.Withheld) bool { return w.Where == "local_store" && w.Attribute == "ssn" }) {
				t.Errorf("the local copy's webhook payload: %+v", u.data.Withheld)
			}
			if !u.notice(dsar.NoticeWithheld) {
				t.Error("no notice says values were withheld")
			}
			if !strings.Contains(string(u.files["report.html"]), "What we hold but do not show") {
				t.Error("the report does not list what was withheld")
			}
			// The allowance is recorded with the package.
			found := false
			for rec, err := range h.app.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == string(audit.ActionAccessPackageCreated) && rec.RequestID == r.ID &&
					strings.Contains(string(rec.Body), "loyalty_pin: loyalty scheme number") {
					found = true
				}
			}
			if !found {
				t.Error("the operator's allowance is not recorded with the package")
			}
		})
	}
}
