package intercom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
)

func TestTokenNeverRevealed(t *testing.T) {
	tok := Token(testToken)
	cfg := Config{Token: tok}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("cfg", "token", tok, "cfg", cfg)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("cfg", "token", tok)
	outs := []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %s %q %x %#v %+v", tok, tok, tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), tok.String(), tok.GoString(), logBuf.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, testToken) || strings.Contains(o, "SECRET") {
			t.Fatalf("token leaked: %s", o)
		}
	}
}

func TestConfigFromEnvAndNew(t *testing.T) {
	t.Setenv(EnvAccessToken, " "+testToken+"\n")
	t.Setenv(EnvRegion, "eu")
	t.Setenv(EnvAPIURL, "")
	t.Setenv(EnvVersion, "")
	t.Setenv(EnvTokenFile, "")
	t.Setenv(EnvBudgetShare, "")
	c, err := New(ConfigFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.share != DefaultBudgetShare {
		t.Fatalf("default budget share %v", c.cfg.share)
	}
	for v, want := range map[string]float64{"1": 1, " 0.95 ": 0.95, "0": -1, "1.5": -1, "most": -1, "NaN": -1, "-0.2": -1} {
		t.Setenv(EnvBudgetShare, v)
		c, err := New(ConfigFromEnv())
		if want < 0 {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("%s=%q: %v", EnvBudgetShare, v, err)
			}
			continue
		}
		if err != nil || c.cfg.share != want {
			t.Fatalf("%s=%q: share %v, %v", EnvBudgetShare, v, c.cfg.share, err)
		}
	}
	t.Setenv(EnvBudgetShare, "")
	if c.BaseURL() != "https://api.eu.intercom.io" || c.Version() != "2.16" {
		t.Fatalf("base %s version %s", c.BaseURL(), c.Version())
	}
	if string(c.cfg.token) != testToken {
		t.Fatal("token not trimmed")
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "tok")
	if err := os.WriteFile(p, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = New(Config{TokenFile: p, Region: "AU", Version: "2.14"})
	if err != nil || c.BaseURL() != "https://api.au.intercom.io" || c.Version() != "2.14" {
		t.Fatalf("token file config: %v %v", c, err)
	}

	bad := []Config{
		{},
		{Token: testToken, Region: "mars"},
		{Token: testToken, BaseURL: "ftp://x"},
		{Token: testToken, BaseURL: "http://user:pw@host"},
		{Token: testToken, BudgetShare: 1.5},
		{Token: "a b"},
		{TokenFile: filepath.Join(dir, "missing")},
	}
	for i, cfg := range bad {
		_, err := New(cfg)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: want ErrConfig, got %v", i, err)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("case %d: token in error", i)
		}
	}
}

