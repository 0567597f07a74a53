package intercom

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScrubMessage(t *testing.T) {
	for in, want := range map[string]string{
		"Resource Not Found":                                "Resource Not Found",
		"Invalid sort order 'desc'. Must be one of: a, b":   "Invalid sort order '…'. Must be one of: a, b",
		"User with email alice@example.com not found":       "User with email [redacted] not found",
		`Email "bob@x.io" is invalid`:                       "Email '…' is invalid",
		"Invalid phone number +44 20 7946 0958 given":       "Invalid phone number [number] given",
		"card 4111-1111-1111-1111":                          "card [number]",
		"Http Method isn't an option":                       "Http Method isn't an option",
		"Contact 5f1e9a3b2c4d5e6f7a8b9c0d not found":        "Contact 5f1e9a3b2c4d5e6f7a8b9c0d not found",
		"Exceeded rate limit of 5 pending export jobs":      "Exceeded rate limit of 5 pending export jobs",
		"unbalanced ' quote":                                "unbalanced ' quote",
		"audience_ids contains unknown audience IDs: 999":   "audience_ids contains unknown audience IDs: 999",
		"A contact matching those details already exists 1": "A contact matching those details already exists 1",
	} {
		if got := scrubMessage(in); got != want {
			t.Errorf("scrubMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzScrubMessage(f *testing.F) {
	for _, s := range []string{"Invalid 'x'", "a@b.c", "+1 (555) 123-4567", "isn't", "é'\"`", "\xff'a'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := scrubMessage(s)
		if strings.IndexByte(out, '@') >= 0 {
			t.Fatalf("an '@' survives: %q -> %q", s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from valid input: %q -> %q", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] >= '0' && out[i] <= '9' {
				if _, d := numberRun(out, i); d >= 7 {
					t.Fatalf("a long number survives: %q -> %q", s, out)
				}
			}
		}
	})
}

// TestErrorMessageScrubbed: an Intercom error quoting the e-mail address of
// the request does not carry it into the error.
func TestErrorMessageScrubbed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"type":"error.list","request_id":"r1","errors":[{"code":"parameter_invalid","message":"Email 'alice@example.com' is invalid; phone +44 20 7946 0958"}]}`))
	}))
	defer srv.Close()
	c, err := New(Config{Token: "t", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("want ErrValidation, got %v", err)
	}
	if s := err.Error(); strings.Contains(s, "alice") || strings.Contains(s, "7946") || !strings.Contains(s, "parameter_invalid") {
		t.Fatalf("error: %s", s)
	}
}
