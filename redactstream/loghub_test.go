package redactstream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// loghubCorpus returns size bytes of the real log samples in
// ../pii/testdata/loghub (16 systems, 2,000 lines each, licence in that
// directory): their lines taken in turn from each system, so that any
// prefix holds all 16, repeated until size is reached. These are logs
// nobody here wrote, the check that what the generated log corpus
// measures holds on other shapes.
func loghubCorpus(tb testing.TB, size int) []byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "pii", "testdata", "loghub", "*.log.gz"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("loghub samples: %v (found %d)", err, len(paths))
	}
	sort.Strings(paths)
	var systems [][][]byte
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		z, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		var lines [][]byte
		sc := bufio.NewScanner(z)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
		if err := sc.Err(); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		f.Close()
		systems = append(systems, lines)
	}
	var b bytes.Buffer
	for k := 0; b.Len() < size; k++ {
		for _, lines := range systems {
			b.Write(lines[k%len(lines)])
			b.WriteByte('\n')
		}
	}
	return b.Bytes()[:size]
}

func TestLoghubCorpus(t *testing.T) {
	data := loghubCorpus(t, 1<<20)
	if len(data) != 1<<20 || bytes.Count(data, []byte("\n")) < 5000 {
		t.Fatalf("loghub corpus: %d bytes, %d lines", len(data), bytes.Count(data, []byte("\n")))
	}
}
