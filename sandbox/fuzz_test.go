package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var searchSeeds = []string{
	`{"query":{"field":"email","operator":"=","value":"a@b.c"},"pagination":{"per_page":50,"starting_after":null}}`,
	`{"query":{"operator":"AND","value":[{"field":"email","operator":"=","value":"a@b.c"},{"operator":"OR","value":[{"field":"role","operator":"=","value":"lead"}]}]},"sort":{"field":"created_at","order":"descending"}}`,
	`{"query":{"field":"created_at","operator":">","value":"1700000000"}}`,
	`{"query":{"field":"custom_attributes.plan","operator":"IN","value":["pro",1,null]}}`,
	`{"query":{"field":"contact_ids","operator":"=","value":"abc"}}`,
	`{"query":{"field":"source.body","operator":"~","value":"card"},"pagination":{"per_page":"20"}}`,
	`{"query":{"field":"open","operator":"=","value":true}}`,
	`{"query":{"operator":"OR","value":[{"operator":"AND","value":[{"operator":"OR","value":[]}]}]}}`,
	`{"query":[]}`, `null`, `{`, `{"query":{"field":1,"operator":2}}`, `{"query":{"field":"id","operator":"NIN","value":{}}}`,
}

// FuzzSearchBody: parsing and evaluating any search body never panics, and a refusal
// never echoes the body back.
func FuzzSearchBody(f *testing.F) {
	for _, s := range searchSeeds {
		f.Add([]byte(s))
	}
	s, err := New(Options{Seed: 1, Contacts: 30})
	if err != nil {
		f.Fatal(err)
	}
	ws := s.ws
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(err error) {
			if err == nil {
				return
			}
			msg := err.Error()
			if len(body) >= 16 && strings.Contains(msg, string(body)) {
				t.Fatalf("error echoes the body: %s", msg)
			}
			for _, v := range quotedStrings(body) {
				if len(v) >= 8 && strings.Contains(msg, v) && !isFieldName(v) {
					t.Fatalf("error echoes value %q: %s", v, msg)
				}
			}
		}
		ws.mu.RLock()
		defer ws.mu.RUnlock()
		if sr, err := parseSearch(body, contactFields, contactDates, 50); err == nil {
			for _, c := range ws.contactOrder[:10] {
				match(sr.query, c, contactFields, contactDates)
			}
			if sr.perPage < 1 || sr.perPage > 150 {
				t.Fatalf("per_page %d accepted", sr.perPage)
			}
		} else {
			check(err)
		}
		if sr, err := parseSearch(body, conversationFields, conversationDates, 20); err == nil {
			for _, c := range ws.convOrder[:10] {
				match(sr.query, c, conversationFields, conversationDates)
			}
		} else {
			check(err)
		}
		if sr, err := parseSearch(body, ticketFields, ticketDates, 20); err == nil {
			for _, tk := range ws.ticketOrder[:min(3, len(ws.ticketOrder))] {
				match(sr.query, tk, ticketFields, ticketDates)
			}
		} else {
			check(err)
		}
	})
}

func isFieldName(s string) bool { return safeName(s) == s }

// quotedStrings returns the JSON strings in b (best effort, for the echo check).
func quotedStrings(b []byte) []string {
	var out []string
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if s, ok := tok.(string); ok {
			out = append(out, s)
		}
	}
}

