package sandbox

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	ck := newClock()
	ck.Set(time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)) // a window boundary
	e := newEnv(t, Options{Seed: 1, Contacts: 20, RateLimit: 3, Now: ck.Now})
	for i := 0; i < 3; i++ {
		r := e.want(e.do("GET", "/me", nil), 200)
		if r.h.Get("X-RateLimit-Limit") != "3" || r.h.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: limit %s remaining %s", i, r.h.Get("X-RateLimit-Limit"), r.h.Get("X-RateLimit-Remaining"))
		}
		if want := strconv.FormatInt(ck.Now().Add(10*time.Second).Unix(), 10); r.h.Get("X-RateLimit-Reset") != want {
			t.Fatalf("reset %s, want %s", r.h.Get("X-RateLimit-Reset"), want)
		}
	}
	r := e.want(e.do("DELETE", "/contacts/"+e.s.SamplePerson().LiveContactIDs[0], nil), 429)
	var el errorList
	r.json(t, &el)
	if el.Errors[0].Code != "rate_limit_exceeded" || *el.Errors[0].Message != "Exceeded rate limit of 3 in 10_seconds" {
		t.Fatalf("429 body %s", r.body)
	}
	if r.h.Get("X-RateLimit-Remaining") != "0" {
		t.Error("429 without Remaining: 0")
	}
	if e.s.Workspace().ContactDeleted(e.s.SamplePerson().LiveContactIDs[0]) {
		t.Fatal("a rate-limited delete took effect")
	}
	ck.Add(10 * time.Second)
	e.want(e.do("GET", "/me", nil), 200)
	st := e.s.Stats()
	if st.Endpoints["DELETE /contacts/{id}"].RateLimited != 1 {
		t.Errorf("stats %+v", st.Endpoints["DELETE /contacts/{id}"])
	}
}

func TestBurst429(t *testing.T) {
	e := newEnv(t, Options{Seed: 1, Contacts: 20, Burst429: Burst{Every: 3, Length: 2}, RateLimit: -1})
	var got []int
	for i := 0; i < 10; i++ {
		got = append(got, e.do("GET", "/me", nil).status)
	}
	want := []int{200, 200, 200, 429, 429, 200, 200, 200, 429, 429}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}

func TestErrorRate(t *testing.T) {
	e := newEnv(t, Options{Seed: 1, Contacts: 20, ErrorRate: 1})
	id := e.s.SamplePerson().LiveContactIDs[0]
	for i := 0; i < 10; i++ {
		r := e.do("DELETE", "/contacts/"+id, nil)
		if r.status < 500 {
			t.Fatalf("status %d with ErrorRate 1", r.status)
		}
		if r.h.Get("X-RateLimit-Limit") == "" {
			t.Error("5xx without rate-limit headers")
		}
	}
	if e.s.Workspace().ContactDeleted(id) || e.s.Stats().Effect(EffectContactDeleted, id) != 0 {
		t.Fatal("a request answered 5xx took effect")
	}
	if n := e.s.Stats().Endpoints["DELETE /contacts/{id}"].ServerErrors; n != 10 {
		t.Fatalf("ServerErrors %d", n)
	}
	// Half the rate gives roughly half the errors.
	e2 := newEnv(t, Options{Seed: 1, Contacts: 20, ErrorRate: 0.5, RateLimit: -1})
	fails := 0
	for i := 0; i < 200; i++ {
		if e2.do("GET", "/me", nil).status >= 500 {
			fails++
		}
	}
	if fails < 60 || fails > 140 {
		t.Fatalf("%d of 200 failed at ErrorRate 0.5", fails)
	}
}

