package audit_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

func fullRecord() audit.Record {
	return audit.Record{
		Seq:            42,
		Time:           time.Date(2026, 11, 28, 11, 30, 0, 123456000, time.UTC),
		Actor:          "cli:jdoe",
		Action:         audit.ActionRequestDenied,
		RequestID:      "req_01J",
		SubjectRef:     strings.Repeat("0f", 32),
		Counts:         map[string]int64{"zeta": 0, "alpha": 3, "contacts.deleted": 9000000000},
		ObjectIDs:      []string{"6543a1b2c3d4e5f601234567", "215470"},
		Outcome:        audit.OutcomeFailure,
		Reason:         "quote \" backslash \\ tab \t ctl \x01 del \x7f",
		RequestDate:    time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		RequestNature:  "deletion",
		RequestMethod:  "web_form",
		ResponseDate:   time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC),
		ResponseNature: "denied in part",
		DenialReason:   "GDPR Art. 17(3)(e)",
		PrevHash:       bytes.Repeat([]byte{0xab}, 32),
	}
}

// TestBodyGolden pins the canonical encoding byte for byte: any change to it
// breaks every existing chain, so it must be deliberate (and versioned).
func TestBodyGolden(t *testing.T) {
	r := fullRecord()
	got := string(audit.AppendBody(nil, &r))
	want := `{"action":"request.denied","actor":"cli:jdoe","counts":{"alpha":3,"contacts.deleted":9000000000,"zeta":0},` +
		`"denial_reason":"GDPR Art. 17(3)(e)","object_ids":["6543a1b2c3d4e5f601234567","215470"],"outcome":"failure",` +
		`"prev":"` + strings.Repeat("ab", 32) + `","reason":"quote \" backslash \\ tab \t ctl \u0001 del \u007f",` +
		`"request_date":"2026-10-01T00:00:00.000000Z","request_id":"req_01J","request_method":"web_form",` +
		`"request_nature":"deletion","response_date":"2026-11-28T00:00:00.000000Z","response_nature":"denied in part",` +
		`"seq":42,"subject_ref":"` + strings.Repeat("0f", 32) + `","time":"2026-11-28T11:30:00.123456Z","v":1}`
	if got != want {
		t.Fatalf("body:\n got %s\nwant %s", got, want)
	}
	h := sha256.Sum256(append([]byte(audit.RecordHashPrefix), want...))
	if !bytes.Equal(audit.HashBody([]byte(got)), h[:]) {
		t.Fatal("HashBody is not SHA-256(prefix || body)")
	}
}