// FuzzCursor: any starting_after decodes to an error or a cursor, never a panic; every
// cursor the sandbox hands out decodes to itself.
func FuzzCursor(f *testing.F) {
	f.Add("", "contacts", 1, "abc", "x", int64(5))
	f.Add(encodeCursor(cursor{Kind: "contacts", Page: 3, ID: "6f00", SortN: 1700000000}), "contacts", 2, "id", "", int64(-1))
	f.Add("eyJrIjoiY29udGFjdHMiLCJwIjoxfQ", "contacts.search", 0, "", "", int64(0))
	f.Add("%%%===", "x", 7, "i", "s", int64(1<<40))
	f.Fuzz(func(t *testing.T, raw, kind string, page int, id, ss string, sn int64) {
		_, _ = decodeCursor(raw, kind)
		if page < 1 || id == "" || kind == "" {
			return
		}
		if !utf8.ValidString(kind) || !utf8.ValidString(id) || !utf8.ValidString(ss) {
			return // JSON replaces invalid UTF-8; ids and kinds the sandbox makes are ASCII
		}
		c := cursor{Kind: kind, Page: page, ID: id, SortS: ss, SortN: sn}
		enc := encodeCursor(c)
		got, err := decodeCursor(enc, kind)
		if len(enc) > 4096 {
			if err == nil {
				t.Fatal("an oversized cursor was accepted")
			}
			return
		}
		if err != nil || got != c {
			t.Fatalf("round trip %+v -> %+v, %v", c, got, err)
		}
	})
}

var (
	fuzzSrvOnce sync.Once
	fuzzSrv     *Server
)

// FuzzRequest sends arbitrary requests through the whole handler: no panic, no 5xx
// (faults are off), and every answer that is not a download is JSON; errors are an
// error.list with a request id.
func FuzzRequest(f *testing.F) {
	f.Add("GET", "/contacts", "per_page=5&starting_after=abc", []byte(nil), "2.16")
	f.Add("POST", "/contacts/search", "starting_after=x", []byte(searchSeeds[1]), "2.14")
	f.Add("GET", "/events", "type=user&intercom_user_id=x&summary=true&before=abc", []byte(nil), "2.16")
	f.Add("POST", "/conversations/redact", "", []byte(`{"type":"source","conversation_id":100000001,"source_id":"300000001"}`), "Preview")
	f.Add("POST", "/export/content/data", "", []byte(`{"created_at_after":1,"created_at_before":2}`), "2.16")
	f.Add("DELETE", "/tickets/600001", "", []byte(nil), "2.12")
	f.Add("GET", "/contacts/find_by_external_id/usr_1", "", []byte(nil), "x.y")
	f.Add("POST", "/contacts/merge", "", []byte(`{"from":1,"into":[]}`), "2.16")
	f.Add("GET", "/download/messages/data/x", "", []byte(nil), "2.16")
	f.Add("0", "/.#", "", []byte(nil), "2.16")
	f.Add("POST", "/contacts", "", []byte(`{"email":"a@b","custom_attributes":{"plan":1}}`), "2.16")
	f.Add("PUT", "/contacts/x", "", []byte(`{"role":"lead","owner_id":5}`), "2.16")
	f.Add("POST", "/conversations/1/reply", "", []byte(`{"type":"user","message_type":"comment","body":"x","email":"a@b"}`), "2.16")
	f.Add("POST", "/events", "", []byte(`{"event_name":"x","email":"a@b","metadata":{"a":[1]}}`), "2.16")
	f.Add("POST", "/data_attributes", "", []byte(`{"name":"x","model":"contact","data_type":"options","options":[{"value":"a"}]}`), "2.16")
	f.Add("GET", "/contacts/x/notes", "page=0&per_page=1", []byte(nil), "2.16")
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte, version string) {
		fuzzSrvOnce.Do(func() {
			fuzzSrv, _ = New(Options{Seed: 9, Contacts: 40, RateLimit: -1})
		})
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://sandbox.test"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+fuzzSrv.Token())
		req.Header.Set("Intercom-Version", version)
		rec := httptest.NewRecorder()
		fuzzSrv.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("%s %s?%s: %d %s", method, path, query, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Content-Type") == "application/octet-stream" || (rec.Code == 202 && rec.Body.Len() == 0) {
			return
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v", method, path, err)
		}
		if rec.Code >= 400 && (v["type"] != "error.list" || v["request_id"] == nil) {
			t.Fatalf("%s %s: error answer %s", method, path, rec.Body.String())
		}
	})
}
