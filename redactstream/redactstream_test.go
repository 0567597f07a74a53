package redactstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

func run(t testing.TB, in string, opts Options) (string, Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := Run(context.Background(), strings.NewReader(in), &out, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), st
}

func TestMixedLines(t *testing.T) {
	in := strings.Join([]string{
		`{"level":"info","password":"hunter2","msg":"mail jane@example.com","n":1}`,
		`plain text from bob@example.org`,
		`  {"user":{"email":"not-an-address"}}`,
		`{not json but starts with a brace: carl@example.net`,
		``,
		`[1,2,"dave@example.com"]`,
		"crlf line eve@example.com\r",
		`last line without newline frank@example.com`,
	}, "\n")
	out, st := run(t, in, Options{})
	for _, leak := range []string{"hunter2", "jane@", "bob@", "not-an-address", "carl@", "dave@", "eve@", "frank@"} {
		if strings.Contains(out, leak) {
			t.Errorf("output contains %q:\n%s", leak, out)
		}
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 8 || lines[4] != "" || strings.HasSuffix(out, "\n") || !strings.HasSuffix(lines[6], "\r") {
		t.Errorf("line structure changed: %q", out)
	}
	if !strings.Contains(lines[0], `"level":"info"`) || !strings.Contains(lines[0], `"password":"[SECRET]"`) {
		t.Errorf("JSON line: %s", lines[0])
	}
	if st.Lines != 8 || st.JSONLines != 2 || st.TextLines != 6 {
		t.Errorf("stats: %+v", st)
	}
	if st.Counts.Fields[0]+st.Counts.Total() == 0 || st.Counts.Findings[pii.TypeEmail] < 6 {
		t.Errorf("counts: %+v", st.Counts)
	}
	if st.BytesIn != int64(len(in)) || st.BytesOut != int64(len(out)) {
		t.Errorf("bytes: %d/%d vs %d/%d", st.BytesIn, st.BytesOut, len(in), len(out))
	}
	// Forced formats.
	outText, stText := run(t, `{"user":"x@example.com"}`, Options{Format: FormatText})
	if stText.JSONLines != 0 || stText.TextLines != 1 || strings.Contains(outText, "x@example.com") {
		t.Errorf("text format: %s %+v", outText, stText)
	}
	outJSON, st2 := run(t, "[{\"token\":\"abc\"}]\n", Options{Format: FormatJSON})
	if strings.Contains(outJSON, "abc") || st2.JSONLines != 1 {
		t.Errorf("json format: %s %+v", outJSON, st2)
	}
}

func TestOrderAndParallelEquivalence(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "line %06d user%d@example.com did a thing\n", i, i)
		case 1:
			fmt.Fprintf(&b, `{"seq":%d,"email":"u%d@example.com","msg":"ok"}`+"\n", i, i)
		default:
			fmt.Fprintf(&b, "line %06d nothing to see\n", i)
		}
	}
	in := b.String()
	one, _ := run(t, in, Options{Workers: 1, BatchBytes: 512})
	four, _ := run(t, in, Options{Workers: 4, BatchBytes: 100, InFlight: 3})
	if one != four {
		t.Fatalf("output depends on the number of workers")
	}
	lines := strings.Split(strings.TrimSuffix(four, "\n"), "\n")
	if len(lines) != 5000 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if i%3 != 1 && !strings.HasPrefix(l, fmt.Sprintf("line %06d ", i)) {
			t.Fatalf("line %d out of order: %q", i, l)
		}
		if i%3 == 1 && !strings.HasPrefix(l, fmt.Sprintf(`{"seq":%d,`, i)) {
			t.Fatalf("line %d out of order: %q", i, l)
		}
		if strings.Contains(l, "@example.com") {
			t.Fatalf("line %d leaks: %q", i, l)
		}
	}
}

