package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkGenerate measures generating a workspace with its conversations, tickets,
// notes and events (the issue asks for 10,000 contacts in a few seconds).
func BenchmarkGenerate(b *testing.B) {
	now := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var convs, parts int
			for i := 0; i < b.N; i++ {
				w := generate(int64(i), n, now, false)
				convs = len(w.convs)
				parts = w.seq.part
			}
			b.ReportMetric(float64(convs), "conversations")
			b.ReportMetric(float64(parts), "parts")
		})
	}
	b.Run("100000-contacts-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			generate(int64(i), 100000, now, true)
		}
	})
}

func benchServer(b *testing.B, n int) (*Server, http.Handler) {
	s, err := New(Options{Seed: 1, Contacts: n, RateLimit: -1, Token: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return s, s.Handler()
}

func serveBench(b *testing.B, h http.Handler, method, path, body string) {
	b.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer bench")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
}

// BenchmarkEndpoints measures the handler alone (no network) on a 10,000-contact
// workspace.
func BenchmarkEndpoints(b *testing.B) {
	s, h := benchServer(b, 10000)
	p := s.SamplePerson()
	b.Run("GetContact", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			serveBench(b, h, "GET", "/contacts/"+p.LiveContactIDs[0], "")
		}
	})
	b.Run("GetConversation", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			serveBench(b, h, "GET", "/conversations/"+p.ConversationIDs[0], "")
		}
	})
	b.Run("SearchContactsByEmail", func(b *testing.B) {
		body := `{"query":{"field":"email","operator":"=","value":"` + p.Email + `"}}`
		for i := 0; i < b.N; i++ {
			serveBench(b, h, "POST", "/contacts/search", body)
		}
	})
	b.Run("SearchConversationsByContact", func(b *testing.B) {
		body := `{"query":{"field":"contact_ids","operator":"=","value":"` + p.LiveContactIDs[0] + `"}}`
		for i := 0; i < b.N; i++ {
			serveBench(b, h, "POST", "/conversations/search", body)
		}
	})
	b.Run("ListContactsPage150", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			serveBench(b, h, "GET", "/contacts?per_page=150", "")
		}
	})
}

// BenchmarkWalkContacts walks every page of GET /contacts (per_page=150) on a
// 100,000-contact workspace through the handler: the sandbox's side of the client's
// "walk 100,000 contacts" benchmark.
func BenchmarkWalkContacts(b *testing.B) {
	s, err := New(Options{Seed: 1, Contacts: 100000, ContactsOnly: true, RateLimit: -1, Token: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ResetTimer()
	pages := 0
	for i := 0; i < b.N; i++ {
		after := ""
		pages = 0
		for {
			req := httptest.NewRequest("GET", "/contacts?per_page=150"+after, nil)
			req.Header.Set("Authorization", "Bearer bench")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
			pages++
			var p struct {
				Pages cursorPages `json:"pages"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				b.Fatal(err)
			}
			if p.Pages.Next == nil {
				break
			}
			after = "&starting_after=" + p.Pages.Next.StartingAfter
		}
	}
	b.ReportMetric(float64(pages), "pages")
}
