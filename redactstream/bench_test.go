package redactstream

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/redactstream/internal/loggen"
)

var (
	benchOnce sync.Once
	benchLog  []byte
)

func benchInput(b *testing.B) []byte {
	benchOnce.Do(func() {
		var buf bytes.Buffer
		if err := loggen.Write(&buf, 16<<20, 1); err != nil {
			b.Fatal(err)
		}
		benchLog = buf.Bytes()
	})
	return benchLog
}

// BenchmarkRun measures the filter's throughput on a generated 16 MiB log
// (half JSON, half text, about 5 % of lines with personal data) at one
// and two workers, side by side, plus text-only and JSON-only formats.
func BenchmarkRun(b *testing.B) {
	in := benchInput(b)
	for _, c := range []struct {
		name    string
		format  Format
		workers int
	}{
		{"auto/workers=1", FormatAuto, 1},
		{"auto/workers=2", FormatAuto, 2},
		{"text/workers=1", FormatText, 1},
		{"text/workers=2", FormatText, 2},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(context.Background(), bytes.NewReader(in), io.Discard, Options{Format: c.format, Workers: c.workers}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGeneratedLogIsRedacted checks the benchmark's input holds planted
// values and that none survives, so the benchmark measures real work.
func TestGeneratedLogIsRedacted(t *testing.T) {
	var in bytes.Buffer
	if err := loggen.Write(&in, 2<<20, 7); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := Run(context.Background(), bytes.NewReader(in.Bytes()), &out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, planted := range []string{"@example.com", "4111 1111 1111 1111", "7946 0958", "DE89370400440532013000", "Secret"} {
		if !bytes.Contains(in.Bytes(), []byte(planted)) {
			t.Errorf("the generator no longer plants %q", planted)
		}
		if bytes.Contains(out.Bytes(), []byte(planted)) {
			t.Errorf("%q survives in the output", planted)
		}
	}
	if st.JSONLines == 0 || st.TextLines == 0 || st.Counts.Total() == 0 {
		t.Errorf("stats %+v", st)
	}
	ratio := float64(st.Counts.Total()) / float64(st.Lines)
	if ratio < 0.03 || ratio > 0.2 {
		t.Errorf("findings per line %.3f, want about 0.05", ratio)
	}
	t.Logf("%d lines, %d findings", st.Lines, st.Counts.Total())
}

// TestIdempotent checks that redacting the filter's output again changes
// nothing, on the generated log.
func TestIdempotent(t *testing.T) {
	var in bytes.Buffer
	if err := loggen.Write(&in, 1<<20, 3); err != nil {
		t.Fatal(err)
	}
	var once, twice bytes.Buffer
	if _, err := Run(context.Background(), &in, &once, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), bytes.NewReader(once.Bytes()), &twice, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once.Bytes(), twice.Bytes()) {
		a, b := once.Bytes(), twice.Bytes()
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Errorf("second pass changed the output at byte %d: %q vs %q", i, a[max(0, i-40):min(len(a), i+40)], b[max(0, i-40):min(len(b), i+40)])
	}
}
