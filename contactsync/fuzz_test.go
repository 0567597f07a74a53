package contactsync

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// FuzzContactOf: any item a signed notification may carry gives a bounded
// contact id without control characters, or none, and never panics.
func FuzzContactOf(f *testing.F) {
	for _, s := range []string{
		`{"type":"contact","id":"abc","external_id":"x"}`, `{"type":"user","id":12345}`, `{"type":"contact","id":null}`,
		`{"type":"contact","id":{"a":1}}`, `{"type":"conversation","id":"1"}`, `{"type":"contact","id":"a\u0000b"}`,
		`[]`, `{"type":1}`, `{"type":"lead","id":"` + strings.Repeat("9", 300) + `"}`, `{"type":"contact","id":1e400}`,
	} {
		f.Add([]byte(s), "contact.deleted")
	}
	f.Fuzz(func(t *testing.T, item []byte, topic string) {
		n := webhook.Notification{ID: "n", Topic: webhook.Topic(topic), Item: json.RawMessage(item)}
		id := contactOf(n)
		if len(id) > maxContactIDLen || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("contact id %q escapes the bounds", id)
		}
		if id != "" && strings.TrimSpace(id) != id {
			t.Fatalf("untrimmed id %q", id)
		}
		k := kindOf(n.Topic, id)
		if id == "" && k != kindStoreOnly {
			t.Fatalf("kind %d without a contact id", k)
		}
	})
}
