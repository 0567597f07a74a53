package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestIntakeBlock: another intake system hands a request over with the
// channel, the date the person asked and the identity check it made, in an
// "intake" block. The request keeps them, its verification is recorded as
// made by that system (at the level of the method: the e-mail link alone is
// low), and a block that contradicts the top-level fields is refused.
func TestIntakeBlock(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be)
			p := b.ws.Sandbox.SamplePerson()
			r := b.call(officer, "POST", "/api/v1/requests", map[string]any{"type": "access", "jurisdiction": "ccpa",
				"identifiers": map[string]string{"email": p.Email},
				"intake":      map[string]string{"channel": "web_form", "received_at": "2026-06-10", "verified_by": "email_link"}})
			if r.status != 201 {
				t.Fatalf("filing: %d %s", r.status, r.body)
			}
			var v struct {
				ID, State, Channel, VerificationLevel string
				ReceivedAt                            string `json:"received_at"`
				Level                                 string `json:"verification_level"`
			}
			r.decode(t, &v)
			if v.State != "verified" || v.Channel != "web_form" || v.Level != "low" || !strings.HasPrefix(v.ReceivedAt, "2026-06-10") {
				t.Fatalf("request %+v: want verified at the low level, channel web_form, received 2026-06-10", v)
			}
			tl, err := b.app.DSAR.Timeline(context.Background(), v.ID)
			if err != nil {
				t.Fatal(err)
			}
			var reason string
			for _, e := range tl {
				if e.Action == string(audit.ActionRequestVerified) {
					reason = e.Reason
				}
			}
			if !strings.Contains(reason, "email_link") || !strings.Contains(reason, "intake system web_form") {
				t.Fatalf("verification recorded as %q: want the method and the system that checked it", reason)
			}
			// A stated level is kept.
			r = b.call(officer, "POST", "/api/v1/requests", map[string]any{"type": "erasure",
				"identifiers": map[string]string{"email": "other." + p.Email},
				"intake":      map[string]string{"channel": "email", "verified_by": "email_link and account login", "verification_level": "high"}})
			r.decode(t, &v)
			if r.status != 201 || v.Level != "high" || v.Channel != "email" {
				t.Fatalf("stated level: %d %+v", r.status, v)
			}
			for name, body := range map[string]map[string]any{
				"both": {"type": "access", "channel": "email", "identifiers": map[string]string{"email": p.Email},
					"intake": map[string]string{"channel": "zendesk"}},
				"no channel": {"type": "access", "identifiers": map[string]string{"email": p.Email},
					"intake": map[string]string{"verified_by": "email_link"}},
				"level without method": {"type": "access", "identifiers": map[string]string{"email": p.Email},
					"intake": map[string]string{"channel": "zendesk", "verification_level": "high"}},
			} {
				pr := b.problem(b.call(officer, "POST", "/api/v1/requests", body), 422, "invalid")
				if !strings.Contains(pr.Detail, "intake") {
					t.Errorf("%s: %+v, want a problem naming the intake block", name, pr)
				}
			}
		})
	}
}
