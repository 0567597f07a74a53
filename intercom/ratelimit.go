package intercom

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter is the rate-limit budget shared by all goroutines of one Client.
//
// Until the first response has told it the limit, it lets one request through at a
// time (a probe), so a burst of goroutines cannot overrun an unknown budget. Once the
// limit is known it spaces calls evenly, window/(limit*share) apart (slots missed
// by slow callers may be made up, a tenth of the budget at most), and stops all
// calls until the reset when Intercom reports that the share of the window has been
// spent (by this client or by other integrations of the workspace). A 429 stops all
// calls until the reset plus jitter.
type limiter struct {
	share         float64
	cfgWindow     time.Duration
	now           func() time.Time
	mu            sync.Mutex
	limit         int           // per window, 0 while unknown
	learnt        time.Duration // window length learnt from successive resets
	lastReset     int64
	lastRemaining int64
	candidate     time.Duration // last distance between resets of refilled windows
	next          time.Time     // earliest start of the next paced call
	blocked       time.Time     // no call starts before this
	probing       bool
	probed        bool
	probeDone     chan struct{}
	probeWaiters  int   // callers waiting for the probe's answer
	throttleNs    int64 // total time callers spent waiting, for Stats
}

func newLimiter(share float64, window time.Duration) *limiter {
	return &limiter{share: share, cfgWindow: window, now: time.Now}
}

// waitingForProbe returns how many callers wait for the probe's answer.
func (l *limiter) waitingForProbe() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.probeWaiters
}

// window returns the rate-limit window length in use.
func (l *limiter) window() time.Duration {
	if l.learnt > 0 && l.learnt < l.cfgWindow {
		return l.learnt
	}
	return l.cfgWindow
}

// budget returns the calls per window this client allows itself (0 while unknown).
func (l *limiter) budget() int {
	if l.limit <= 0 {
		return 0
	}
	return max(1, int(math.Floor(float64(l.limit)*l.share)))
}

// acquire waits until a call may start. The returned function must be called with
// the response headers (nil when there was no response) once the call is answered.
func (l *limiter) acquire(ctx context.Context) (func(http.Header, int), error) {
	start := l.now()
	defer func() {
		l.mu.Lock()
		l.throttleNs += int64(l.now().Sub(start))
		l.mu.Unlock()
	}()
	for {
		l.mu.Lock()
		now := l.now()
		if !l.probed && l.limit == 0 {
			if l.probing {
				ch := l.probeDone
				l.probeWaiters++
				l.mu.Unlock()
				var err error
				select {
				case <-ch:
				case <-ctx.Done():
					err = ctx.Err()
				}
				l.mu.Lock()
				l.probeWaiters--
				l.mu.Unlock()
				if err != nil {
					return nil, err
				}
				continue
			}
			l.probing = true
			l.probeDone = make(chan struct{})
			l.mu.Unlock()
			return l.releaseProbe, nil
		}
		if now.Before(l.blocked) {
			d := l.blocked.Sub(now)
			l.mu.Unlock()
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		var d time.Duration
		if b := l.budget(); b > 0 {
			interval := l.window() / time.Duration(b)
			// Slots missed while callers were slow (or the machine busy) may be made
			// up, at most a tenth of the budget at once; the share-spent check in
			// observe still bounds each window.
			slot := l.next
			if floor := now.Add(-interval * time.Duration(max(1, b/10))); slot.Before(floor) {
				slot = floor
			}
			l.next = slot.Add(interval)
			d = max(slot.Sub(now), 0)
		}
		l.mu.Unlock()
		if d > 0 {
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
		}
		return l.observe, nil
	}
}

func (l *limiter) releaseProbe(h http.Header, status int) {
	l.observe(h, status)
	l.mu.Lock()
	if l.probing {
		l.probing = false
		// Stop serialising once a response arrived, with or without headers (a
		// server that sends none is not rate limited by them); after a transport
		// error the next caller probes again.
		if h != nil {
			l.probed = true
		}
		close(l.probeDone)
	}
	l.mu.Unlock()
}

// observe learns from the rate-limit headers of a response, and stops new calls
// until the reset once the response says this client's share of the window is spent.
func (l *limiter) observe(h http.Header, _ int) {
	if h == nil {
		return
	}
	limit, okL := headerInt(h, "X-RateLimit-Limit")
	remaining, okR := headerInt(h, "X-RateLimit-Remaining")
	reset, okReset := headerInt(h, "X-RateLimit-Reset")
	l.mu.Lock()
	defer l.mu.Unlock()
	if okL && limit > 0 {
		l.limit = int(min(limit, 1<<30))
	}
	if !okReset || reset <= 0 {
		return
	}
	if reset > l.lastReset {
		// A new window: the reset moved on and the counter was refilled. The distance
		// between resets is a candidate window length, adopted once seen twice in a
		// row, so a reset that merely wobbles by a second cannot shrink the window.
		if l.lastReset > 0 && okR && remaining > l.lastRemaining {
			d := time.Duration(reset-l.lastReset) * time.Second
			if d == l.candidate {
				if l.learnt == 0 || d < l.learnt {
					l.learnt = d
				}
			}
			l.candidate = d
		}
		l.lastReset = reset
	}
	if okR {
		l.lastRemaining = remaining
	}
	if okR && okL && limit > 0 && int(limit-remaining) >= l.budget() {
		// The share is spent; calls resume at the reset. The jitter is smaller than
		// after a 429: pacing already spreads this client's calls, and the pause
		// usually comes near the end of the window.
		l.blockUntilLocked(time.Unix(reset, 0).Add(l.jitter() / 5))
	}
}

// blockForReset stops new calls until the window reset a 429 names, plus jitter. It
// reports false when the answer names no reset in the future.
func (l *limiter) blockForReset(h http.Header) bool {
	reset, ok := headerInt(h, "X-RateLimit-Reset")
	if !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	at := time.Unix(reset, 0)
	if !at.After(l.now()) {
		return false
	}
	l.blockUntilLocked(at.Add(l.jitter()))
	return true
}

func (l *limiter) blockUntilLocked(until time.Time) {
	if until.After(l.blocked) {
		l.blocked = until
	}
}

// block stops new calls for d (used on a 429 without a reset header).
func (l *limiter) block(d time.Duration) {
	l.mu.Lock()
	l.blockUntilLocked(l.now().Add(d))
	l.mu.Unlock()
}

// jitter is a random delay of up to a tenth of the window (at most one second), so
// that the clients of a workspace do not all resume at the same instant.
func (l *limiter) jitter() time.Duration {
	j := min(l.window()/10, time.Second)
	if j <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(j))) + time.Millisecond
}

func (l *limiter) throttled() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.throttleNs)
}

func headerInt(h http.Header, key string) (int64, bool) {
	v := h.Get(key)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff returns the delay before retry n (0-based): exponential from 250ms, capped
// at 10s, with jitter in [d/2, d].
func backoff(n int) time.Duration {
	d := 250 * time.Millisecond << min(n, 6)
	d = min(d, 10*time.Second)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
