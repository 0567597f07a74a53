package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/openapispec"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }

// deviation names a known difference between what Intercom's live API does (and the
// sandbox imitates) and what its OpenAPI description says. A response that fails
// validation is accepted only when a deviation names it; every use is recorded, and
// TestDeviationsExercised checks that none is stale.
type deviation struct {
	Name   string
	Method string // "" for any
	Path   string // a description template or, for paths it lacks, a pattern; "" for any
	Status int    // 0 for any
	// When narrows the deviation to answers it describes (nil: all).
	When func(status int, h http.Header, body []byte) bool
	// NoRoute limits the deviation to requests for paths the description lacks.
	NoRoute bool
	Reason  string
}

func errorCode(code string) func(int, http.Header, []byte) bool {
	return func(_ int, _ http.Header, body []byte) bool {
		var e errorList
		return json.Unmarshal(body, &e) == nil && e.Type == "error.list" && len(e.Errors) == 1 && e.Errors[0].Code == code
	}
}

func validErrorList(_ int, _ http.Header, body []byte) bool {
	var e errorList
	return json.Unmarshal(body, &e) == nil && e.Type == "error.list" && len(e.Errors) > 0 && e.Errors[0].Code != ""
}

// deviations is the table of every known difference the conformance tests accept.
var deviations = []deviation{
	{Name: "contact-404", Method: "GET", Path: "/contacts/{contact_id}", Status: 404, When: errorCode("not_found"),
		Reason: "unknown, deleted and archived contacts answer 404 (notes §5; intercom-ruby#561); merged ones too before 2.16 (Intercom-OpenAPI PR #454)"},
	{Name: "find-external-404", Method: "GET", Path: "/contacts/find_by_external_id/{external_id}", Status: 404, When: errorCode("not_found"),
		Reason: "an unknown external id answers 404 (notes §5)"},
	{Name: "contact-delete-404", Method: "DELETE", Path: "/contacts/{contact_id}", Status: 404, When: errorCode("not_found"),
		Reason: "deleting an unknown contact answers 404 not_found (notes §5, 2.3 docs)"},
	{Name: "archive-404", Method: "POST", Path: "/contacts/{contact_id}/archive", Status: 404, When: errorCode("not_found"),
		Reason: "archiving an unknown contact answers 404 (notes §7: all contact endpoints answer 404 User Not Found)"},
	{Name: "merge-404", Method: "POST", Path: "/contacts/merge", Status: 404, When: errorCode("not_found"),
		Reason: "merging an unknown or merged contact answers 404 (notes §7)"},
	{Name: "sub-resource-410", Method: "GET", Status: 410, When: errorCode("contact_merged"),
		Reason: "from 2.16 every contact endpoint answers 410 contact_merged for a merged contact (notes §5); the sub-resources do not document it"},
	{Name: "search-400", Method: "POST", Path: "/conversations/search", Status: 400, When: validErrorList,
		Reason: "conversation search refuses bad queries like contact search (notes §8: same grammar and limits); undocumented"},
	{Name: "ticket-search-400", Method: "POST", Path: "/tickets/search", Status: 400, When: validErrorList,
		Reason: "ticket search refuses bad queries (notes §11: same grammar); undocumented"},
	{Name: "list-400", Method: "GET", Path: "/contacts", Status: 400, When: validErrorList,
		Reason: "a bad per_page or starting_after on a list answers 400 parameter_invalid (notes §2); undocumented"},
	{Name: "notes-page-400", Method: "GET", Path: "/contacts/{contact_id}/notes", Status: 400, When: errorCode("parameter_invalid"),
		Reason: "a page or per_page that is not a whole number from 1 answers 400 parameter_invalid; the description declares neither parameter (Intercom's SDKs send both) nor a 400"},
	{Name: "companies-page-400", Method: "GET", Path: "/contacts/{contact_id}/companies", Status: 400, When: errorCode("parameter_invalid"),
		Reason: "as notes-page-400, for a contact's companies"},
	{Name: "contact-write-400", Path: "/contacts", Method: "POST", Status: 400, When: validErrorList,
		Reason: "a contact create with an undefined custom attribute (parameter_not_found), a value of the wrong type or a bad field answers 400; the description documents no 400 (sandbox: write endpoints)"},
	{Name: "contact-create-409", Path: "/contacts", Method: "POST", Status: 409, When: errorCode("conflict"),
		Reason: "creating a user whose email or external_id another user has answers 409 conflict (notes: duplicate users); undocumented"},
	{Name: "contact-update-404", Path: "/contacts/{contact_id}", Method: "PUT", Status: 404, When: errorCode("not_found"),
		Reason: "updating an unknown, deleted or archived contact answers 404 User Not Found, as every contact endpoint does (notes §7); the description's PUT lacks the 404"},
	{Name: "contact-update-400", Path: "/contacts/{contact_id}", Method: "PUT", Status: 400, When: validErrorList,
		Reason: "as contact-write-400, for an update"},
	{Name: "event-create-404", Path: "/events", Method: "POST", Status: 404, When: errorCode("not_found"),
		Reason: "an event for an unknown user answers 404 User Not Found; the description documents only 202 and 401"},
	{Name: "merge-history-400", Method: "GET", Path: "/contacts/{id}/merge_history", Status: 400, When: errorCode("parameter_invalid"),
		Reason: "an order outside the description's enum (asc, desc), a bad per_page or cursor answers 400 parameter_invalid; undocumented (sandbox's choice)"},
	{Name: "ticket-404", Method: "GET", Path: "/tickets/{ticket_id}", Status: 404, When: errorCode("ticket_not_found"),
		Reason: "an unknown ticket answers 404 ticket_not_found (notes §11)"},
	{Name: "conversation-delete-404", Method: "DELETE", Path: "/conversations/{conversation_id}", Status: 404, When: errorCode("not_found"),
		Reason: "deleting an unknown conversation answers 404 not_found (notes §8 errors)"},
	{Name: "redact-twice-400", Method: "POST", Path: "/conversations/redact", Status: 400, When: validErrorList,
		Reason: "redacting something already redacted (or not redactable) answers 400 (notes §8; intercom-ruby PR #544)"},
	{Name: "events-list-shape", Method: "GET", Path: "/events", Status: 200, When: func(_ int, _ http.Header, b []byte) bool {
		return bytes.HasPrefix(b, []byte(`{"events":`)) || bytes.Contains(b, []byte(`"type":"event.list"`))
	}, Reason: "the description points GET /events' 200 at the summary shape; without summary=true it answers event.list (notes §9)"},
	{Name: "events-errors", Method: "GET", Path: "/events", When: validErrorList,
		Reason: "GET /events answers 400 for a missing filter and 404 for an unknown user (notes §9); undocumented"},
	{Name: "export-complete", Method: "GET", Path: "/export/content/data/{job_identifier}", Status: 200, When: func(_ int, _ http.Header, b []byte) bool {
		return bytes.Contains(b, []byte(`"status":"complete"`))
	}, Reason: `the live API answers status "complete"; the description's enum says "completed" (notes §10)`},
	{Name: "export-failed-504", Method: "GET", Path: "/export/content/data/{job_identifier}", Status: 504, When: func(_ int, _ http.Header, b []byte) bool {
		return bytes.Contains(b, []byte(`"status":"failed"`))
	}, Reason: "a failed job is answered with HTTP 504 and status failed (notes §10)"},
	{Name: "export-429", Method: "POST", Path: "/export/content/data", Status: 429, When: errorCode("rate_limit_exceeded"),
		Reason: "one content export at a time; a second answers 429 (notes §4, §10)"},
	{Name: "export-400", Method: "POST", Path: "/export/content/data", Status: 400, When: validErrorList,
		Reason: "a create without both dates, or with after > before, answers 400 (notes §10: both are required); undocumented"},
	{Name: "export-404", Path: "/export/content/data/{job_identifier}", Status: 404, When: errorCode("not_found"),
		Reason: "an unknown job answers 404 not_found (notes §10)"},
	{Name: "download-404", Path: "/download/content/data/{job_identifier}", Status: 404, When: errorCode("not_found"),
		Reason: "an unknown or expired export answers 404 'The requested resource does not exist.' (notes §10)"},
	{Name: "not-acceptable-406", Status: 406, When: errorCode("not_acceptable"),
		Reason: "an Accept that excludes the endpoint's media type (RFC 9110 §12.5.1: application/octet-stream for downloads, notes §10; JSON elsewhere) answers 406 in Intercom's envelope; no operation documents 406"},
	{Name: "unknown-path-404", NoRoute: true, Status: 404, When: errorCode("not_found"),
		Reason: "a path no operation has answers 404 not_found in Intercom's envelope"},
	{Name: "download-messages-path", Method: "GET", Path: "/download/messages/data/{id}",
		Reason: "the live API hands out download_urls under /download/messages/data/, which no description contains (notes §10)"},
	{Name: "rate-limit-429", Status: 429, When: errorCode("rate_limit_exceeded"),
		Reason: "every operation can answer 429 rate_limit_exceeded (notes §4); the description documents 429 on few operations"},
	{Name: "injected-500", Status: 500, When: errorCode("server_error"),
		Reason: "any operation can fail with 5xx (notes §3 lists server_error); the description documents none"},
	{Name: "injected-503", Status: 503, When: errorCode("service_unavailable"),
		Reason: "any operation can fail with 503 service_unavailable (notes §3)"},
	{Name: "proxy-502-html", Status: 502, When: func(_ int, h http.Header, b []byte) bool {
		return strings.HasPrefix(h.Get("Content-Type"), "text/html") && bytes.Contains(b, []byte("502 Bad Gateway"))
	}, Reason: "a proxy in front of the API answers 502 with an HTML page (issue #2, Bad input)"},
	{Name: "401-undocumented", Status: 401, When: errorCode("unauthorized"),
		Reason: "every operation answers 401 for a bad token (notes §3); some operations do not document it"},
	{Name: "version-invalid", Status: 400, When: errorCode("intercom_version_invalid"),
		Reason: "an endpoint missing from the requested version answers 400 intercom_version_invalid (notes §0, §1); documented on one operation only"},
}

