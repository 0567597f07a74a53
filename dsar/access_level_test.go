package dsar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// buildAt files an access request under j, verifies it by method, builds its
// package and reads it back.
func buildAt(t *testing.T, h *harness, ids dsar.Identifiers, j deadline.Jurisdiction, method string) (store.Request, unpacked, dsar.PackageInfo) {
	t.Helper()
	ctx := context.Background()
	svc := h.app.DSAR
	r, err := svc.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: j, Channel: "email", Identifiers: ids})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.Verify(ctx, r.ID, method); err != nil {
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
	info, err := svc.BuildPackage(ctx, r, ids, res)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := svc.WritePackage(ctx, r.ID, &out); err != nil {
		t.Fatal(err)
	}
	return r, unpack(t, out.Bytes()), info
}

// personValues returns every string value of the person's data in a full
// package: identifiers, contacts (profiles, attached objects, messages) and
// the local store, down to the leaves.
func personValues(t *testing.T, u unpacked) []string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(u.files["data.json"], &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			// Single words ("user", "archived", "contact_id") are field
			// vocabulary, not the person's data (the name, e-mail address and
			// ids are checked on their own).
			if len(x) >= 8 && !vocabulary.MatchString(x) {
				seen[x] = true
			}
		}
	}
	for _, k := range []string{"identifiers", "contacts", "local_store"} {
		walk(doc[k])
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

var vocabulary = regexp.MustCompile(`^[A-Za-z_]+$`)

func TestAccessVerificationLevel(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			p := h.sb.AddPerson(accessPerson)
			seedLocal(t, h, p, "conv_cached_1")
			ids := accessIDs(p)

			// A reasonably high degree under CCPA: the full copy.
			high, full, _ := buildAt(t, h, ids, deadline.CCPA, "phone call back to the number on the contact")
			if high.VerificationLevel != store.VerificationHigh {
				t.Fatalf("level %q", high.VerificationLevel)
			}
			if full.data.CategoriesOnly != nil || len(full.data.Contacts) == 0 || full.notice(dsar.NoticeCategoriesOnly) {
				t.Fatalf("a high-level CCPA request got %d contacts, categories_only %v", len(full.data.Contacts), full.data.CategoriesOnly)
			}
			values := personValues(t, full)
			for _, v := range []string{p.Email, p.Name, p.LiveContactIDs[0]} {
				if _, ok := full.contains(v); !ok {
					t.Errorf("the full package lacks %q: the check below would prove nothing", v)
				}
			}
			if len(values) < 50 {
				t.Fatalf("only %d values in the full package", len(values))
			}

			// A reasonable degree only (the e-mail link) under CCPA: the
			// categories, not one value.
			low, cat, info := buildAt(t, h, ids, deadline.CCPA, dsar.MethodEmailLink)
			if low.VerificationLevel != store.VerificationLow {
				t.Fatalf("level %q", low.VerificationLevel)
			}
			got, err := h.app.Store.GetRequest(context.Background(), low.ID)
			if err != nil || got.VerificationLevel != store.VerificationLow {
				t.Fatalf("stored level %q (%v)", got.VerificationLevel, err)
			}
			if len(cat.files) < 4 {
				t.Fatalf("files %v", len(cat.files))
			}
			// Its own dates (prepared, received) may fall in the same second as
			// a date of the full package.
			own := map[string]bool{cat.data.GeneratedAt.Format(time.RFC3339): true, cat.data.ReceivedAt.Format(time.RFC3339): true}
			for _, v := range append(values, p.Email, p.Name, p.Phone, p.ExternalID) {
				if v == "" || own[v] {
					continue
				}
				if name, ok := cat.contains(v); ok {
					t.Errorf("the categories-only package holds a value of the person's data (%q) in %s", v, name)
				}
			}
			for _, id := range append(append(append([]string{}, p.ContactIDs...), p.ConversationIDs...), p.TicketIDs...) {
				if name, ok := cat.contains(id); ok {
					t.Errorf("the categories-only package holds the id %s in %s", id, name)
				}
			}
			co := cat.data.CategoriesOnly
			if co == nil || !cat.notice(dsar.NoticeCategoriesOnly) || len(cat.data.Contacts)+len(cat.data.Identifiers) != 0 {
				t.Fatalf("not a categories-only answer: %+v", co)
			}
			held := map[string]int64{}
			for _, c := range co.Held {
				held[c.Code] = c.Records
			}
			if held["identifiers"] != int64(len(full.data.Contacts)) || held["communications"] == 0 || held["notes"] == 0 || held["local_store"] == 0 {
				t.Errorf("categories held %v (the full package has %d contacts)", held, len(full.data.Contacts))
			}
			report := string(cat.files["report.html"])
			for _, want := range []string{"The categories of personal data we hold about you", "second piece of information", "§7024",
				"Why we process your data", "Who receives it", "Where it comes from"} {
				if !strings.Contains(report, want) {
					t.Errorf("report.html does not say %q", want)
				}
			}
			if info.Counts["categories_only"] != 1 {
				t.Errorf("audit counts %v", info.Counts)
			}
			checkSchema(t, cat)
			checkSelfContained(t, cat.files["report.html"])

			// GDPR has no tiering: the e-mail link gets the full copy.
			_, gdpr, _ := buildAt(t, h, ids, deadline.GDPR, dsar.MethodEmailLink)
			if gdpr.data.CategoriesOnly != nil || len(gdpr.data.Contacts) != len(full.data.Contacts) {
				t.Errorf("a low-level GDPR request got %d contacts (want %d), categories_only %v", len(gdpr.data.Contacts), len(full.data.Contacts), gdpr.data.CategoriesOnly)
			}
			if _, ok := gdpr.contains(p.Email); !ok {
				t.Error("the GDPR package lacks the person's e-mail address")
			}
		})
	}
}

