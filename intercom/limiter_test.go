package intercom

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
)

// windowLimiter is a server-side fixed-window rate limit like Intercom's, windows
// aligned on multiples of window since the UNIX epoch.
type windowLimiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	start   time.Time
	used    int
	served  int
	limited int
}

func (l *windowLimiter) admit(w http.ResponseWriter) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	ws := now.Truncate(l.window)
	if !ws.Equal(l.start) {
		l.start, l.used = ws, 0
	}
	reset := ws.Add(l.window)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt((reset.UnixNano()+int64(time.Second)-1)/int64(time.Second), 10))
	if l.used >= l.limit {
		l.limited++
		w.Header().Set("X-RateLimit-Remaining", "0")
		return false
	}
	l.used++
	l.served++
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(l.limit-l.used))
	return true
}

func TestSharedBudgetUnderConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	wl := &windowLimiter{limit: 20, window: time.Second}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if !wl.admit(w) {
			writeJSON(w, 429, errorBody("rate_limit_exceeded", "Exceeded rate limit of 20 in 1_seconds"))
			return
		}
		writeJSON(w, 200, `{"type":"conversation","id":"1"}`)
	})
	c := f.client(t, func(c *Config) { c.RateWindow = time.Second })
	const calls = 60
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := time.Now()
	sem := make(chan struct{}, 16)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.GetConversation(ctx(t), "1", GetConversationOptions{}); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	// 16 calls per 1 s window (80% of 20): 60 calls need a bit over 3 windows.
	if elapsed < 2500*time.Millisecond {
		t.Fatalf("60 calls in %v: the budget share was not respected", elapsed)
	}
	wl.mu.Lock()
	limited := wl.limited
	wl.mu.Unlock()
	if limited > 2 {
		t.Fatalf("server answered %d 429s; the shared budget should avoid them", limited)
	}
	t.Logf("60 calls in %v, %d 429s at the server, stats %+v", elapsed, limited, c.Stats())
}

func TestProbeSerialisesUntilLimitKnown(t *testing.T) {
	var inFlight, maxInFlight, n atomic.Int32
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		if n.Add(1) == 1 {
			<-release // the probe is answered once the others queue behind it
		}
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "999")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(10*time.Second).Unix(), 10))
		writeJSON(w, 200, `{"type":"admin","id":"1"}`)
	})
	c := f.client(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Me(ctx(t)); err != nil {
				t.Error(err)
			}
		}()
	}
	// While the probe is unanswered, the seven others wait for it; none
	// reaches the server.
	// The probe must have reached the server too: being in flight on the client's
	// side is not yet being counted by the handler.
	testwait.Until(t, "seven calls to wait for the probe, and the probe to reach the server", func() bool {
		return c.limiter.waitingForProbe() == 7 && n.Load() == 1
	})
	if got := inFlight.Load(); got != 1 {
		t.Fatalf("%d requests in flight before the limit was known", got)
	}
	close(release)
	wg.Wait()
}

func TestLimiterBlocksWhenShareSpent(t *testing.T) {
	l := newLimiter(0.8, 10*time.Second)
	now := time.Unix(1_700_000_000, 0)
	l.now = func() time.Time { return now }
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "20")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+5, 10))
	l.observe(h, 200)
	if !l.isBlocked() {
		t.Fatal("80 of 100 used: the 80% share is spent, calls should wait for the reset")
	}
	l2 := newLimiter(0.8, 10*time.Second)
	l2.now = l.now
	h.Set("X-RateLimit-Remaining", "21")
	l2.observe(h, 200)
	if l2.isBlocked() || l2.budget() != 80 {
		t.Fatalf("79 used should not block; budget %d", l2.budget())
	}
}

func TestLimiterLearnsWindowOnlyFromRefills(t *testing.T) {
	l := newLimiter(0.8, 10*time.Second)
	base := int64(1_700_000_000)
	obs := func(reset, remaining int64) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "100")
		h.Set("X-RateLimit-Remaining", strconv.FormatInt(remaining, 10))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		l.observe(h, 200)
	}
	// A reset that wobbles by a second within one window (remaining keeps falling).
	obs(base+10, 90)
	obs(base+11, 80)
	obs(base+12, 70)
	if l.window() != 10*time.Second {
		t.Fatalf("window shrank to %v on a wobbling reset", l.window())
	}
	// Two refilled windows two seconds apart: a 2 s window.
	l2 := newLimiter(0.8, 10*time.Second)
	l = l2
	obs(base+2, 10)
	obs(base+4, 99)
	if l.window() != 10*time.Second {
		t.Fatal("adopted a window after one refill")
	}
	obs(base+4, 50)
	obs(base+6, 99)
	if l.window() != 2*time.Second {
		t.Fatalf("window %v, want 2s", l.window())
	}
}

// isBlocked reports whether new calls are stopped now (a test probe of the limiter).
func (l *limiter) isBlocked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now().Before(l.blocked)
}
