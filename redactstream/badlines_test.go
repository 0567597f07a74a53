package redactstream

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestBadLines runs the inputs of issue #16's "Bad input" through the
// stream: a 10 MB line of key=value pairs, a line of digits and
// separators, ten thousand capitalised words in a row. The output must be
// valid UTF-8, hold none of the planted values, keep the ids, and the
// memory allocated must stay within a small multiple of the input (the
// long line is redacted in windows, never held whole).
func TestBadLines(t *testing.T) {
	if testing.Short() {
		t.Skip("10 MB line skipped in -short mode")
	}
	var kv strings.Builder
	for i := 0; kv.Len() < 10<<20; i++ {
		kv.WriteString("order_id=")
		kv.WriteString(strings.Repeat("7", 9))
		kv.WriteString(" trace_id=be71096123456769 ")
		if i%50 == 0 {
			kv.WriteString(`name="Jane Doe" ssn=123.45.6789 `)
		}
	}
	digits := strings.Repeat("12 345-678.90/1(2)3 ", 1<<16)
	words := strings.Repeat("Hello World Maria Rossi Dear Team Quick Brown Fox Jumps ", 1000)
	for _, c := range []struct {
		name, line string
		gone       []string
		kept       []string
	}{
		{"10 MB of key=value", kv.String(), []string{"Jane Doe", "123.45.6789"}, []string{"order_id=777777777", "trace_id=be71096123456769"}},
		{"digits and separators", digits, nil, []string{"12 345-678.90/1(2)3"}},
		{"ten thousand capitalised words", words, nil, []string{"Hello World", "Quick Brown Fox Jumps"}},
	} {
		in := []byte(c.line + "\n")
		var out bytes.Buffer
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Run(context.Background(), bytes.NewReader(in), &out, Options{Format: FormatText, Workers: 2}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		runtime.ReadMemStats(&after)
		if !utf8.Valid(out.Bytes()) {
			t.Errorf("%s: invalid UTF-8 output", c.name)
		}
		for _, v := range c.gone {
			if bytes.Contains(out.Bytes(), []byte(v)) {
				t.Errorf("%s: %q survives", c.name, v)
			}
		}
		for _, v := range c.kept {
			if !bytes.Contains(out.Bytes(), []byte(v)) {
				t.Errorf("%s: %q was redacted", c.name, v)
			}
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes in, %d out, %d MB allocated", c.name, len(in), out.Len(), alloc>>20)
		if alloc > uint64(8*len(in))+64<<20 {
			t.Errorf("%s: %d bytes allocated for %d bytes of input", c.name, alloc, len(in))
		}
	}
}
