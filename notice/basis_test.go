package notice

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestCorrectionAndRestrictionNotices: a correction and a restriction are sent
// as signed webhooks naming the change and the law that makes them owed.
func TestCorrectionAndRestrictionNotices(t *testing.T) {
	var mu sync.Mutex
	var got []Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !Verify(body, secret, r.Header.Get(SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	f := setup(t, storetest.SQLite())
	f.svc.Registry = []config.RecipientEntry{{Name: "CRM", Role: "processor",
		Notify: config.Notify{Method: "webhook", URL: srv.URL, SecretEnv: "WAREHOUSE_SECRET", Events: []string{EventCorrection, EventRestriction}}}}
	if n := f.plan(t, "req_c", EventCorrection) + f.plan(t, "req_r", EventRestriction) + f.plan(t, "req_e", EventErasure); n != 2 {
		t.Fatalf("planned %d notices, want 2 (the recipient is not told of erasures)", n)
	}
	if r, err := f.svc.SendDue(context.Background(), 0); err != nil || r.Sent != 2 {
		t.Fatalf("send: %+v %v", r, err)
	}
	want := map[string]string{"privacy.correction": "GDPR Art. 19; CCPA Regulations 7023(c)", "privacy.restriction": "GDPR Art. 19"}
	if len(got) != 2 {
		t.Fatalf("received %d notices", len(got))
	}
	for _, p := range got {
		if want[p.Type] != p.Basis || p.Event != p.Type[len("privacy."):] {
			t.Errorf("notice %+v", p)
		}
	}
}
