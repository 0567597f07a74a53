package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// OpenWaiting opens the application, waiting for the database: an
// unreachable database (store.ErrConnect) is logged, one clear line per
// attempt, and tried again with a capped backoff until ctx ends, so that a
// database starting after this process makes it wait (not ready, still alive)
// rather than exit and be restarted in a loop. Every other failure (a schema
// newer than this binary, keysets never initialised, another application's
// tables) needs a person and is returned at once. A migration another process
// is running is waited for: migrations hold a database lock.
func OpenWaiting(ctx context.Context, s Settings) (*App, error) {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	const maxBackoff = 30 * time.Second
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		log.InfoContext(ctx, "opening the database and applying pending migrations (waits while another process migrates)",
			slog.String("database", store.RedactURL(s.DatabaseURL)))
		a, err := Open(ctx, s)
		if err == nil {
			if attempt > 1 {
				log.WarnContext(ctx, "database reachable again; starting", slog.Int("attempts", attempt))
			}
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// A SQLite file that cannot be opened will not open later by itself;
		// a database server may be starting, restarting or failing over.
		if !errors.Is(err, store.ErrConnect) || !isServerURL(s.DatabaseURL) {
			return nil, err
		}
		log.WarnContext(ctx, "database not reachable; not ready, retrying", slog.String("error", err.Error()),
			slog.Int("attempt", attempt), slog.Duration("retry_in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// isServerURL tells a database server's URL (PostgreSQL) from a file's.
func isServerURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}