// TestLongLine feeds lines longer than MaxLine, with e-mail addresses at
// every offset around the window boundaries, and checks none survives.
func TestLongLine(t *testing.T) {
	const maxLine, overlap = 4096, 512
	var b strings.Builder
	b.WriteString("short first line a@example.com\n")
	n := 0
	for b.Len() < 200_000 {
		fmt.Fprintf(&b, "x%d person%d@example.com ", n%7, n)
		n++
	}
	b.WriteString("\nshort last line z@example.com\n")
	in := b.String()
	out, st := run(t, in, Options{MaxLine: maxLine, Overlap: overlap, Workers: 2})
	if st.LongLines != 1 || st.Lines != 3 {
		t.Errorf("stats %+v", st)
	}
	if strings.Count(out, "\n") != 3 || !strings.HasSuffix(out, "\n") {
		t.Errorf("line structure changed")
	}
	if strings.Contains(out, "@example.com") {
		i := strings.Index(out, "@example.com")
		t.Errorf("a value survived near byte %d: %q", i, out[max(0, i-40):i+12])
	}
	if c := strings.Count(out, "[EMAIL]"); c != n+2 {
		t.Errorf("%d tags, want %d", c, n+2)
	}
	// One line of several MiB with the default limits, no newline at the end.
	big := strings.Repeat("lorem ipsum dolor sit amet ", 200_000) + "tail@example.com"
	out2, st2 := run(t, big, Options{})
	if st2.LongLines != 1 || strings.Contains(out2, "tail@example.com") || len(out2) < len(big)-20 {
		t.Errorf("big line: stats %+v len %d", st2, len(out2))
	}
}

func TestInvalidUTF8AndNUL(t *testing.T) {
	in := "bad \xff\xfe bytes \x00 nul a@example.com\n{\"k\":\"\xff\"}\n" + strings.Repeat("\xe2\x82", 3000) + "\n"
	out, _ := run(t, in, Options{MaxLine: 1024, Overlap: 128})
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8")
	}
	if strings.Count(out, "\n") != 3 {
		t.Errorf("line count changed")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	if w.n > 2 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrorAndCancel(t *testing.T) {
	in := strings.Repeat("hello a@example.com world\n", 100000)
	_, err := Run(context.Background(), strings.NewReader(in), &failWriter{}, Options{BatchBytes: 1024})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, strings.NewReader(in), io.Discard, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if _, err := Run(context.Background(), strings.NewReader(""), io.Discard, Options{MaxLine: 10, Overlap: 10}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad options: err = %v", err)
	}
}

func TestKnownValues(t *testing.T) {
	kv, err := ParseKnown(strings.NewReader("# the person\nname = Jane Roe\nemail=jr@example.com\nKNOWN_PHONE=+1 415 555 0123\n\n"))
	if err != nil || len(kv) != 3 || kv[0].Type != pii.TypeKnownName || kv[2].Type != pii.TypeKnownPhone {
		t.Fatalf("ParseKnown = %v, %v", kv, err)
	}
	out, _ := run(t, "ticket from jane roe about renewal\n", Options{Known: pii.NewKnown(kv)})
	if strings.Contains(strings.ToLower(out), "jane roe") {
		t.Errorf("known name survived: %s", out)
	}
	for _, bad := range []string{"novalue\n", "color=blue\n", "name=\n"} {
		_, err := ParseKnown(strings.NewReader("name=ok\n" + bad))
		if !errors.Is(err, ErrKnownFile) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: err = %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Errorf("error quotes the file: %v", err)
		}
	}
}

func TestSummary(t *testing.T) {
	_, st := run(t, "a@example.com\n{\"password\":\"x\"}\n", Options{})
	var b bytes.Buffer
	if err := st.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.Contains(s, "EMAIL") || !strings.Contains(s, "key:SECRET") || strings.Contains(s, "a@example.com") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"auto": FormatAuto, "JSON": FormatJSON, "text": FormatText, "": FormatAuto} {
		if got, err := ParseFormat(s); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseFormat("xml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("xml: %v", err)
	}
}