func TestHeadersOnEveryRequest(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"admin","id":991,"email":"a@example.com","app":{"id_code":"abc1","name":"Acme","region":"US","created_at":"1700000000"}}`)
	})
	c := f.client(t, func(c *Config) { c.UserAgent = "tester/1" })
	me, err := c.Me(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != "991" || me.App.IDCode != "abc1" || me.App.Region != "US" || me.App.CreatedAt != 1700000000 {
		t.Fatalf("decoded %+v", me)
	}
	r := f.requests()[0]
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Intercom-Version"); got != "2.16" {
		t.Errorf("Intercom-Version = %q", got)
	}
	if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "tester/1 intercom-privacy/") {
		t.Errorf("User-Agent = %q", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

func TestGetContactDecodesQuirks(t *testing.T) {
	body := `{"type":"contact","id":12345,"external_id":987,"role":"user","email":"ann@example.com",
	"owner_id":42,"created_at":"1700000000","updated_at":1700000001,"has_hard_bounced":null,
	"avatar":"https://x/img.png","custom_attributes":{"plan":"pro","seats":3,"nested":{"a":[1,2]}},
	"location":{"type":"location","country":"France","city":"Paris","country_code":"FRA"},
	"social_profiles":{"type":"list","data":[{"type":"social_profile","name":"Twitter","url":"http://t/x"}]},
	"tags":{"type":"list","data":[{"type":"tag","id":"7","url":"/tags/7"}],"total_count":1,"has_more":false},
	"notes":{"data":[],"total_count":"0"},"companies":{"data":[{"id":"c1"}]},
	"brand_new_field":{"x":1}}`
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { writeJSON(w, 200, body) })
	c := f.client(t)
	ct, err := c.GetContact(ctx(t), "abc/../def")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[0].Path; got != "/contacts/abc/../def" {
		// The id is one escaped segment: the server sees it unescaped but routed as one.
		t.Errorf("path as received: %q", got)
	}
	if ct.ID != "12345" || ct.ExternalID != "987" || ct.OwnerID != "42" || ct.CreatedAt != 1700000000 {
		t.Fatalf("ids/timestamps: %+v", ct)
	}
	if ct.Avatar.ImageURL != "https://x/img.png" || ct.Location.City != "Paris" || len(ct.SocialProfiles.Data) != 1 {
		t.Fatalf("nested: %+v", ct)
	}
	if ct.CustomAttributes["plan"] != "pro" || ct.Tags.TotalCount != 1 || ct.Tags.Data[0].ID != "7" {
		t.Fatalf("attrs/tags: %+v", ct)
	}
	if !bytes.Contains(ct.Raw, []byte("brand_new_field")) {
		t.Fatal("Raw lost an unknown field")
	}
}

func TestEscapedIDStaysOneSegment(t *testing.T) {
	var raw atomic.Value
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		raw.Store(r.URL.EscapedPath())
		writeJSON(w, 200, `{"type":"contact","id":"x"}`)
	})
	if _, err := f.client(t).GetContact(ctx(t), "a/b?c#d"); err != nil {
		t.Fatal(err)
	}
	if got := raw.Load().(string); got != "/contacts/a%2Fb%3Fc%23d" {
		t.Fatalf("escaped path = %q", got)
	}
	if _, err := f.client(t).GetContact(ctx(t), ""); !errors.Is(err, ErrValidation) {
		t.Fatalf("empty id: %v", err)
	}
}

func TestTypedErrors(t *testing.T) {
	cases := []struct {
		status int
		code   string
		link   string
		want   error
	}{
		{404, "not_found", "", ErrNotFound},
		{401, "unauthorized", "", ErrUnauthorized},
		{403, "api_plan_restricted", "", ErrForbidden},
		{400, "intercom_version_invalid", "", ErrVersionInvalid},
		{400, "parameter_invalid", "", ErrValidation},
		{422, "data_invalid", "", ErrValidation},
		{410, "contact_merged", `</contacts/canon42>; rel="canonical"`, ErrMerged},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if tc.link != "" {
					w.Header().Set("Link", tc.link)
				}
				writeJSON(w, tc.status, errorBody(tc.code, "Message about "+tc.code+" for ann@example.com"))
			})
			_, err := f.client(t).GetContact(ctx(t), "c1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.Code != tc.code || ae.RequestID != "req-123" {
				t.Fatalf("fields: %#v", ae)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatal("token in error")
			}
			if tc.want == ErrMerged {
				var me *MergedError
				if !errors.As(err, &me) || me.CanonicalID != "canon42" {
					t.Fatalf("merged: %v", err)
				}
			}
			if f.count() != 1 {
				t.Fatalf("a %d was retried: %d requests", tc.status, f.count())
			}
		})
	}
}

func TestErrorMessageCapped(t *testing.T) {
	long := strings.Repeat("é", 1000) + "\n\x00"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 400, errorBody("bad_request", long))
	})
	_, err := f.client(t).GetContact(ctx(t), "c1")
	var ae *Error
	if !errors.As(err, &ae) || len(ae.Message) > maxMessageLen+4 || strings.ContainsAny(ae.Message, "\n\x00") {
		t.Fatalf("message not capped: %d bytes", len(ae.Message))
	}
}

func TestMalformedResponses(t *testing.T) {
	huge := `{"type":"contact","id":"1","name":"` + strings.Repeat("a", 2<<20) + `"}`
	cases := map[string]struct {
		ct, body string
		tooLarge bool
	}{
		"empty":        {"application/json", "", false},
		"truncated":    {"application/json", `{"type":"contact","id":"1","na`, false},
		"html":         {"text/html", "<html><body>502 Bad Gateway</body></html>", false},
		"html-as-json": {"application/json", "<html>oops</html>", false},
		"wrong-type":   {"application/json", `{"type":"contact","id":"1","email":{"a":1}}`, false},
		"array":        {"application/json", `[1,2,3]`, false},
		"bad-id":       {"application/json", `{"created_at":"yesterday","id":[7]}`, false}, // a bad time is tolerated, a bad id is not
		"huge":         {"application/json", huge, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.Header().Set("Content-Type", tc.ct)
				_, _ = w.Write([]byte(tc.body))
			})
			c := f.client(t, func(c *Config) { c.MaxResponseBytes = 1 << 20 })
			_, err := c.GetContact(ctx(t), "c1")
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("want ErrMalformedResponse, got %v", err)
			}
			var me *MalformedResponseError
			if !errors.As(err, &me) || me.TooLarge != tc.tooLarge || me.ContentType != tc.ct {
				t.Fatalf("details: %#v", me)
			}
			if len(tc.body) > 0 && strings.Contains(err.Error(), tc.body[min(len(tc.body), 5):min(len(tc.body), 20)]) && name != "huge" {
				t.Fatalf("error quotes the body: %v", err)
			}
			if strings.Contains(err.Error(), "502 Bad Gateway") || strings.Contains(err.Error(), "aaaa") {
				t.Fatalf("error quotes the body: %v", err)
			}
		})
	}
}

