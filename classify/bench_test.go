package classify

import (
	"encoding/json"
	"strings"
	"testing"
)

// conversationDoc is a conversation of about 1.6 KB with two parts.
var conversationDoc = `{"type":"conversation","id":"147","created_at":1663597223,"updated_at":1663597260,"title":"Question about the annual plan",
"source":{"type":"conversation","id":"403","delivered_as":"customer_initiated","subject":"","body":"<p>Hi, we are evaluating the annual plan for our team of twelve and would like to know whether seats can be moved between workspaces during the term.</p>",
"author":{"type":"user","id":"5310d8e8598c9a0b24000005","name":"Jane Roe","email":"jane.roe@example.com"},"attachments":[],"url":null,"redacted":false},
"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"5310d8e8598c9a0b24000005","external_id":"70"}]},
"conversation_parts":{"type":"conversation_part.list","conversation_parts":[
{"type":"conversation_part","id":"1","part_type":"comment","body":"<p>Thanks for reaching out. Seats can be reassigned at any time from the billing page; the change applies from the next invoice.</p>","created_at":1663597230,"updated_at":1663597230,"notified_at":1663597230,"author":{"id":"991267","type":"admin","name":"Agent Amy","email":"amy@corp.example"},"attachments":[],"external_id":null,"redacted":false},
{"type":"conversation_part","id":"2","part_type":"comment","body":"<p>Great, that answers it. We will go ahead with the upgrade next week.</p>","created_at":1663597260,"updated_at":1663597260,"notified_at":1663597260,"author":{"id":"5310d8e8598c9a0b24000005","type":"user","name":"Jane Roe","email":"jane.roe@example.com"},"attachments":[],"external_id":null,"redacted":false}],"total_count":2},
"custom_attributes":{"plan":"annual","seats":12},"state":"open","read":true,"priority":"not_priority","statistics":{"type":"conversation_statistics","count_reopens":0}}`

const logLine = `{"time":"2026-11-28T11:00:00.000Z","level":"INFO","msg":"request handled","path":"/v1/contacts","status":200,"took_ms":41,"trace_id":"26b0f2f5c337080ee9f053f6524af940","user_email":"jane@example.com"}`

func BenchmarkRedact(b *testing.B) {
	if !json.Valid([]byte(conversationDoc)) {
		b.Fatal("bad fixture")
	}
	r := mustNew(b, Options{})
	var tree any
	_ = json.Unmarshal([]byte(conversationDoc), &tree)
	for _, c := range []struct {
		name string
		doc  string
		kind ObjectKind
	}{
		{"conversation", conversationDoc, KindConversation},
		{"conversation-auto", conversationDoc, KindAuto},
		{"log-line-generic", logLine, KindGeneric},
	} {
		b.Run(c.name, func(b *testing.B) {
			doc := []byte(c.doc)
			var out []byte
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if out, err = r.AppendRedact(out[:0], doc, c.kind, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			if strings.Contains(string(out), "jane") {
				b.Fatal("leak")
			}
		})
	}
	b.Run("value-conversation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.RedactValue(tree, KindConversation); err != nil {
				b.Fatal(err)
			}
		}
	})
}
