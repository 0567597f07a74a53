package contactsync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// A contact Intercom returns without an id is skipped and counted; the run stores
// the others and completes, instead of stopping at the same contact every time.
func TestContactWithoutIDIsSkipped(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"type":"list","total_count":2,"data":[`+
			`{"type":"contact","id":"","role":"user","updated_at":1700000000},`+
			`{"type":"contact","id":"65a0ffee0001","role":"user","updated_at":1700000000}],`+
			`"pages":{"type":"pages","page":1,"per_page":150,"total_pages":1}}`)
	}))
	defer fake.Close()
	a := apptest.Open(t, apptest.Target{DatabaseURL: h.ws.DatabaseURL, MasterKey: h.ws.MasterKey, Token: "t", BaseURL: fake.URL,
		Actor: "test", Timeout: 5 * time.Second})
	s := &contactsync.Syncer{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom, Actor: "sync-test", Now: h.clock.Now}
	res, err := s.Sync(context.Background(), contactsync.Options{Full: true})
	if err != nil {
		t.Fatalf("sync stopped at a contact without an id: %v", err)
	}
	if res.Skipped != 1 || res.Stored != 1 {
		t.Fatalf("skipped %d stored %d, want 1 and 1", res.Skipped, res.Stored)
	}
}