func TestHTMLErrorPageFromProxy(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		_, _ = w.Write([]byte("<html>Bad gateway</html>"))
	})
	c := f.client(t, func(c *Config) { c.MaxRetries = 1 })
	_, err := c.GetContact(ctx(t), "c1")
	var ae *Error
	if !errors.Is(err, ErrServer) || !errors.As(err, &ae) || ae.Status != 502 || ae.Attempts != 2 {
		t.Fatalf("got %v", err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d attempts, want 2", n.Load())
	}
}

func TestRetryIdempotentAfter5xxAndDrop(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch n.Add(1) {
		case 1:
			writeJSON(w, 503, errorBody("service_unavailable", "down"))
		case 2:
			drop(w)
		default:
			writeJSON(w, 200, `{"type":"contact","id":"c1"}`)
		}
	})
	c := f.client(t)
	ct, err := c.GetContact(ctx(t), "c1")
	if err != nil || ct.ID != "c1" {
		t.Fatalf("got %v %v", ct, err)
	}
	// net/http may itself resend a GET whose reused connection closed silently, so
	// the client's own count can be lower than the server's.
	if s := c.Stats(); f.count() != 3 || s.Retries < 1 || s.ServerErrors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNonIdempotentNeverBlindRetried(t *testing.T) {
	for _, mode := range []string{"500", "drop"} {
		t.Run(mode, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if mode == "drop" {
					drop(w)
					return
				}
				writeJSON(w, 500, errorBody("server_error", "boom"))
			})
			c := f.client(t)
			calls := map[string]func() error{
				"merge": func() error { _, err := c.MergeContacts(ctx(t), "lead1", "user1", MergeOptions{}); return err },
				"redact": func() error {
					_, err := c.RedactConversationPart(ctx(t), "1", "2")
					return err
				},
				"export": func() error {
					_, err := c.CreateContentExport(ctx(t), time.Unix(1e9, 0), time.Unix(1e9+86400, 0))
					return err
				},
			}
			for name, call := range calls {
				before := f.count()
				err := call()
				if !errors.Is(err, ErrUnknownOutcome) {
					t.Fatalf("%s: want ErrUnknownOutcome, got %v", name, err)
				}
				if got := f.count() - before; got != 1 {
					t.Fatalf("%s sent %d times", name, got)
				}
			}
		})
	}
}

func TestRateLimited429WaitsForResetAndRetriesEvenMerge(t *testing.T) {
	var n atomic.Int32
	var firstAt, secondAt atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("X-RateLimit-Limit", "100")
		if n.Add(1) == 1 {
			firstAt.Store(time.Now().UnixNano())
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
			writeJSON(w, 429, errorBody("rate_limit_exceeded", "Exceeded rate limit of 100 in 10_seconds"))
			return
		}
		secondAt.Store(time.Now().UnixNano())
		w.Header().Set("X-RateLimit-Remaining", "99")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(10*time.Second).Unix(), 10))
		writeJSON(w, 200, `{"type":"contact","id":"u1"}`)
	})
	c := f.client(t)
	if _, err := c.MergeContacts(ctx(t), "l1", "u1", MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d requests", n.Load())
	}
	resetWait := time.Duration(secondAt.Load() - firstAt.Load())
	if resetWait < 100*time.Millisecond {
		t.Fatalf("retried after %v, before the reset", resetWait)
	}
	if c.Stats().RateLimited != 1 {
		t.Fatalf("stats %+v", c.Stats())
	}
}