// matchTemplate reports whether path fits template (segments in braces match any
// one segment).
func matchTemplate(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") || ts[i] == ps[i] {
			continue
		}
		return false
	}
	return true
}

// conformance validates every exchange against the description.
type conformance struct {
	t    testing.TB
	spec *openapispec.Spec
	mu   sync.Mutex
	used map[string]int
	n    int
}

var (
	usedMu         sync.Mutex
	deviationsUsed = map[string]int{}
)

func (c *conformance) check(req *http.Request, reqBody []byte, status int, h http.Header, body []byte) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	err := c.spec.ValidateResponse(req, reqBody, status, h, body)
	if err == nil {
		return
	}
	template := ""
	if route, _, rerr := c.spec.Route(req); rerr == nil {
		template = route.Path
	}
	for _, d := range deviations {
		if d.Method != "" && d.Method != req.Method {
			continue
		}
		if d.Status != 0 && d.Status != status {
			continue
		}
		if d.Path != "" && d.Path != template && !(template == "" && matchTemplate(d.Path, req.URL.Path)) {
			continue
		}
		if d.NoRoute && template != "" {
			continue
		}
		if d.When != nil && !d.When(status, h, body) {
			continue
		}
		usedMu.Lock()
		deviationsUsed[d.Name]++
		usedMu.Unlock()
		return
	}
	c.t.Errorf("response not in the description and no deviation names it: %v", err)
}

