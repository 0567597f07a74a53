package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

var secret = []byte("client-secret-for-tests")

const personEmail = "jane.roe.marker@example.com"

func contactBody(id, topic string) []byte {
	return []byte(fmt.Sprintf(`{"type":"notification_event","id":%q,"topic":%q,"app_id":"abc123","created_at":1764320000,
"delivery_attempts":1,"first_sent_at":1764320001,"delivery_status":"pending","self":null,"links":{},
"data":{"type":"notification_event_data","item":{"type":"contact","id":"6650a1b2c3d4e5f600000001","external_id":"ext-42",
"role":"user","email":%q,"name":"Jane Roe","phone":"+15555550123","custom_attributes":{"plan":"pro"}}}}`, id, topic, personEmail))
}

func TestVerify(t *testing.T) {
	// RFC 2202 test case 2 for HMAC-SHA1.
	if err := webhook.Verify([]byte("Jefe"), []byte("what do ya want for nothing?"), "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"); err != nil {
		t.Fatalf("RFC 2202 vector: %v", err)
	}
	body := contactBody("notif_1", "contact.deleted")
	good := webhook.Sign(secret, body)
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   error
	}{
		{"good", secret, body, good, nil},
		{"upper hex and prefix", secret, body, "SHA1=" + strings.ToUpper(good[5:]), nil},
		{"surrounding space", secret, body, " " + good + " ", nil},
		{"missing", secret, body, "", webhook.ErrMissingSignature},
		{"blank", secret, body, "   ", webhook.ErrMissingSignature},
		{"no prefix", secret, body, good[5:], webhook.ErrMalformedSignature},
		{"sha256", secret, body, "sha256=" + good[5:], webhook.ErrMalformedSignature},
		{"short", secret, body, good[:44], webhook.ErrMalformedSignature},
		{"long", secret, body, good + "00", webhook.ErrMalformedSignature},
		{"not hex", secret, body, "sha1=" + strings.Repeat("zz", 20), webhook.ErrMalformedSignature},
		{"wrong secret", []byte("other"), body, good, webhook.ErrBadSignature},
		{"modified body", secret, append(append([]byte{}, body...), ' '), good, webhook.ErrBadSignature},
		{"empty body signed with other", secret, nil, good, webhook.ErrBadSignature},
		{"no secret", nil, body, good, webhook.ErrNoSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.Verify(tc.secret, tc.body, tc.header)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	n, err := webhook.Parse(contactBody("notif_ccd8a4d2", "contact.user.updated"))
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != "notif_ccd8a4d2" || n.Topic != webhook.TopicContactUserUpdated || n.AppID != "abc123" ||
		!n.CreatedAt.Equal(time.Unix(1764320000, 0)) || !n.FirstSentAt.Equal(time.Unix(1764320001, 0)) ||
		n.DeliveryAttempts != 1 || n.DataType != "notification_event_data" {
		t.Errorf("parsed %+v", n)
	}
	if !n.Topic.UpdatesContact() || n.Topic.PurgesContact() {
		t.Error("topic classification")
	}
	ref, err := n.Ref()
	if err != nil || ref != (webhook.ItemRef{Type: "contact", ID: "6650a1b2c3d4e5f600000001", ExternalID: "ext-42", Role: "user"}) {
		t.Errorf("Ref = %+v, %v", ref, err)
	}
	var item map[string]any
	if err := json.Unmarshal(n.Item, &item); err != nil || item["email"] != personEmail {
		t.Errorf("item not kept raw: %v", err)
	}

	// A 2.16 minimal *.deleted payload.
	minimal := `{"type":"notification_event","id":"notif_2","topic":"contact.deleted","app_id":"abc","created_at":"1764320000",
	"data":{"type":"notification_event_data","item":{"type":"contact","id":123456,"external_id":null}}}`
	n, err = webhook.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	ref, err = n.Ref()
	if err != nil || ref.ID != "123456" || ref.ExternalID != "" || ref.Type != "contact" || !n.Topic.PurgesContact() {
		t.Errorf("minimal: %+v %v", ref, err)
	}
	if !n.CreatedAt.Equal(time.Unix(1764320000, 0)) || n.DeliveryAttempts != 0 || !n.FirstSentAt.IsZero() {
		t.Errorf("minimal times: %+v", n)
	}
	// API 1.x user_id fallback.
	n, _ = webhook.Parse([]byte(`{"type":"notification_event","id":"x","topic":"user.deleted","data":{"item":{"type":"user","id":"1","user_id":"u-9"}}}`))
	if ref, _ := n.Ref(); ref.ExternalID != "u-9" {
		t.Errorf("user_id fallback: %+v", ref)
	}
	// Ping with a null id.
	ping := `{"type":"notification_event","app_id":"abc","data":{"type":"notification_event_data","item":{"type":"ping","message":"hi"}},"links":{},"id":null,"topic":"ping","delivery_status":null,"delivery_attempts":1,"delivered_at":0,"first_sent_at":1482846137,"created_at":1482846137,"self":null}`
	if n, err := webhook.Parse([]byte(ping)); err != nil || n.Topic != webhook.TopicPing || n.ID != "" {
		t.Errorf("ping: %+v %v", n, err)
	}

	bad := []struct {
		name  string
		body  string
		want  error
		field string
	}{
		{"empty", ``, webhook.ErrMalformedJSON, ""},
		{"garbage", `{"type":`, webhook.ErrMalformedJSON, ""},
		{"trailing", `{"type":"notification_event","id":"a","topic":"t","data":{"item":{}}} x`, webhook.ErrMalformedJSON, ""},
		{"array", `[1,2]`, webhook.ErrWrongType, ""},
		{"string", `"x"`, webhook.ErrWrongType, ""},
		{"wrong envelope type", `{"type":"event","id":"a","topic":"t","data":{"item":{}}}`, webhook.ErrWrongType, "type"},
		{"missing type", `{"id":"a","topic":"t","data":{"item":{}}}`, webhook.ErrWrongType, "type"},
		{"missing id", `{"type":"notification_event","topic":"contact.deleted","data":{"item":{}}}`, webhook.ErrMissingField, "id"},
		{"empty id", `{"type":"notification_event","id":"","topic":"contact.deleted","data":{"item":{}}}`, webhook.ErrMissingField, "id"},
		{"numeric id", `{"type":"notification_event","id":5,"topic":"contact.deleted","data":{"item":{}}}`, webhook.ErrWrongType, "id"},
		{"missing topic", `{"type":"notification_event","id":"a","data":{"item":{}}}`, webhook.ErrMissingField, "topic"},
		{"topic object", `{"type":"notification_event","id":"a","topic":{},"data":{"item":{}}}`, webhook.ErrWrongType, "topic"},
		{"topic newline", `{"type":"notification_event","id":"a","topic":"contact.deleted\nfake log","data":{"item":{}}}`, webhook.ErrInvalidValue, "topic"},
		{"id control", `{"type":"notification_event","id":"a\u0000","topic":"t","data":{"item":{}}}`, webhook.ErrInvalidValue, "id"},
		{"id too long", `{"type":"notification_event","id":"` + strings.Repeat("a", 256) + `","topic":"t","data":{"item":{}}}`, webhook.ErrInvalidValue, "id"},
		{"missing data", `{"type":"notification_event","id":"a","topic":"t"}`, webhook.ErrMissingField, "data"},
		{"data string", `{"type":"notification_event","id":"a","topic":"t","data":"x"}`, webhook.ErrWrongType, "data"},
		{"item missing", `{"type":"notification_event","id":"a","topic":"t","data":{"type":"notification_event_data"}}`, webhook.ErrMissingField, "data.item"},
		{"item array", `{"type":"notification_event","id":"a","topic":"t","data":{"item":[1]}}`, webhook.ErrWrongType, "data.item"},
		{"data.type number", `{"type":"notification_event","id":"a","topic":"t","data":{"type":1,"item":{}}}`, webhook.ErrWrongType, "data.type"},
		{"created_at bool", `{"type":"notification_event","id":"a","topic":"t","created_at":true,"data":{"item":{}}}`, webhook.ErrWrongType, "created_at"},
		{"created_at negative", `{"type":"notification_event","id":"a","topic":"t","created_at":-1,"data":{"item":{}}}`, webhook.ErrInvalidValue, "created_at"},
		{"created_at huge", `{"type":"notification_event","id":"a","topic":"t","created_at":1e300,"data":{"item":{}}}`, webhook.ErrInvalidValue, "created_at"},
		{"created_at text", `{"type":"notification_event","id":"a","topic":"t","created_at":"soon","data":{"item":{}}}`, webhook.ErrInvalidValue, "created_at"},
		{"attempts float", `{"type":"notification_event","id":"a","topic":"t","delivery_attempts":1.5,"data":{"item":{}}}`, webhook.ErrInvalidValue, "delivery_attempts"},
		{"attempts string", `{"type":"notification_event","id":"a","topic":"t","delivery_attempts":"1","data":{"item":{}}}`, webhook.ErrWrongType, "delivery_attempts"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := webhook.Parse([]byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *webhook.ParseError
			if !errors.As(err, &pe) || pe.Field != tc.field {
				t.Fatalf("field = %q (%v), want %q", pe.Field, err, tc.field)
			}
		})
	}
	// Ref on bad ids.
	n, _ = webhook.Parse([]byte(`{"type":"notification_event","id":"a","topic":"t","data":{"item":{"id":{"x":1}}}}`))
	if _, err := n.Ref(); !errors.Is(err, webhook.ErrWrongType) {
		t.Errorf("Ref object id: %v", err)
	}
	n, _ = webhook.Parse([]byte(`{"type":"notification_event","id":"a","topic":"t","data":{"item":{"id":1.5}}}`))
	if _, err := n.Ref(); !errors.Is(err, webhook.ErrWrongType) {
		t.Errorf("Ref float id: %v", err)
	}
	if _, err := (webhook.Notification{}).Ref(); !errors.Is(err, webhook.ErrWrongType) {
		t.Errorf("Ref on zero notification: %v", err)
	}
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newServer(t *testing.T, sink webhook.Sink, maxBody int64) (*httptest.Server, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	h := webhook.Handler(webhook.HandlerOptions{Secret: secret, MaxBody: maxBody, Sink: sink,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, logs
}

func post(t *testing.T, url string, body []byte, sig, ct string, chunked bool) (int, string) {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length: sent chunked
	}
	req, err := http.NewRequest(http.MethodPost, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if sig != "" {
		req.Header.Set(webhook.SignatureHeader, sig)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", "intercom-parrot-service-client/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHandlerRejectsWithoutSideEffects(t *testing.T) {
	sink := &webhooktest.MemorySink{}
	srv, logs := newServer(t, sink, 4096)
	url := srv.URL + webhook.Path
	body := contactBody("notif_1", "contact.deleted")
	good := webhook.Sign(secret, body)
	big := append(bytes.Repeat([]byte(" "), 4097), body...)
	notJSON := []byte(`{"type":"notification_event","id":` + personEmail)
	noID := []byte(`{"type":"notification_event","topic":"contact.deleted","data":{"item":{"email":"` + personEmail + `"}}}`)
	cases := []struct {
		name    string
		method  string
		body    []byte
		sig     string
		ct      string
		chunked bool
		want    int
	}{
		{"GET", http.MethodGet, nil, "", "", false, 405},
		{"PUT", http.MethodPut, body, good, "application/json", false, 405},
		{"form content type", http.MethodPost, body, good, "application/x-www-form-urlencoded", false, 415},
		{"bad content type", http.MethodPost, body, good, "%%%", false, 415},
		{"too large", http.MethodPost, big, webhook.Sign(secret, big), "application/json", false, 413},
		{"too large chunked", http.MethodPost, big, webhook.Sign(secret, big), "application/json", true, 413},
		{"missing signature", http.MethodPost, body, "", "application/json", false, 401},
		{"malformed signature", http.MethodPost, body, "sha1=xyz", "application/json", false, 401},
		{"bad signature", http.MethodPost, body, webhook.Sign([]byte("wrong"), body), "application/json", false, 401},
		{"tampered body", http.MethodPost, bytes.Replace(body, []byte("contact.deleted"), []byte("contact.created"), 1), good, "application/json", false, 401},
		{"malformed JSON", http.MethodPost, notJSON, webhook.Sign(secret, notJSON), "application/json", false, 400},
		{"missing id", http.MethodPost, noID, webhook.Sign(secret, noID), "application/json; charset=utf-8", false, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			if tc.method == http.MethodPost {
				code, _ = post(t, url, tc.body, tc.sig, tc.ct, tc.chunked)
			} else {
				req, _ := http.NewRequest(tc.method, url, bytes.NewReader(tc.body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				code = resp.StatusCode
				if code == 405 && resp.Header.Get("Allow") != "POST" {
					t.Error("405 without Allow: POST")
				}
			}
			if code != tc.want {
				t.Fatalf("status %d, want %d", code, tc.want)
			}
			if sink.Calls() != 0 {
				t.Fatalf("rejected request reached the sink")
			}
		})
	}
	if strings.Contains(logs.String(), personEmail) || strings.Contains(logs.String(), "Jane") {
		t.Errorf("logs contain personal data:\n%s", logs)
	}
	if strings.Contains(logs.String(), string(secret)) {
		t.Error("logs contain the secret")
	}
}

func TestHandlerAcceptsAndDeduplicates(t *testing.T) {
	sink := &webhooktest.MemorySink{}
	srv, logs := newServer(t, sink, 0)
	url := srv.URL + webhook.Path
	body := contactBody("notif_replayed", "contact.deleted")
	sig := webhook.Sign(secret, body)
	for i := range 1000 {
		code, resp := post(t, url, body, sig, "application/json", i%2 == 1)
		if code != 200 {
			t.Fatalf("delivery %d: status %d %s", i, code, resp)
		}
		want := `"duplicate"`
		if i == 0 {
			want = `"accepted"`
		}
		if !strings.Contains(resp, want) {
			t.Fatalf("delivery %d: body %q, want %s", i, resp, want)
		}
	}
	if sink.Calls() != 1000 {
		t.Errorf("sink called %d times, want 1000", sink.Calls())
	}
	if got := sink.Stored(); len(got) != 1 || got[0].ID != "notif_replayed" {
		t.Errorf("stored %d notifications, want 1", len(got))
	}
	// A second id and a ping with no content type header.
	b2 := contactBody("notif_other", "contact.archived")
	if code, _ := post(t, url, b2, webhook.Sign(secret, b2), "", false); code != 200 {
		t.Errorf("second notification: %d", code)
	}
	ping := []byte(`{"type":"notification_event","id":null,"topic":"ping","data":{"item":{"type":"ping"}}}`)
	if code, _ := post(t, url, ping, webhook.Sign(secret, ping), "application/json", false); code != 200 {
		t.Errorf("ping: %d", code)
	}
	if n := len(sink.Stored()); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
	if strings.Contains(logs.String(), personEmail) || strings.Contains(logs.String(), "ext-42") {
		t.Errorf("logs contain personal data")
	}
	if !strings.Contains(logs.String(), "notif_replayed") {
		t.Error("accepted notifications are not logged by id")
	}
}

func TestHandlerConcurrentReplays(t *testing.T) {
	sink := &webhooktest.MemorySink{}
	srv, _ := newServer(t, sink, 0)
	body := contactBody("notif_concurrent", "contact.deleted")
	sig := webhook.Sign(secret, body)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if code, _ := post(t, srv.URL+webhook.Path, body, sig, "application/json", false); code != 200 {
					t.Errorf("status %d", code)
				}
			}
		})
	}
	wg.Wait()
	if sink.Calls() != 200 || len(sink.Stored()) != 1 {
		t.Errorf("calls %d stored %d", sink.Calls(), len(sink.Stored()))
	}
}

func TestHandlerSinkFailureAndMisconfiguration(t *testing.T) {
	sink := &webhooktest.MemorySink{Err: errors.New("database is locked")}
	srv, _ := newServer(t, sink, 0)
	body := contactBody("notif_fail", "contact.deleted")
	if code, _ := post(t, srv.URL+webhook.Path, body, webhook.Sign(secret, body), "application/json", false); code != 500 {
		t.Errorf("sink failure: %d, want 500", code)
	}
	for name, opts := range map[string]webhook.HandlerOptions{
		"no secret": {Sink: &webhooktest.MemorySink{}},
		"no sink":   {Secret: secret},
	} {
		rec := webhooktest.Post(webhook.Handler(opts), body, webhook.Sign(secret, body))
		if rec.Code != 500 {
			t.Errorf("%s: %d, want 500", name, rec.Code)
		}
	}
	// SinkFunc adapter and context propagation.
	var gotCtx context.Context
	h := webhook.Handler(webhook.HandlerOptions{Secret: secret, Sink: webhook.SinkFunc(func(ctx context.Context, n webhook.Notification, raw []byte) (bool, error) {
		gotCtx = ctx
		return false, nil
	})})
	rec := webhooktest.Post(h, body, webhook.Sign(secret, body))
	if rec.Code != 200 || gotCtx == nil {
		t.Errorf("SinkFunc: %d", rec.Code)
	}
}

func TestHandlerOtherWorkspace(t *testing.T) {
	sink := &webhooktest.MemorySink{}
	h := webhook.Handler(webhook.HandlerOptions{Secret: secret, Sink: sink, AppID: "abc123"})
	for _, tc := range []struct {
		app, want string
		calls     int
	}{{"abc123", `"accepted"`, 1}, {"zzz999", `"ignored"`, 1}} {
		body := bytes.Replace(contactBody("notif_"+tc.app, "contact.deleted"), []byte(`"app_id":"abc123"`), []byte(`"app_id":"`+tc.app+`"`), 1)
		rec := webhooktest.Post(h, body, webhook.Sign(secret, body))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) || sink.Calls() != tc.calls {
			t.Errorf("app %s: %d %q calls %d", tc.app, rec.Code, rec.Body.String(), sink.Calls())
		}
	}
}

func BenchmarkVerifyParse(b *testing.B) {
	body := contactBody("notif_bench", "contact.user.updated")
	sig := webhook.Sign(secret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := webhook.Verify(secret, body, sig); err != nil {
			b.Fatal(err)
		}
		n, err := webhook.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.Ref(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}

func BenchmarkHandler(b *testing.B) {
	sink := &webhooktest.MemorySink{}
	h := webhook.Handler(webhook.HandlerOptions{Secret: secret, Sink: sink})
	body := contactBody("notif_bench", "contact.user.updated")
	sig := webhook.Sign(secret, body)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, sig)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}

func FuzzVerifyParse(f *testing.F) {
	body := contactBody("notif_1", "contact.deleted")
	f.Add(body, webhook.Sign(secret, body))
	f.Add([]byte(`{"type":"notification_event","id":null,"topic":"ping","data":{"item":{}}}`), "sha1=")
	f.Add([]byte(`{"type":"notification_event","id":"a","topic":"t","created_at":"1e9","delivery_attempts":3,"data":{"item":{"id":12,"external_id":7}}}`), "")
	f.Add([]byte(`[`), "SHA1=0000000000000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := webhook.Verify(secret, body, header)
		if err == nil && header != "" && webhook.Verify(secret, append(body, 'x'), header) == nil {
			t.Fatal("signature valid for two bodies")
		}
		if webhook.Verify(secret, body, webhook.Sign(secret, body)) != nil {
			t.Fatal("own signature rejected")
		}
		n, err := webhook.Parse(body)
		if err != nil {
			var pe *webhook.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError", err)
			}
			return
		}
		if n.Topic == "" || (n.ID == "" && n.Topic != webhook.TopicPing) || len(n.Item) == 0 || n.Item[0] != '{' {
			t.Fatalf("accepted incomplete notification %+v", n)
		}
		_, _ = n.Ref()
	})
}

// TestHandlerSinkUnavailable: a sink that cannot take a notification now
// gets 503 with Retry-After in whole seconds (rounded up, at least 1), never
// 500, and the error's cause is not served.
func TestHandlerSinkUnavailable(t *testing.T) {
	body := contactBody("notif_busy", "contact.deleted")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&webhook.UnavailableError{RetryAfter: 2500 * time.Millisecond, Err: errors.New("queue full")}, "3"},
		{&webhook.UnavailableError{RetryAfter: 10 * time.Millisecond}, "1"},
		{fmt.Errorf("wrapped: %w", &webhook.UnavailableError{RetryAfter: 4 * time.Second}), "4"},
		{webhook.ErrUnavailable, "1"},
	} {
		rec := webhooktest.Post(webhook.Handler(webhook.HandlerOptions{Secret: secret, Sink: &webhooktest.MemorySink{Err: tc.err}}),
			body, webhook.Sign(secret, body))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != tc.want {
			t.Errorf("%v: %d Retry-After %q, want 503 %q", tc.err, rec.Code, rec.Header().Get("Retry-After"), tc.want)
		}
		if strings.Contains(rec.Body.String(), "queue full") {
			t.Errorf("the cause is served: %q", rec.Body.String())
		}
	}
}
