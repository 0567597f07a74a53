package sandbox

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAcceptQuality(t *testing.T) {
	jsonParams := map[string]string{"charset": "utf-8"}
	for _, tc := range []struct {
		accept  []string // nil: no header
		offered string
		want    int
	}{
		{nil, mediaBinary, 1000},
		{[]string{"*/*"}, mediaBinary, 1000},
		{[]string{"application/*"}, mediaBinary, 1000},
		{[]string{"application/octet-stream"}, mediaBinary, 1000},
		{[]string{"APPLICATION/Octet-Stream"}, mediaBinary, 1000},
		{[]string{"application/json"}, mediaBinary, 0},
		{[]string{"application/json, */*;q=0.1"}, mediaBinary, 100},
		{[]string{"application/json", "*/*;q=0.25"}, mediaBinary, 250}, // two header lines
		{[]string{"*/*;q=0.5, application/octet-stream;q=0"}, mediaBinary, 0},
		{[]string{"application/octet-stream;q=0, */*"}, mediaBinary, 0},
		{[]string{"application/*;q=0, */*"}, mediaBinary, 0},
		{[]string{"application/*;q=0, application/octet-stream;q=0.3"}, mediaBinary, 300},
		{[]string{"*/*;q=0"}, mediaBinary, 0},
		{[]string{"text/html"}, mediaJSON, 0},
		{[]string{"application/json;charset=utf-8"}, mediaJSON, 1000},
		{[]string{`application/json;charset="UTF-8"`}, mediaJSON, 1000},
		{[]string{"application/json;charset=latin1, text/*"}, mediaJSON, 0},
		{[]string{"application/json;charset=utf-8;q=0, application/json"}, mediaJSON, 0},
		{[]string{"application/json;q=0.001"}, mediaJSON, 1},
		{[]string{"application/json;q=1.000"}, mediaJSON, 1000},
		{[]string{"application/json;q=1.5, text/html"}, mediaJSON, 0}, // bad q: element skipped
		{[]string{"application/json;q=0.0001"}, mediaJSON, 1000},      // four decimals: skipped, nothing well-formed left
		{[]string{"garbage"}, mediaJSON, 1000},                        // nothing well-formed: header ignored
		{[]string{"*/json"}, mediaJSON, 1000},                         // malformed range: ignored
		{[]string{",, ,"}, mediaJSON, 1000},
		{[]string{`text/plain;x="a,b", application/json;q=0.2`}, mediaJSON, 200},
		{[]string{"application/json;q=0.5;ext=1"}, mediaJSON, 500},
	} {
		params := map[string]string(nil)
		if tc.offered == mediaJSON {
			params = jsonParams
		}
		if got := acceptQuality(tc.accept, tc.offered, params); got != tc.want {
			t.Errorf("Accept %q for %s: quality %d, want %d", tc.accept, tc.offered, got, tc.want)
		}
	}
}

// TestDownloadNegotiation: the official SDK's default Accept (*/*) and a missing one
// get the download; only an Accept that excludes application/octet-stream gets 406.
func TestDownloadNegotiation(t *testing.T) {
	e := newEnv(t, Options{Seed: 3, Contacts: 50, ExportDuration: time.Minute})
	now := e.clock.Now().Unix()
	job := e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - 400*day, "created_at_before": now}), 200).m(t)
	e.clock.Add(2 * time.Minute)
	path := "/download/content/data/" + job["job_identifier"].(string)
	for _, accept := range []string{"*/*", "", "application/*", "application/octet-stream", "application/json;q=0.9, */*;q=0.1",
		"application/octet-stream;q=0.001"} {
		r := e.do("GET", path, nil, "Accept", accept)
		if r.status != 200 || r.h.Get("Content-Type") != mediaBinary {
			t.Errorf("Accept %q: %d %s", accept, r.status, r.h.Get("Content-Type"))
		}
	}
	for _, accept := range []string{"application/json", "text/*", "*/*;q=0.5, application/octet-stream;q=0", "application/*;q=0"} {
		r := e.do("GET", path, nil, "Accept", accept)
		if r.status != 406 || r.code(t) != "not_acceptable" {
			t.Errorf("Accept %q: %d %.200s, want 406 not_acceptable", accept, r.status, r.body)
		}
	}
	// JSON endpoints negotiate the same way.
	e.want(e.do("GET", "/me", nil, "Accept", "*/*"), 200)
	e.want(e.do("GET", "/me", nil, "Accept", ""), 200)
	if r := e.do("GET", "/me", nil, "Accept", "text/html, application/xml;q=0.9"); r.status != 406 || r.code(t) != "not_acceptable" {
		t.Errorf("/me with Accept text/html: %d %.200s", r.status, r.body)
	}
}

// TestUnroutableAnswersErrorList sends requests no endpoint takes, over a raw
// connection so that nothing rewrites them, and checks each answer is Intercom's
// error.list with a request id (no redirect, no empty body).
func TestUnroutableAnswersErrorList(t *testing.T) {
	s, err := New(Options{Seed: 1, Contacts: 20, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, line := range []string{"0 /.# HTTP/1.1", "0 /. HTTP/1.1", "GET /contacts/../me HTTP/1.1", "GET //me HTTP/1.1",
		"PATCH /contacts HTTP/1.1", "GET /contacts/ HTTP/1.1", "GET /./me HTTP/1.1"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, line+"\r\nHost: sandbox.test\r\nAuthorization: Bearer "+s.Token()+"\r\nConnection: close\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		conn.Close()
		var e errorList
		if res.StatusCode != 404 || json.Unmarshal(body, &e) != nil || e.Type != "error.list" || e.RequestID == nil ||
			!uuidRE.MatchString(*e.RequestID) || len(e.Errors) != 1 || e.Errors[0].Code != "not_found" {
			t.Errorf("%s: %d %q %.200s", line, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}

func FuzzAccept(f *testing.F) {
	for _, s := range []string{"*/*", "application/json;q=0.5, text/*;q=0", `a/b;x="q=1,\"";q=1`, "application/octet-stream;q=0.000", ";;,/", "*/*;q="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		for _, mt := range []string{mediaJSON, mediaBinary} {
			q := acceptQuality([]string{accept}, mt, map[string]string{"charset": "utf-8"})
			if q < 0 || q > 1000 {
				t.Fatalf("%q: quality %d", accept, q)
			}
			// Adding "*/*;q=0" after the header never raises a quality.
			if q2 := acceptQuality([]string{accept, "*/*;q=0"}, mt, map[string]string{"charset": "utf-8"}); q2 > q && len(parseAccept([]string{accept})) > 0 {
				t.Fatalf("%q: */*;q=0 raised %d to %d", accept, q, q2)
			}
		}
	})
}
