package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// FuzzParseRequestCursor: a cursor from a client never panics the parser;
// anything it accepts encodes back to itself, and everything else is
// ErrInvalid.
func FuzzParseRequestCursor(f *testing.F) {
	f.Add(store.RequestCursor{ReceivedAt: time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC), ID: "req_00112233445566778899aabbccddeeff"}.Encode())
	for _, s := range []string{"", "e30", "eyJyIjoxLCJpIjoiIn0", "eyJyIjotMSwiaSI6InJlcV8xIn0", "eyJyIjoxLCJpIjoicmVxXzEiLCJ4IjoxfQ", "!!", "eyJyIjoxZTk5LCJpIjoiYSJ9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseRequestCursor(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", s, err)
			}
			return
		}
		again, err := store.ParseRequestCursor(c.Encode())
		if err != nil || !again.ReceivedAt.Equal(c.ReceivedAt) || again.ID != c.ID {
			t.Fatalf("%q: round trip %+v -> %+v, %v", s, c, again, err)
		}
	})
}