func TestBodyMinimal(t *testing.T) {
	r := audit.Record{Seq: 1, Actor: "worker", Action: audit.ActionSyncRun, Outcome: audit.OutcomeNoop,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 999, time.FixedZone("X", 3600))}
	got := string(audit.AppendBody(nil, &r))
	want := `{"action":"sync.run","actor":"worker","outcome":"noop","prev":"","seq":1,"time":"2026-01-02T02:04:05.000000Z","v":1}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	r := fullRecord()
	body := audit.AppendBody(nil, &r)
	got, err := audit.DecodeBody(body)
	if err != nil {
		t.Fatal(err)
	}
	r.Hash = audit.HashBody(body)
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, r)
	}
	if again := audit.AppendBody(nil, &got); !bytes.Equal(again, body) {
		t.Fatalf("re-encoding differs:\n%s\n%s", again, body)
	}
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	r := fullRecord()
	good := string(audit.AppendBody(nil, &r))
	min := `{"action":"sync.run","actor":"worker","outcome":"noop","prev":"","seq":1,"time":"2026-01-02T02:04:05.000000Z","v":1}`
	cases := map[string]string{
		"empty":             ``,
		"whitespace":        strings.Replace(min, `,"actor"`, `, "actor"`, 1),
		"trailing":          min + " ",
		"key order":         strings.Replace(min, `"action":"sync.run","actor":"worker"`, `"actor":"worker","action":"sync.run"`, 1),
		"duplicate key":     strings.Replace(min, `"actor":"worker"`, `"actor":"worker","actor":"worker"`, 1),
		"unknown key":       strings.Replace(min, `"v":1`, `"v":1,"zz":1`, 1),
		"missing seq":       strings.Replace(min, `"seq":1,`, ``, 1),
		"seq zero":          strings.Replace(min, `"seq":1`, `"seq":0`, 1),
		"seq leading zero":  strings.Replace(min, `"seq":1`, `"seq":01`, 1),
		"seq plus":          strings.Replace(min, `"seq":1`, `"seq":+1`, 1),
		"seq float":         strings.Replace(min, `"seq":1`, `"seq":1.0`, 1),
		"version 2":         strings.Replace(min, `"v":1`, `"v":2`, 1),
		"time no micros":    strings.Replace(min, `.000000Z`, `Z`, 1),
		"time offset":       strings.Replace(min, `.000000Z`, `.000000+00:00`, 1),
		"time bad day":      strings.Replace(min, `2026-01-02`, `2026-02-30`, 1),
		"prev upper hex":    strings.Replace(good, strings.Repeat("ab", 32), strings.Repeat("AB", 32), 1),
		"prev short":        strings.Replace(min, `"prev":""`, `"prev":"abcd"`, 1),
		"empty optional":    strings.Replace(min, `"prev":""`, `"prev":"","reason":""`, 1),
		"empty counts":      strings.Replace(min, `"actor":"worker"`, `"actor":"worker","counts":{}`, 1),
		"empty ids":         strings.Replace(min, `"actor":"worker"`, `"actor":"worker","object_ids":[]`, 1),
		"counts unsorted":   strings.Replace(good, `"alpha":3,"contacts.deleted":9000000000`, `"contacts.deleted":9000000000,"alpha":3`, 1),
		"escaped slash":     strings.Replace(min, `"worker"`, `"wor\/ker"`, 1),
		"unicode escape":    strings.Replace(min, `"worker"`, `"w\u006frker"`, 1),
		"upper hex escape":  strings.Replace(good, `\u007f`, `\u007F`, 1),
		"raw control":       strings.Replace(min, `"worker"`, "\"wor\x01ker\"", 1),
		"invalid utf8":      strings.Replace(min, `"worker"`, "\"wor\xffker\"", 1),
		"not an object":     `[1]`,
		"unterminated":      min[:len(min)-1],
		"seq overflow":      strings.Replace(min, `"seq":1`, `"seq":99999999999999999999`, 1),
		"negative count -0": strings.Replace(good, `"zeta":0`, `"zeta":-0`, 1),
	}
	for name, body := range cases {
		if _, err := audit.DecodeBody([]byte(body)); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("%s: DecodeBody = %v, want ErrMalformed", name, err)
		}
	}
	for _, ok := range []string{good, min} {
		if _, err := audit.DecodeBody([]byte(ok)); err != nil {
			t.Errorf("canonical body refused: %v", err)
		}
	}
}

func TestCheckpointMessage(t *testing.T) {
	c := audit.Checkpoint{Seq: 1000, Hash: bytes.Repeat([]byte{1}, 32), KeyID: "1234567",
		Time: time.Date(2026, 11, 28, 12, 0, 0, 5000, time.UTC)}
	want := audit.CheckpointSignPrefix + `{"hash":"` + strings.Repeat("01", 32) +
		`","key_id":"1234567","seq":1000,"time":"2026-11-28T12:00:00.000005Z"}`
	if got := string(audit.CheckpointMessage(c)); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// FuzzDecodeBody: DecodeBody never panics, and whatever it accepts encodes
// back to exactly the same bytes (the encoding is canonical).
func FuzzDecodeBody(f *testing.F) {
	r := fullRecord()
	f.Add(audit.AppendBody(nil, &r))
	f.Add([]byte(`{"action":"sync.run","actor":"worker","outcome":"noop","prev":"","seq":1,"time":"2026-01-02T02:04:05.000000Z","v":1}`))
	f.Add([]byte(`{"action":"a","actor":"\u0000\n","counts":{"\t":-5,"a":1},"object_ids":["é"],"outcome":"","prev":"","seq":9223372036854775807,"time":"0001-01-01T00:00:00.000000Z","v":1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"action":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec, err := audit.DecodeBody(body)
		if err != nil {
			if !errors.Is(err, audit.ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			if len(body) > 8 && strings.Contains(err.Error(), string(body)) {
				t.Fatal("error quotes the body")
			}
			return
		}
		if again := audit.AppendBody(nil, &rec); !bytes.Equal(again, body) {
			t.Fatalf("accepted a non-canonical body:\n in  %q\n out %q", body, again)
		}
	})
}

// FuzzEncodeDecode: every record with valid UTF-8 strings and Seq >= 1
// survives encoding and decoding unchanged.
func FuzzEncodeDecode(f *testing.F) {
	f.Add(int64(1), int64(0), "worker", "reason", "k", int64(3), "id", "method")
	f.Add(int64(1<<62), int64(1e18), "\x00\"\\", "\u2028\t\x7f", "", int64(-1), "", "é")
	f.Fuzz(func(t *testing.T, seq, nanos int64, actor, reason, key string, n int64, id, method string) {
		if seq < 1 {
			seq = 1
		}
		r := audit.Record{Seq: seq, Time: time.Unix(0, nanos).UTC().Truncate(time.Microsecond), Actor: actor,
			Action: audit.Action(reason), Outcome: audit.Outcome(method), Reason: reason, RequestMethod: method}
		if key != "" {
			r.Counts = map[string]int64{key: n, key + "x": -n}
		}
		if id != "" {
			r.ObjectIDs = []string{id, id}
		}
		for _, s := range []string{actor, reason, key, id, method} {
			if !utf8Valid(s) {
				return
			}
		}
		body := audit.AppendBody(nil, &r)
		got, err := audit.DecodeBody(body)
		if err != nil {
			t.Fatalf("DecodeBody(AppendBody(r)) = %v for %q", err, body)
		}
		got.Hash = nil
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", got, r)
		}
	})
}
