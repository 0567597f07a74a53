package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// FuzzDecodeJSON: whatever the body, decoding the API's bodies never panics,
// refuses with a 400 or 413 problem (never a 500), and the message never
// repeats a value from the body (only member names of our own shape).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"access","identifiers":{"email":"ada@example.com"}}`,
		`{"type":"erasure","jurisdiction":"ccpa","received_at":"2026-01-31","verified_by":"signed email","identifiers":{"phone":"+44 20 7946 0018"}}`,
		`{"type":"access","identifiers":{"email":"a@b.c"},"ada@example.com":1}`,
		`{"type":1}`, `{"identifiers":[]}`, `{"type":"access"} {"x":1}`, `[`, `null`, `"ada@example.com"`, ``, `{"text":"\u0000"}`,
		`{"reason":"` + strings.Repeat("x", 100) + `","by":1e400}`, `{"assignee":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&createBody{}, &struct {
			Reason string `json:"reason"`
			By     int    `json:"by"`
		}{}, &struct {
			Assignee *string `json:"assignee"`
		}{}} {
			err := decodeJSON(strings.NewReader(string(data)), 1<<10, v)
			if err == nil {
				continue
			}
			k := httpx.KindOf(err)
			if k.Status != http.StatusBadRequest && k.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%q: status %d (%v)", data, k.Status, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "@") || (len(data) > 8 && strings.Contains(msg, string(data))) {
				t.Fatalf("%q: the message repeats the input: %q", data, msg)
			}
		}
	})
}