// wrap returns h with every exchange validated.
func (c *conformance) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		vreq := r.Clone(r.Context())
		vreq.URL.Scheme, vreq.URL.Host = "http", r.Host
		c.check(vreq, reqBody, res.StatusCode, res.Header, body)
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body)
	})
}

// env is a sandbox under test behind a real HTTP server.
type env struct {
	t     testing.TB
	s     *Server
	clock *clock
	url   string
	hc    *http.Client
}

// newEnv starts a sandbox; every answer is validated against Intercom's description
// when ../shared is present (conformance tests skip otherwise; behaviour tests run
// without it).
func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	ck := newClock()
	if opts.Now == nil {
		opts.Now = ck.Now
	}
	if opts.Contacts == 0 {
		opts.Contacts = 300
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h := s.Handler()
	if spec := loadSpec(t); spec != nil {
		h = (&conformance{t: t, spec: spec, used: map[string]int{}}).wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &env{t: t, s: s, clock: ck, url: ts.URL, hc: ts.Client()}
}

type resp struct {
	status int
	h      http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d answer: %v: %.300s", r.status, err, r.body)
	}
}

func (r resp) m(t testing.TB) map[string]any {
	t.Helper()
	var out map[string]any
	r.json(t, &out)
	return out
}

func (r resp) code(t testing.TB) string {
	t.Helper()
	var e errorList
	r.json(t, &e)
	if e.Type != "error.list" || len(e.Errors) == 0 {
		t.Fatalf("not an error.list: %.300s", r.body)
	}
	if e.RequestID == nil || !uuidRE.MatchString(*e.RequestID) {
		t.Fatalf("error without a request_id: %.300s", r.body)
	}
	return e.Errors[0].Code
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// do sends a request with the sandbox's token and Intercom-Version 2.16 unless hdr
// overrides them ("" deletes a header).
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.s.Token())
	req.Header.Set("Intercom-Version", "2.16")
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, h: res.Header, body: b}
}

func (e *env) want(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %.400s", r.status, status, r.body)
	}
	return r
}

var (
	specOnce sync.Once
	specVal  *openapispec.Spec
	specErr  error
)

// loadSpec returns the description, or nil when ../shared is absent (behaviour tests
// then run without validation; TestConformance skips).
func loadSpec(t testing.TB) *openapispec.Spec {
	specOnce.Do(func() {
		path, err := openapispec.Find()
		if err != nil {
			return
		}
		specVal, specErr = openapispec.LoadFile(path)
	})
	if specErr != nil {
		t.Fatalf("loading the description: %v", specErr)
	}
	return specVal
}