func TestRateLimitRetriesRunOut(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Retry-After", "0")
		w.Header().Set("X-RateLimit-Remaining", "0")
		writeJSON(w, 429, errorBody("rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds"))
	})
	c := f.client(t, func(c *Config) { c.MaxRateLimitRetries = 2 })
	_, err := c.GetContact(ctx(t), "c1")
	if !errors.Is(err, ErrRateLimited) || f.count() != 3 {
		t.Fatalf("got %v after %d requests", err, f.count())
	}
}

func TestExportJobLimitNotWaitedOut(t *testing.T) {
	for _, remaining := range []string{"", "150"} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if remaining != "" {
				w.Header().Set("X-RateLimit-Remaining", remaining)
			}
			writeJSON(w, 429, errorBody("rate_limit_exceeded", "Exceeded rate limit of 1 pending message data export jobs"))
		})
		_, err := f.client(t).CreateContentExport(ctx(t), time.Unix(1e9, 0), time.Unix(1e9+1, 0))
		if !errors.Is(err, ErrRateLimited) || f.count() != 1 {
			t.Fatalf("got %v after %d requests", err, f.count())
		}
	}
}

func TestPerRequestTimeout(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		writeJSON(w, 200, `{"type":"contact","id":"c1"}`)
	})
	c := f.client(t, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	if _, err := c.GetContact(ctx(t), "c1"); err != nil {
		t.Fatalf("timeout not retried: %v", err)
	}
	// A non-idempotent call that times out has an unknown outcome.
	n.Store(0)
	_, err := c.MergeContacts(ctx(t), "l", "u", MergeOptions{})
	if !errors.Is(err, ErrUnknownOutcome) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("merge timeout: %v", err)
	}
}

func TestRedactAlreadyRedacted(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Method == "GET" && r.URL.Path == "/conversations/77" {
			writeJSON(w, 200, `{"type":"conversation","id":"77","source":{"id":"s1","redacted":true},"conversation_parts":{"conversation_parts":[{"id":"5","redacted":true},{"id":"6","redacted":false}]}}`)
			return
		}
		var b map[string]string
		_ = json.Unmarshal(body, &b)
		if b["conversation_id"] != "77" {
			writeJSON(w, 400, errorBody("parameter_invalid", "bad body"))
			return
		}
		switch n.Add(1) {
		case 1:
			writeJSON(w, 200, `{"type":"conversation","id":"77","conversation_parts":{"conversation_parts":[{"id":"5","body":"<p><i>This message was deleted</i></p>","redacted":true}]}}`)
		case 2:
			writeJSON(w, 400, errorBody("conversation_part_not_redactable", "The conversation part has already been redacted"))
		default:
			writeJSON(w, 400, errorBody("bad_request", "Bad request"))
		}
	})
	c := f.client(t)
	r, err := c.RedactConversationPart(ctx(t), "77", "5")
	if err != nil || r.AlreadyRedacted || r.Conversation == nil || !bool(r.Conversation.ConversationParts.ConversationParts[0].Redacted) {
		t.Fatalf("first: %+v %v", r, err)
	}
	r, err = c.RedactConversationPart(ctx(t), "77", "5")
	if err != nil || !r.AlreadyRedacted {
		t.Fatalf("second (message says so): %+v %v", r, err)
	}
	before := f.count()
	r, err = c.RedactConversationSource(ctx(t), "77", "s1")
	if err != nil || !r.AlreadyRedacted || f.count() != before+2 {
		t.Fatalf("source (checked by a GET): %+v %v", r, err)
	}
	_, err = c.RedactConversationPart(ctx(t), "77", "6")
	if !errors.Is(err, ErrValidation) {
		t.Fatalf("part 6 is not redacted, the 400 must surface: %v", err)
	}
	if _, err = c.RedactConversationPart(ctx(t), "78", "6"); !errors.Is(err, ErrValidation) {
		t.Fatalf("parameter error: %v", err)
	}
}