func TestDropRate(t *testing.T) {
	e := newEnv(t, Options{Seed: 1, Contacts: 20, DropRate: 1})
	req, _ := http.NewRequest("GET", e.url+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+e.s.Token())
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 5; i++ {
		res, err := hc.Do(req)
		if err == nil {
			res.Body.Close()
			t.Fatalf("DropRate 1 answered %d", res.StatusCode)
		}
	}
	if n := e.s.Stats().Endpoints["GET /me"].Dropped; n != 5 {
		t.Fatalf("Dropped %d", n)
	}
	// Half the drops come after the effect: the change is made, the client never hears.
	e2 := newEnv(t, Options{Seed: 3, Contacts: 20, DropRate: 1})
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, e2.s.AddPerson(PersonSpec{Users: 2}).ContactIDs...)
	}
	before, after := 0, 0
	for _, id := range ids {
		req, _ := http.NewRequest("DELETE", e2.url+"/contacts/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+e2.s.Token())
		if res, err := hc.Do(req); err == nil {
			res.Body.Close()
			t.Fatal("answered")
		}
		if e2.s.Workspace().ContactDeleted(id) {
			after++
		} else {
			before++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("of %d dropped deletes, %d took effect: want drops both before and after the effect", len(ids), after)
	}
	if n := e2.s.Stats().Total(func(e EndpointStats) int { return e.Dropped }); n != len(ids) {
		t.Fatalf("Dropped total %d, want %d", n, len(ids))
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{Seed: 1, Contacts: 20, Latency: 30 * time.Millisecond, LatencyJitter: 20 * time.Millisecond})
	start := time.Now()
	e.want(e.do("GET", "/me", nil), 200)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered in %v with 30ms latency", d)
	}
}

func TestExport(t *testing.T) {
	ck := newClock()
	e := newEnv(t, Options{Seed: 20, Contacts: 300, Now: ck.Now, ExportDuration: 10 * time.Minute})
	now := ck.Now().Unix()
	body := map[string]int64{"created_at_after": now - 700*day, "created_at_before": now}
	var job exportJSON
	e.want(e.do("POST", "/export/content/data", body), 200).json(t, &job)
	if job.Status != "pending" || job.DownloadURL != "" || job.DownloadExpiresAt != "" {
		t.Fatalf("new job %+v", job)
	}
	if c := e.want(e.do("POST", "/export/content/data", body), 429).code(t); c != "rate_limit_exceeded" {
		t.Fatal(c)
	}
	ck.Add(6 * time.Minute)
	e.want(e.do("GET", "/export/content/data/"+job.JobIdentifier, nil), 200).json(t, &job)
	if job.Status != "in_progress" {
		t.Fatalf("status %s at 6 of 10 minutes", job.Status)
	}
	e.want(e.do("GET", "/download/content/data/"+job.JobIdentifier, nil, "Accept", "application/octet-stream"), 404)
	ck.Add(5 * time.Minute)
	e.want(e.do("GET", "/export/content/data/"+job.JobIdentifier, nil), 200).json(t, &job)
	if job.Status != "complete" && job.Status != "completed" {
		t.Fatalf("status %s after 11 minutes", job.Status)
	}
	exp, _ := strconv.ParseInt(job.DownloadExpiresAt, 10, 64)
	if want := ck.Now().Add(-time.Minute).Add(48 * time.Hour).Unix(); exp != want {
		t.Fatalf("download_expires_at %d, want %d (2 days after completion)", exp, want)
	}
	if !strings.Contains(job.DownloadURL, "/download/messages/data/") && !strings.Contains(job.DownloadURL, "/download/content/data/") {
		t.Fatalf("download_url %s", job.DownloadURL)
	}
	path := strings.TrimPrefix(job.DownloadURL, e.url)
	if c := e.want(e.do("GET", path, nil), 406).code(t); c != "not_acceptable" {
		t.Fatal(c)
	}
	r := e.want(e.do("GET", path, nil, "Accept", "application/octet-stream"), 200)
	if !bytes.HasPrefix(r.body, []byte{0x1f, 0x8b}) {
		t.Fatal("the download is not gzip")
	}
	gz, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hdr.Name, "receipts_") || !strings.HasSuffix(hdr.Name, ".csv") {
		t.Fatalf("file %s", hdr.Name)
	}
	rows := readCSV(t, tr)
	checkReceipts(t, e, rows)
	// A second job may start now; it answers the other spelling and the other path.
	var job2 exportJSON
	e.want(e.do("POST", "/export/content/data", body), 200).json(t, &job2)
	ck.Add(11 * time.Minute)
	e.want(e.do("GET", "/export/content/data/"+job2.JobIdentifier, nil), 200).json(t, &job2)
	if job2.Status == job.Status || strings.Contains(job2.DownloadURL, "/messages/") == strings.Contains(job.DownloadURL, "/messages/") {
		t.Fatalf("jobs answered %s %s and %s %s: want both spellings and both paths", job.Status, job.DownloadURL, job2.Status, job2.DownloadURL)
	}
	// Expiry.
	ck.Add(49 * time.Hour)
	e.want(e.do("GET", path, nil, "Accept", "application/octet-stream"), 404)
	// Cancel.
	var job3 exportJSON
	e.want(e.do("POST", "/export/content/data", body), 200).json(t, &job3)
	e.want(e.do("POST", "/export/cancel/"+job3.JobIdentifier, nil), 200).json(t, &job3)
	if job3.Status != "canceled" {
		t.Fatal(job3.Status)
	}
	e.want(e.do("POST", "/export/content/data", body), 200) // a canceled job frees the slot
	if n := e.s.Stats().Effect(EffectExportCanceled, job3.JobIdentifier); n != 1 {
		t.Fatal(n)
	}
	// A range without messages finishes as no_data and has nothing to download.
	ck.Add(time.Hour)
	var empty exportJSON
	e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": 1000, "created_at_before": 2000}), 200).json(t, &empty)
	ck.Add(time.Hour)
	e.want(e.do("GET", "/export/content/data/"+empty.JobIdentifier, nil), 200).json(t, &empty)
	if empty.Status != "no_data" || empty.DownloadURL != "" {
		t.Fatalf("empty range: %+v", empty)
	}
	for _, bad := range []string{`{}`, `{"created_at_after":"x","created_at_before":1}`, `{"created_at_after":5,"created_at_before":1}`} {
		e.want(e.do("POST", "/export/content/data", bad), 400)
	}
}

