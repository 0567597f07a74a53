package redactstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// randReader returns what r holds in reads of 1 to max bytes at random,
// as a pipe does.
type randReader struct {
	r   io.Reader
	rng *rand.Rand
	max int
}

func (p *randReader) Read(b []byte) (int, error) {
	n := 1 + p.rng.IntN(p.max)
	return p.r.Read(b[:min(n, len(b))])
}

// TestReadChunking: the reader reads straight into batches and decides
// which lines are long by itself. The output and the statistics must not
// depend on how the input arrives (one read, one byte at a time, random
// pieces) nor on the batch size, and a line is long exactly when the
// bytes before its newline reach the first multiple of 64 KiB past
// MaxLine (65,536 for a MaxLine of 9,000; 1,114,112 for the default),
// as with the bufio.Reader the filter used to read through.
func TestReadChunking(t *testing.T) {
	filler := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			fmt.Fprintf(&b, "w%d x%d@example.com ", b.Len()%9, b.Len())
		}
		return b.String()[:n]
	}
	short := "short a@example.com order_id=155232064\nok line\r\ncrlf b@example.com\r\n"
	for _, c := range []struct {
		name    string
		maxLine int
		longAt  int
		slow    bool // also one byte at a time
	}{
		{"max-line 9000", 9000, 64 << 10, true},
		{"default max-line", 0, 17 * 64 << 10, false},
	} {
		var in strings.Builder
		in.WriteString(short)
		for _, n := range []int{c.longAt - 1, c.longAt, c.longAt + 1, c.longAt - 2} {
			in.WriteString(filler(n))
			in.WriteString("\n")
			in.WriteString(short)
		}
		in.WriteString(filler(c.longAt + 70000)) // the last line, no newline
		data := []byte(in.String())
		type result struct {
			out string
			st  Stats
		}
		var first *result
		readers := map[string]func() io.Reader{
			"whole":  func() io.Reader { return bytes.NewReader(data) },
			"random": func() io.Reader { return &randReader{bytes.NewReader(data), rand.New(rand.NewPCG(1, 2)), 100_000} },
			"small":  func() io.Reader { return &randReader{bytes.NewReader(data), rand.New(rand.NewPCG(3, 4)), 300} },
		}
		if c.slow {
			readers["bytes"] = func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) }
		}
		for name, mk := range readers {
			for _, batch := range []int{0, 1000} {
				var out bytes.Buffer
				st, err := Run(context.Background(), mk(), &out, Options{Format: FormatText, MaxLine: c.maxLine, BatchBytes: batch, Workers: 2})
				if err != nil {
					t.Fatalf("%s, %s, batch %d: %v", c.name, name, batch, err)
				}
				if st.LongLines != 3 || st.Lines != 3+4*4+1 || st.BytesIn != int64(len(data)) {
					t.Errorf("%s, %s, batch %d: stats %+v; want 3 long lines of 20", c.name, name, batch, st)
				}
				if strings.Contains(out.String(), "@example.com") {
					t.Errorf("%s, %s, batch %d: a value survived", c.name, name, batch)
				}
				r := &result{out.String(), st}
				if first == nil {
					first = r
				} else if r.out != first.out || r.st != first.st {
					t.Errorf("%s, %s, batch %d: output or statistics differ from another reader's", c.name, name, batch)
				}
			}
		}
	}
}
