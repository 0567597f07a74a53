package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Options tune Open. The zero value applies pending migrations.
type Options struct {
	// NoMigrate opens the database without applying pending migrations (the
	// "migrate" command uses it to print the version before migrating). The
	// schema version is still checked.
	NoMigrate bool
	// Create lets Open create a database that does not exist yet (a new SQLite
	// file). Without it a missing file is ErrNoDatabase: a mistyped DATABASE_URL
	// must not leave the operator with a second, empty database. Only the
	// commands that set up a database (migrate, keys init) pass it.
	Create bool
}

// Option changes Options.
type Option func(*Options)

// WithoutMigrate returns an Option that sets Options.NoMigrate.
func WithoutMigrate() Option { return func(o *Options) { o.NoMigrate = true } }

// WithCreate returns an Option that sets Options.Create.
func WithCreate() Option { return func(o *Options) { o.Create = true } }

// Driver opens a Store for a URL whose scheme it registered.
type Driver func(ctx context.Context, url string, o Options) (Store, error)

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a backend available to Open for the given URL schemes
// ("sqlite", "postgres", ...). Backends call it from init; registering a scheme
// twice panics, as it is a programming error found at start-up.
func Register(d Driver, schemes ...string) {
	driversMu.Lock()
	defer driversMu.Unlock()
	for _, s := range schemes {
		if _, dup := drivers[s]; dup {
			panic("store: backend registered twice for scheme " + s)
		}
		drivers[s] = d
	}
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	out := make([]string, 0, len(drivers))
	for s := range drivers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens the database named by rawURL with the backend registered for its
// scheme, and (unless WithoutMigrate is given) applies pending migrations.
// An empty rawURL means DefaultURL. Supported forms, once the backends are
// imported: sqlite:///abs/path.db, sqlite://relative.db, postgres://... and
// postgresql://... .
func Open(ctx context.Context, rawURL string, opts ...Option) (Store, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var o Options
	for _, f := range opts {
		f(&o)
	}
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok {
		return nil, &OpenError{Cause: ErrUnsupportedURL, Detail: "the URL has no scheme",
			Remedy: "set DATABASE_URL to sqlite:///path/to/file.db or postgres://user@host/db"}
	}
	scheme = strings.ToLower(scheme)
	driversMu.RLock()
	d := drivers[scheme]
	driversMu.RUnlock()
	if d == nil {
		return nil, &OpenError{Cause: ErrUnsupportedURL, Detail: fmt.Sprintf("no backend for scheme %q (registered: %s)",
			scheme, strings.Join(Schemes(), ", ")),
			Remedy: "use sqlite:///path/to/file.db or postgres://user@host/db, and import the backend package"}
	}
	return d(ctx, rawURL, o)
}

// RedactURL returns rawURL with any password replaced by "xxxxx", for messages.
// A URL that does not parse is reduced to its scheme.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		scheme, _, _ := strings.Cut(rawURL, ":")
		return scheme + "://(unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// NewID returns prefix followed by 128 random bits in hex, e.g. "req_3f2a…".
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return prefix + hex.EncodeToString(b[:])
}
