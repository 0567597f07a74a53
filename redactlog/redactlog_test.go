package redactlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type secretValuer struct{ v string }

func (s secretValuer) LogValue() slog.Value { return slog.StringValue("for " + s.v) }

type groupValuer struct{}

func (groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("contact", "lv.group@example.com"), slog.String("token", "tok-123456"))
}

type panicky struct{}

func (*panicky) String() string { panic("boom jane@example.com") }

type profile struct {
	Email   string
	Note    string
	private string
	Inner   *profile
}

type keyStruct struct{ A string }

// leak is a log call and the planted values its output must not contain.
type leak struct {
	name    string
	log     func(l *slog.Logger)
	planted []string
}

var leaks = []leak{
	{"message", func(l *slog.Logger) { l.Info("login from msg.user@example.com ok") }, []string{"msg.user@example.com"}},
	{"sensitive keys", func(l *slog.Logger) {
		l.Info("x", "email", "not-an-address", "password", "hunter2", "Authorization", "Bearer abc.def",
			"user_name", "Jane Q", "api_key", "k-998877", "Cookie", "sid=77", "phone", 5551234)
	}, []string{"not-an-address", "hunter2", "Bearer abc.def", "Jane Q", "k-998877", "sid=77", "5551234"}},
	{"string content", func(l *slog.Logger) { l.Info("x", "note", "write to content.val@example.com") }, []string{"content.val@example.com"}},
	{"group", func(l *slog.Logger) {
		l.Info("x", slog.Group("user", "name", "Group Name", "note", "g.member@example.com", slog.Group("deeper", "secret", "s3")))
	}, []string{"Group Name", "g.member@example.com", "s3\""}},
	{"LogValuer", func(l *slog.Logger) { l.Info("x", "who", secretValuer{"lv@example.com"}) }, []string{"lv@example.com"}},
	{"LogValuer group", func(l *slog.Logger) { l.Info("x", "v", groupValuer{}) }, []string{"lv.group@example.com", "tok-123456"}},
	{"error", func(l *slog.Logger) { l.Error("x", "err", fmt.Errorf("lookup %s: %w", "err.user@example.com", io.EOF)) }, []string{"err.user@example.com"}},
	{"Stringer", func(l *slog.Logger) { l.Info("x", "s", stringer{"str.user@example.com"}) }, []string{"str.user@example.com"}},
	{"bytes", func(l *slog.Logger) { l.Info("x", "b", []byte("bytes.user@example.com")) }, []string{"bytes.user@example.com"}},
	{"struct", func(l *slog.Logger) {
		l.Info("x", "p", profile{Email: "plain", Note: "struct.note@example.com", private: "priv@example.com",
			Inner: &profile{Email: "inner"}})
	}, []string{"plain", "struct.note@example.com", "priv@example.com", "inner\""}},
	{"map", func(l *slog.Logger) {
		l.Info("x", "m", map[string]any{"contact": map[string]any{"email": "mapped", "n": []any{"arr.user@example.com"}}})
	}, []string{"mapped", "arr.user@example.com"}},
	{"map with struct keys (fmt fallback)", func(l *slog.Logger) {
		l.Info("x", "m", map[keyStruct]string{{"k"}: "fmt.user@example.com"})
	}, []string{"fmt.user@example.com"}},
	{"panicking Stringer", func(l *slog.Logger) { l.Info("x", "p", &panicky{}) }, []string{"jane@example.com", "boom"}},
	{"Any of a string", func(l *slog.Logger) { l.Info("x", slog.Any("s", "any.user@example.com")) }, []string{"any.user@example.com"}},
	{"key holding PII", func(l *slog.Logger) { l.Info("x", "key.user@example.com", 1) }, []string{"key.user@example.com"}},
	{"With", func(l *slog.Logger) {
		l.With("email", "with-val", "note", "with.note@example.com").Info("x")
	}, []string{"with-val", "with.note@example.com"}},
	{"WithGroup", func(l *slog.Logger) {
		l.WithGroup("req").With("authorization", "Basic Zm9vOmJhcg==").WithGroup("grp.user@example.com").Info("x", "note", "in.group@example.com")
	}, []string{"Zm9vOmJhcg==", "grp.user@example.com", "in.group@example.com"}},
	{"card as an int", func(l *slog.Logger) { l.Info("x", "n", 4111111111111111, "u", uint64(4111111111111111)) }, []string{"4111111111111111"}},
	{"phone and password in message", func(l *slog.Logger) { l.Warn("call +44 20 7946 0958, password: hunter2") }, []string{"7946", "hunter2"}},
	{"IBAN in an error", func(l *slog.Logger) { l.Error("x", "err", errors.New("payout to DE89370400440532013000 failed")) }, []string{"DE89370400440532013000"}},
	{"IP as a Stringer", func(l *slog.Logger) { l.Info("x", "peer", netip.MustParseAddr("8.8.8.8")) }, []string{"8.8.8.8"}},
	{"card in a float", func(l *slog.Logger) { l.Info("x", "f", float64(4111111111111111)) }, []string{"4111111111111111", "4.111111111111111e+15"}},
	{"channel (fmt fallback)", func(l *slog.Logger) {
		l.Info("x", "c", struct {
			C    chan int
			Note string
		}{nil, "chan.user@example.com"})
	}, []string{"chan.user@example.com"}},
	{"channel next to sensitive fields (no fmt form)", func(l *slog.Logger) {
		l.Info("x", "c", struct {
			C     chan int
			Name  string
			Token string
		}{nil, "Chan Roe", "zq81kd0a"})
	}, []string{"Chan Roe", "zq81kd0a"}},
	{"struct keys naming a secret (no fmt form)", func(l *slog.Logger) {
		l.Info("x", "m", map[keyStruct]string{{"password"}: "hunter2x"})
	}, []string{"hunter2x"}},
	{"value nested too deeply", func(l *slog.Logger) {
		d := &deep{Password: "deep-pw-3y"}
		for range 40 {
			d = &deep{Next: d}
		}
		l.Info("x", "d", d)
	}, []string{"deep-pw-3y"}},
}

