package intake

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Buckets of the limits kept in the store (rate_windows): forms sent, and
// links or codes tried, per client network address.
const (
	bucketForm   = "intake_form"
	bucketVerify = "intake_verify"
)

// limiter counts events per client address in fixed windows kept in the
// store (store.RateWindows), so every serve process on one database shares
// them and a restart forgets nothing. The key is the address's blind index
// (keyed HMAC-SHA256 under the vault's index keyset, kind net_address),
// never the address. Windows that ended are deleted by the first hit of each
// new window a process sees (retention: nothing older than one window is
// kept). A store failure refuses the event (fails closed) and is logged.
//
// The per-e-mail limit and the queue bound are the intakes waiting for
// verification, counted in the store (Store.CountIntakes); they were never
// per process.
type limiter struct {
	h      *Handler
	bucket string
	max    int
	window time.Duration

	mu     sync.Mutex
	pruned time.Time // the window this process last deleted ended windows for
}

func (h *Handler) newLimiter(bucket string, max int, window time.Duration) *limiter {
	return &limiter{h: h, bucket: bucket, max: max, window: window}
}

// allow counts one event of key (a client address) at now and reports
// whether it is within the limit.
func (l *limiter) allow(ctx context.Context, key string, now time.Time) bool {
	start := now.UTC().Truncate(l.window)
	ref, err := l.h.o.Vault.BlindIndex(vault.KindNetAddress, key)
	if err != nil {
		l.h.logger().Error("intake: rate limit key not computed; event refused", "bucket", l.bucket, "error", err)
		return false
	}
	n, err := l.h.o.Store.HitRate(ctx, l.bucket, hex.EncodeToString(ref), start, start.Add(l.window))
	if err != nil {
		l.h.logger().Error("intake: rate limit not counted; event refused", "bucket", l.bucket, "error", err)
		return false
	}
	l.prune(ctx, start)
	return n <= int64(l.max)
}

// prune deletes the windows that ended before start, once per window.
func (l *limiter) prune(ctx context.Context, start time.Time) {
	l.mu.Lock()
	if !start.After(l.pruned) {
		l.mu.Unlock()
		return
	}
	l.pruned = start
	l.mu.Unlock()
	if _, err := l.h.o.Store.DeleteRateWindows(ctx, start); err != nil {
		l.h.logger().Warn("intake: ended rate windows not deleted; the next window tries again", "error", err)
		l.mu.Lock()
		l.pruned = time.Time{}
		l.mu.Unlock()
	}
}