func readCSV(t *testing.T, r io.Reader) [][]string {
	t.Helper()
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func checkReceipts(t *testing.T, e *env, rows [][]string) {
	t.Helper()
	if len(rows) < 2 {
		t.Fatalf("%d CSV rows", len(rows))
	}
	if strings.Join(rows[0], ",") != strings.Join(receiptColumns, ",") || !strings.Contains(strings.Join(rows[0], ","), "first_dismisall") {
		t.Fatalf("columns %v", rows[0])
	}
	c, ok := e.s.Workspace().Contact(rows[1][0])
	if !ok || rows[1][3] != c.Email {
		t.Fatalf("row %v does not match its contact", rows[1])
	}
}

func TestExportFormats(t *testing.T) {
	for _, f := range []ExportFormat{FormatZip, FormatGzipCSV} {
		ck := newClock()
		e := newEnv(t, Options{Seed: 21, Contacts: 100, Now: ck.Now, ExportFormat: f, ExportStatus: ExportCompleted})
		now := ck.Now().Unix()
		var job exportJSON
		e.want(e.do("POST", "/export/content/data", map[string]int64{"created_at_after": now - 700*day, "created_at_before": now}), 200).json(t, &job)
		ck.Add(time.Hour)
		e.want(e.do("GET", "/export/content/data/"+job.JobIdentifier, nil), 200).json(t, &job)
		if job.Status != "completed" {
			t.Fatal(job.Status)
		}
		r := e.want(e.do("GET", strings.TrimPrefix(job.DownloadURL, e.url), nil, "Accept", "application/octet-stream"), 200)
		switch f {
		case FormatZip:
			zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
			if err != nil {
				t.Fatal(err)
			}
			rc, err := zr.File[0].Open()
			if err != nil {
				t.Fatal(err)
			}
			checkReceipts(t, e, readCSV(t, rc))
		case FormatGzipCSV:
			gz, err := gzip.NewReader(bytes.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			checkReceipts(t, e, readCSV(t, gz))
		}
	}
}

func TestWebhooks(t *testing.T) {
	const secret = "whsec-test-secret"
	var mu sync.Mutex
	var got []map[string]any
	bad := 0
	rcv := newReceiver(t, func(body []byte, sig string, ua string) {
		mu.Lock()
		defer mu.Unlock()
		if sig != Sign(body, secret) || ua != "intercom-parrot-service-client/1.0" {
			bad++
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		got = append(got, m)
	})
	e := newEnv(t, Options{Seed: 22, Contacts: 30, Webhook: &WebhookOptions{URL: rcv, Secret: secret}})
	p := e.s.SamplePerson()
	e.want(e.do("POST", "/contacts/"+p.LiveContactIDs[1]+"/archive", nil), 200)
	e.want(e.do("DELETE", "/contacts/"+p.LiveContactIDs[0], nil), 200)
	np := e.s.AddPerson(PersonSpec{})
	_ = e.s.Close() // flushes the queue
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 || len(got) != 3 {
		t.Fatalf("%d notifications (%d badly signed), want 3", len(got), bad)
	}
	wantTopics := []string{"contact.archived", "contact.deleted", "contact.user.created"}
	for i, m := range got {
		item := m["data"].(map[string]any)["item"].(map[string]any)
		if m["topic"] != wantTopics[i] || m["app_id"] != e.s.Workspace().AppID() || m["type"] != "notification_event" {
			t.Errorf("notification %d: %v", i, m)
		}
		if i == 1 && (item["id"] != p.LiveContactIDs[0] || item["email"] != nil) {
			t.Errorf("contact.deleted item %v: want only identifying fields", item)
		}
		if i == 2 && item["id"] != np.ContactIDs[0] {
			t.Errorf("created item %v", item)
		}
	}
	if st := e.s.Stats(); st.WebhooksSent != 3 {
		t.Errorf("WebhooksSent %d", st.WebhooksSent)
	}
	// RFC 2202, HMAC-SHA1 test case 2.
	if got := Sign([]byte("what do ya want for nothing?"), "Jefe"); got != "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" {
		t.Errorf("Sign = %s", got)
	}
}

// TestConcurrent hammers the sandbox from many goroutines (run with -race): searches,
// reads, deletes, redactions and archives of overlapping objects. Every delete must take
// effect once.
func TestConcurrent(t *testing.T) {
	e := newEnv(t, Options{Seed: 23, Contacts: 300, RateLimit: -1})
	cs := e.s.Workspace().Contacts()
	convs := e.s.Workspace().Conversations()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				c := cs[(g*7+i)%60]
				conv := convs[(g+i)%40]
				var st int
				switch i % 5 {
				case 0:
					st = e.do("DELETE", "/contacts/"+c.ID, nil).status
				case 1:
					st = e.do("POST", "/contacts/search", `{"query":{"field":"role","operator":"=","value":"user"},"pagination":{"per_page":50}}`).status
				case 2:
					st = e.do("GET", "/conversations/"+conv.ID, nil).status
				case 3:
					st = e.do("POST", "/conversations/redact", map[string]string{"type": "source", "conversation_id": conv.ID, "source_id": conv.Source.ID}).status
				case 4:
					st = e.do("POST", "/contacts/"+c.ID+"/archive", nil).status
				}
				if st >= 500 {
					errs <- fmt.Errorf("status %d", st)
				}
				_ = e.s.Stats()
				_ = e.s.Workspace().Contacts()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.s.Stats()
	if r := st.Repeated(EffectContactDeleted); len(r) != 0 {
		t.Fatalf("contacts deleted twice: %v", r)
	}
	if r := st.Repeated(EffectPartRedacted); len(r) != 0 {
		t.Fatalf("sources redacted twice: %v", r)
	}
	liveCountMatches(t, e)
}

// liveCountMatches checks the list's total_count (kept incrementally) against the
// stored contacts.
func liveCountMatches(t *testing.T, e *env) {
	t.Helper()
	n := 0
	for _, c := range e.s.Workspace().Contacts() {
		if !c.Archived && c.MergedInto == "" {
			n++
		}
	}
	var l contactList
	e.want(e.do("GET", "/contacts?per_page=1", nil), 200).json(t, &l)
	if l.TotalCount != n {
		t.Fatalf("total_count %d, %d live contacts stored", l.TotalCount, n)
	}
}

func TestListenAndServe(t *testing.T) {
	l, err := Listen("127.0.0.1:0", Options{Seed: 1, Contacts: 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	req, _ := http.NewRequest("GET", l.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+l.Server.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("256.0.0.1:1", Options{}); err == nil {
		t.Fatal("listening on a bad address succeeded")
	}
	var oe *OptionError
	if err := ListenAndServe(ctx, "127.0.0.1:0", Options{ErrorRate: 3}); !errors.As(err, &oe) || oe.Field != "ErrorRate" {
		t.Fatal(err)
	}
}