// FuzzRun checks, for any input, that the line structure is kept, the
// output is valid UTF-8, redacting it again changes nothing, and in text
// mode no value the engine detects survives on any output line.
func FuzzRun(f *testing.F) {
	f.Add([]byte("hello a@example.com\n{\"email\":\"x\"}\n"), uint8(0))
	f.Add([]byte("\xff\x00{\"a\":[1,{\"b\":\"c@d.io\"}]}\r\n\n"), uint8(1))
	f.Add([]byte(strings.Repeat("word x@example.com ", 30)), uint8(2))
	e, err := pii.NewEngine(pii.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opts := Options{Format: Format(mode % 3), MaxLine: 128, Overlap: 48, BatchBytes: 64, Workers: 2}
		var out bytes.Buffer
		if _, err := Run(context.Background(), bytes.NewReader(in), &out, opts); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !utf8.Valid(out.Bytes()) {
			t.Fatalf("invalid UTF-8 output")
		}
		if bytes.Count(out.Bytes(), []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatalf("line count changed")
		}
		var again bytes.Buffer
		if _, err := Run(context.Background(), bytes.NewReader(out.Bytes()), &again, opts); err != nil {
			t.Fatalf("second Run: %v", err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("not idempotent:\n%q\n%q", out.Bytes(), again.Bytes())
		}
		if opts.Format == FormatText {
			for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
				if fs := e.Find(line, nil, nil); len(fs) > 0 {
					t.Fatalf("%s survives in %q (input %q)", fs[0].Type, line, in)
				}
			}
		}
	})
}

func FuzzParseKnown(f *testing.F) {
	f.Add([]byte("name=Jane\nemail=j@x.io\n# c\n"))
	f.Add([]byte("=\n\x00=\xff\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		kv, err := ParseKnown(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrKnownFile) {
				t.Fatalf("error does not match ErrKnownFile: %v", err)
			}
			return
		}
		for _, v := range kv {
			if v.Value == "" || v.Type >= pii.NumTypes {
				t.Fatalf("bad value %+v", v)
			}
		}
	})
}

// TestWorkersRunConcurrently checks that batches are redacted by several
// workers at once, and never by more than Workers.
func TestWorkersRunConcurrently(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		f, err := newFilter(Options{Workers: workers, BatchBytes: 64})
		if err != nil {
			t.Fatal(err)
		}
		var active, peak atomic.Int32
		// The first batches are held until Workers of them run at once; a
		// filter that ran fewer at once never opens the gate.
		gate := make(chan struct{})
		var opened sync.Once
		f.batchHook = func(start bool) {
			if !start {
				active.Add(-1)
				return
			}
			n := active.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if n == int32(workers) {
				opened.Do(func() { close(gate) })
			}
			select {
			case <-gate:
			case <-time.After(testwait.Deadline):
				t.Errorf("workers=%d: %d batches never ran at once", workers, workers)
				opened.Do(func() { close(gate) })
			}
		}
		in := strings.Repeat("some line with a@example.com in it\n", 200)
		var out bytes.Buffer
		if _, err := f.run(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		if got := peak.Load(); got != int32(workers) {
			t.Errorf("workers=%d: at most %d batches were redacted at once", workers, got)
		}
		if strings.Count(out.String(), "[EMAIL]") != 200 {
			t.Errorf("workers=%d: output lost lines", workers)
		}
	}
}

// TestBrokenJSONCountedOnce: a line that starts as JSON and breaks after a
// value was redacted is redacted again as text; its findings are counted
// once, by the text pass.
func TestBrokenJSONCountedOnce(t *testing.T) {
	out, st := run(t, `{"note":"write to once@example.com", oops`+"\n", Options{})
	if strings.Contains(out, "once@example.com") || st.JSONLines != 0 || st.TextLines != 1 {
		t.Fatalf("out %q, stats %+v", out, st)
	}
	if n := st.Counts.Findings[pii.TypeEmail]; n != 1 || st.Counts.Total() != 1 {
		t.Errorf("e-mail counted %d times, total %d; want 1 and 1", n, st.Counts.Total())
	}
}