type deep struct {
	Next     *deep
	Password string
}

// recordTime matches the time attribute that starts each record in the
// text and the JSON format (only there: an attribute of the call named
// like it is still searched).
var recordTime = regexp.MustCompile(`(?m)^(\{"time":"[^"]*"|time=[^ ]*)`)

func TestLeakyCalls(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		for _, lk := range leaks {
			t.Run(format+"/"+lk.name, func(t *testing.T) {
				var buf bytes.Buffer
				l, err := NewLogger(&buf, format, slog.LevelDebug)
				if err != nil {
					t.Fatal(err)
				}
				lk.log(l)
				out := buf.String()
				if out == "" {
					t.Fatal("nothing was logged")
				}
				// The record's time is the clock's, not the call's: its
				// nanoseconds hold a planted digit string such as
				// "7946" about once in a few thousand runs.
				logged := recordTime.ReplaceAllString(out, "")
				for _, p := range lk.planted {
					if strings.Contains(logged, p) {
						t.Errorf("output contains planted %q:\n%s", p, out)
					}
				}
				if format == "json" && !json.Valid(bytes.TrimSpace(buf.Bytes())) {
					t.Errorf("invalid JSON: %s", out)
				}
			})
		}
	}
}

func TestKeepsHarmlessValues(t *testing.T) {
	var buf bytes.Buffer
	l, _ := NewLogger(&buf, "json", slog.LevelInfo)
	l.Info("request done", "status", 200, "path", "/v1/contacts", "took", 1500*time.Millisecond, "ok", true, "hostname", "web-1")
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["msg"] != "request done" || m["status"] != float64(200) || m["path"] != "/v1/contacts" || m["ok"] != true || m["hostname"] != "web-1" {
		t.Errorf("harmless values changed: %v", m)
	}
	l.Debug("hidden")
	if strings.Contains(buf.String(), "hidden") {
		t.Errorf("level not honoured")
	}
}

func TestNewLoggerFormat(t *testing.T) {
	_, err := NewLogger(io.Discard, "xml", slog.LevelInfo)
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("err = %v", err)
	}
}

// TestWithAttrsRedactsOnce checks that attributes given to WithAttrs reach
// the wrapped handler already redacted.
func TestWithAttrsRedactsOnce(t *testing.T) {
	rec := &recorder{}
	h := New(rec, nil, Options{})
	h2 := h.WithAttrs([]slog.Attr{slog.String("note", "once@example.com"), slog.String("password", "pw")})
	// fmt.Sprint of []slog.Attr reads "[note=... password=...]".
	if got := fmt.Sprint(rec.attrs); strings.Contains(got, "once@example.com") || strings.Contains(got, "=pw]") {
		t.Errorf("WithAttrs passed raw attributes: %s", got)
	}
	if len(rec.attrs) != 2 || rec.attrs[1].Key != "password" || rec.attrs[1].Value.String() != "[SECRET]" {
		t.Errorf("WithAttrs: password not replaced with its tag: %v", rec.attrs)
	}
	_ = h2.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0))
	if h.Enabled(context.Background(), slog.LevelDebug) != rec.Enabled(context.Background(), slog.LevelDebug) {
		t.Errorf("Enabled not delegated")
	}
}

type recorder struct {
	attrs []slog.Attr
	recs  []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.recs = append(r.recs, rec)
	return nil
}
func (r *recorder) WithAttrs(a []slog.Attr) slog.Handler { r.attrs = append(r.attrs, a...); return r }
func (r *recorder) WithGroup(string) slog.Handler        { return r }

func TestConcurrentUse(t *testing.T) {
	var buf bytes.Buffer // the JSON handler serialises its writes
	l, _ := NewLogger(&buf, "json", slog.LevelInfo)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 200; j++ {
				l.Info("mail c@example.com", "n", j, "m", map[string]any{"email": "x"})
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 800 || strings.Contains(out, "c@example.com") || strings.Count(out, `"email":"[EMAIL]"`) != 800 {
		t.Errorf("%d lines; raw e-mail in output: %v; tagged e-mail fields: %d", n, strings.Contains(out, "c@example.com"), strings.Count(out, `"email":"[EMAIL]"`))
	}
}

func BenchmarkHandler(b *testing.B) {
	args := []any{"status", 200, "path", "/v1/contacts/6329bd9f", "took", 15 * time.Millisecond, "user_id", "u-19920",
		"note", "customer asked about invoice 2291 and renewal"}
	b.Run("bare", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for b.Loop() {
			l.Info("request handled for workspace ecahpwf5", args...)
		}
	})
	b.Run("redacting", func(b *testing.B) {
		l, _ := NewLogger(io.Discard, "json", slog.LevelInfo)
		b.ReportAllocs()
		for b.Loop() {
			l.Info("request handled for workspace ecahpwf5", args...)
		}
	})
	b.Run("redacting-with-pii", func(b *testing.B) {
		l, _ := NewLogger(io.Discard, "json", slog.LevelInfo)
		b.ReportAllocs()
		for b.Loop() {
			l.Info("request handled for jane.roe@example.com", append(args, "email", "jane.roe@example.com")...)
		}
	})
}