func TestExportLifecycle(t *testing.T) {
	var gets atomic.Int32
	var f *fake
	f = newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/export/content/data":
			writeJSON(w, 200, `{"job_identifier":"job1","status":"pending","download_url":"","download_expires_at":""}`)
		case r.URL.Path == "/export/content/data/job1":
			if gets.Add(1) == 1 {
				writeJSON(w, 200, `{"job_identifier":"job1","status":"complete","download_url":"`+f.srv.URL+`/download/messages/data/job1","download_expires_at":"1700000000"}`)
				return
			}
			writeJSON(w, 504, `{"job_identifier":"job1","status":"failed","download_url":"","download_expires_at":""}`)
		case r.URL.Path == "/export/cancel/job1":
			writeJSON(w, 200, `{"job_identifier":"job1","status":"canceled"}`)
		case r.URL.Path == "/download/messages/data/job1":
			if r.Header.Get("Accept") != "application/octet-stream" {
				w.WriteHeader(406)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("\x1f\x8bGZIPDATA"))
		default:
			writeJSON(w, 404, errorBody("not_found", "Object not found."))
		}
	})
	c := f.client(t)
	d, err := c.CreateContentExport(ctx(t), time.Unix(1.7e9, 0), time.Unix(1.7e9+86400, 0))
	if err != nil || d.JobIdentifier != "job1" || d.Status != ExportPending || d.DownloadExpiresAt != 0 {
		t.Fatalf("create %+v %v", d, err)
	}
	d, err = c.GetContentExport(ctx(t), "job1")
	if err != nil || !d.Completed() || !d.Finished() || d.DownloadExpiresAt != 1700000000 {
		t.Fatalf("status %+v %v", d, err)
	}
	rc, err := c.DownloadExport(ctx(t), d.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(rc)
	rc.Close()
	if buf.String() != "\x1f\x8bGZIPDATA" {
		t.Fatalf("download %q", buf.String())
	}
	d, err = c.GetContentExport(ctx(t), "job1")
	if err != nil || d.Status != ExportFailed || d.Completed() || !d.Finished() {
		t.Fatalf("504 failed job: %+v %v", d, err)
	}
	if gets.Load() != 2 {
		t.Fatalf("the 504 job answer was retried: %d gets", gets.Load())
	}
	d, err = c.CancelContentExport(ctx(t), "job1")
	if err != nil || d.Status != ExportCanceled {
		t.Fatalf("cancel %+v %v", d, err)
	}
	before := f.count()
	for _, u := range []string{"https://evil.example.com/download/x", "//evil.example.com/x", "http://127.0.0.1:1/x"} {
		if _, err := c.DownloadExport(ctx(t), u); !errors.Is(err, ErrForeignHost) {
			t.Fatalf("%s: %v", u, err)
		}
	}
	if f.count() != before {
		t.Fatal("a refused download sent a request")
	}
}

func TestGatewayTimeoutWithoutJobBody(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(504)
		_, _ = w.Write([]byte("<html>gateway timeout</html>"))
	})
	_, err := f.client(t).GetContentExport(ctx(t), "j")
	if !errors.Is(err, ErrServer) {
		t.Fatalf("got %v", err)
	}
}

func TestEventsValidation(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { writeJSON(w, 200, `{}`) })
	c := f.client(t)
	for _, of := range []EventsOf{{}, {Email: "a@b", UserID: "u"}} {
		for _, err := range c.ListEvents(ctx(t), of, ListOptions{}) {
			if !errors.Is(err, ErrValidation) {
				t.Fatalf("%+v: %v", of, err)
			}
		}
		if _, err := c.EventSummary(ctx(t), of); !errors.Is(err, ErrValidation) {
			t.Fatal(err)
		}
	}
	if f.count() != 0 {
		t.Fatal("invalid selector sent a request")
	}
}

func TestErrorsNameNoIdentifiers(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 404, errorBody("not_found", "User Not Found"))
	})
	c := f.client(t)
	_, err := c.FindContactByExternalID(ctx(t), "ann.lee@example.com")
	if !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "ann.lee") || !strings.Contains(err.Error(), "{external_id}") {
		t.Fatalf("error %q", err)
	}
	var last error
	for _, err := range c.ListEvents(ctx(t), EventsOf{Email: "ann.lee@example.com"}, ListOptions{}) {
		last = err
	}
	if last == nil || strings.Contains(last.Error(), "ann.lee") {
		t.Fatalf("error %v", last)
	}
}

func TestDownloadStreamOutlivesTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("chunk"))
		w.(http.Flusher).Flush()
		select { // the rest comes once the call's timeout is long past
		case <-release:
		case <-r.Context().Done():
			return
		}
		for i := 0; i < 4; i++ {
			_, _ = w.Write([]byte("chunk"))
			w.(http.Flusher).Flush()
		}
	})
	const timeout = 50 * time.Millisecond
	c := f.client(t, func(c *Config) { c.Timeout = timeout })
	rc, err := c.DownloadExport(ctx(t), f.srv.URL+"/download/content/data/j")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, 5)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	testwait.Until(t, "three timeouts to pass mid-stream", func() bool { return time.Since(began) > 3*timeout })
	close(release)
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil || buf.Len() != 20 {
		t.Fatalf("read %d more bytes: %v", buf.Len(), err)
	}
}

func TestIteratorStopsOnContextCancel(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"list","data":[{"id":"1"},{"id":"2"}],"pages":{"next":{"starting_after":"`+strconv.Itoa(int(time.Now().UnixNano()))+`"}}}`)
	})
	c := f.client(t)
	cx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	var last error
	n := 0
	for _, err := range c.ListContacts(cx, ListOptions{}) {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 3 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) || f.count() != 2 {
		t.Fatalf("err %v after %d requests", last, f.count())
	}
}

func TestAPIURLOverridesRegion(t *testing.T) {
	t.Setenv(EnvAccessToken, testToken)
	t.Setenv(EnvRegion, "eu")
	t.Setenv(EnvAPIURL, "http://127.0.0.1:8081/")
	t.Setenv(EnvVersion, "2.15")
	c, err := New(ConfigFromEnv())
	if err != nil || c.BaseURL() != "http://127.0.0.1:8081" || c.Version() != "2.15" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestAddAdminNoteSentOnce(t *testing.T) {
	var n int
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		n++
		if !strings.Contains(string(body), `"message_type":"note"`) || !strings.Contains(string(body), `"admin_id":"7"`) {
			t.Errorf("note body: %s", body)
		}
		writeJSON(w, 502, `{"type":"error.list","errors":[{"code":"server_error","message":"x"}]}`)
	})
	c := f.client(t)
	_, err := c.AddAdminNote(ctx(t), "1", "7", "<p>removed</p>")
	if !errors.Is(err, ErrUnknownOutcome) && !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v", err)
	}
	if n != 1 {
		t.Fatalf("a note was sent %d times, want once (not idempotent)", n)
	}
	if _, err := c.AddAdminNote(ctx(t), "1", "7", ""); !errors.Is(err, ErrValidation) {
		t.Fatalf("empty body: %v", err)
	}
}

func TestRepliesSentOnce(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		bodies = append(bodies, r.URL.Path+" "+string(body))
		mu.Unlock()
		writeJSON(w, 502, `{"type":"error.list","errors":[{"code":"server_error","message":"x"}]}`)
	})
	c := f.client(t)
	if _, err := c.AddAdminReply(ctx(t), "1", "7", "<p>hello</p>"); !errors.Is(err, ErrUnknownOutcome) && !errors.Is(err, ErrServer) {
		t.Fatalf("reply: %v", err)
	}
	if _, err := c.ReplyTicket(ctx(t), "9", "7", TicketReplyComment, "hello"); !errors.Is(err, ErrUnknownOutcome) && !errors.Is(err, ErrServer) {
		t.Fatalf("ticket reply: %v", err)
	}
	if len(bodies) != 2 || !strings.Contains(bodies[0], `"message_type":"comment"`) || !strings.Contains(bodies[0], `"type":"admin"`) ||
		!strings.HasPrefix(bodies[1], "/tickets/9/reply ") || !strings.Contains(bodies[1], `"message_type":"comment"`) {
		t.Fatalf("sent %q, want each reply once, as an admin comment", bodies)
	}
	for name, err := range map[string]error{
		"empty body":  func() error { _, err := c.AddAdminReply(ctx(t), "1", "7", ""); return err }(),
		"no admin":    func() error { _, err := c.ReplyTicket(ctx(t), "9", "", TicketReplyNote, "x"); return err }(),
		"quick reply": func() error { _, err := c.ReplyTicket(ctx(t), "9", "7", "quick_reply", "x"); return err }(),
		"no contact":  func() error { _, err := c.CreateTicket(ctx(t), TicketFields{TicketTypeID: "1"}); return err }(),
	} {
		if !errors.Is(err, ErrValidation) {
			t.Errorf("%s: %v, want ErrValidation", name, err)
		}
	}
}