func TestLevelOf(t *testing.T) {
	for method, want := range map[string]store.VerificationLevel{
		"email_link": store.VerificationLow, "E-mail link": store.VerificationLow, "web form": store.VerificationLow,
		"e-mail link (web form)": store.VerificationLow, "email code": store.VerificationLow,
		"email_reply plus phone code": store.VerificationHigh, "signed declaration and account id": store.VerificationHigh,
		"verified by operator": store.VerificationHigh,
	} {
		if got := dsar.LevelOf(method); got != want {
			t.Errorf("LevelOf(%q) = %q, want %q", method, got, want)
		}
	}
	for _, bad := range []string{"", "medium", "HIGHER"} {
		if _, err := dsar.ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
}

func TestRaiseVerification(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			svc := h.app.DSAR
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Conversations: 1})
			r, err := svc.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.CCPA, Channel: "web_form",
				Identifiers: dsar.Identifiers{Emails: []string{p.Email}}, VerifiedBy: "email link confirmed", VerificationLevel: store.VerificationLow})
			if err != nil {
				t.Fatal(err)
			}
			if r.State != store.StateVerified || r.VerificationLevel != store.VerificationLow || !dsar.CategoriesOnly(r) {
				t.Fatalf("filed %s at %q", r.State, r.VerificationLevel)
			}
			// The operator checks a second data point by hand.
			up, err := svc.Verify(ctx, r.ID, "phone number on the contact confirmed by reply")
			if err != nil {
				t.Fatal(err)
			}
			if up.State != store.StateVerified || up.VerificationLevel != store.VerificationHigh || dsar.CategoriesOnly(up) {
				t.Fatalf("raised: %s at %q", up.State, up.VerificationLevel)
			}
			// Once high, verifying again is a wrong state, not a silent no-op.
			if _, err := svc.Verify(ctx, r.ID, "again by hand"); !errors.Is(err, dsar.ErrWrongState) {
				t.Errorf("verify again: %v", err)
			}
			if _, err := svc.VerifyAt(ctx, r.ID, "x", "medium"); !errors.Is(err, dsar.ErrInvalidRequest) {
				t.Errorf("level medium: %v", err)
			}
		})
	}
}
