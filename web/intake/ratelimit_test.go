package intake_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

// keySpy records the keys the limiter hands the store.
type keySpy struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (s *keySpy) HitRate(ctx context.Context, bucket, key string, start, end time.Time) (int64, error) {
	s.mu.Lock()
	s.keys = append(s.keys, bucket+"/"+key)
	s.mu.Unlock()
	return s.Store.HitRate(ctx, bucket, key, start, end)
}

// A second intake handler on the same store (a second serve process, or the
// same one restarted) shares the per-address limit: 10 forms an hour from one
// address across both, then 429 from either; the next hour starts over and
// the ended window is deleted. The store sees a keyed hash, never the address.
func TestRateLimitSharedAcrossHandlers(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupWith(t, b, nil)
			spy := &keySpy{Store: e.a.Store}
			second := func() http.Handler {
				h, err := intake.New(intake.Options{Store: spy, Vault: e.a.Vault, DSAR: e.a.DSAR, Outbox: e.a.Outbox,
					Templates: e.a.Messages.Templates, Config: e.a.Config, PublicURL: e.a.PublicURL, Now: e.now})
				if err != nil {
					t.Fatal(err)
				}
				return h.Handler()
			}
			h2 := second()
			post := func(h http.Handler, remote string, i int) int {
				f := formFor(fmt.Sprintf("rl%d@example.org", i))
				r := httptest.NewRequest("POST", "http://privacy.example-trading.test"+intake.PathRequest, strings.NewReader(f.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.RemoteAddr = remote + ":40000"
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			const addr = "192.0.2.77"
			// Concurrently, 6 through one handler and 4 through the other:
			// all 10 allowed, whatever the interleaving.
			var wg sync.WaitGroup
			codes := make([]int, 10)
			for i := range codes {
				wg.Go(func() {
					h := e.h
					if i%2 == 1 && i < 9 {
						h = h2
					}
					codes[i] = post(h, addr, i)
				})
			}
			wg.Wait()
			for i, c := range codes {
				if c != http.StatusOK {
					t.Fatalf("form %d: %d, want 200 (%v)", i, c, codes)
				}
			}
			if c := post(e.h, addr, 10); c != http.StatusTooManyRequests {
				t.Fatalf("11th form through the first handler: %d, want 429", c)
			}
			if c := post(h2, addr, 11); c != http.StatusTooManyRequests {
				t.Fatalf("12th form through the second handler: %d, want 429", c)
			}
			// A restart (a new handler on the same store) forgets nothing.
			if c := post(second(), addr, 12); c != http.StatusTooManyRequests {
				t.Fatalf("after a restart: %d, want 429", c)
			}
			// Another address has its own count.
			if c := post(h2, "192.0.2.78", 13); c != http.StatusOK {
				t.Fatalf("another address: %d", c)
			}
			// The next hour starts over, and the hit deletes the ended window.
			e.advance(time.Hour)
			if c := post(h2, addr, 14); c != http.StatusOK {
				t.Fatalf("next hour: %d, want 200", c)
			}
			start := e.now().Truncate(time.Hour)
			if n, err := e.a.Store.DeleteRateWindows(context.Background(), start); err != nil || n != 0 {
				t.Fatalf("ended windows left: %d, %v (want them deleted by the first hit of the new window)", n, err)
			}
			spy.mu.Lock()
			defer spy.mu.Unlock()
			if len(spy.keys) == 0 {
				t.Fatal("the second handler never counted in the store")
			}
			for _, k := range spy.keys {
				bucket, key, _ := strings.Cut(k, "/")
				if bucket == "" || len(key) != 64 || strings.Contains(key, addr) || strings.Trim(key, "0123456789abcdef") != "" {
					t.Fatalf("rate key %q is not a keyed hash", k)
				}
			}
		})
	}
}

// The verification attempts per address (links and codes tried) are counted
// in the store too: 30 an hour, shared by two handlers.
func TestVerifyLimitShared(t *testing.T) {
	e := setupWith(t, storetest.SQLite(), nil)
	h, err := intake.New(intake.Options{Store: e.a.Store, Vault: e.a.Vault, DSAR: e.a.DSAR, Outbox: e.a.Outbox,
		Templates: e.a.Messages.Templates, Config: e.a.Config, PublicURL: e.a.PublicURL, Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	h2 := h.Handler()
	try := func(hh http.Handler) int {
		r := httptest.NewRequest("POST", "http://privacy.example-trading.test"+intake.PathVerify+"/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.NewReader(url.Values{}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = "198.51.100.9:40000"
		w := httptest.NewRecorder()
		hh.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 30 {
		hh := e.h
		if i%2 == 1 {
			hh = h2
		}
		if c := try(hh); c == http.StatusTooManyRequests {
			t.Fatalf("attempt %d refused as too many", i+1)
		}
	}
	if c := try(e.h); c != http.StatusTooManyRequests {
		t.Fatalf("31st attempt: %d, want 429", c)
	}
}
