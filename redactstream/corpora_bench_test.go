package redactstream

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/internal/evalgen"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// The regexp baseline of issue #3: e-mail, card, SSN, IPv4.
var baseline = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}` + `|` +
	`\b(?:\d[ -]?){12,18}\d\b` + `|` + `\b\d{3}-\d{2}-\d{4}\b` + `|` +
	`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`)

func evalCorpus(samples []evalgen.Sample, size int) []byte {
	var b bytes.Buffer
	for b.Len() < size {
		for _, s := range samples {
			b.WriteString(strings.ReplaceAll(s.Text, "\n", " "))
			b.WriteByte('\n')
			if b.Len() >= size {
				break
			}
		}
	}
	return b.Bytes()
}

var (
	corporaOnce  sync.Once
	corpusLogs   []byte
	corpusChat   []byte
	corpusLoghub []byte
)

func loadCorpora() {
	corpusLogs = evalCorpus(evalgen.Logs(1, 40000), 8<<20)
	corpusChat = evalCorpus(evalgen.Chat(2, 20000), 2<<20)
}

// BenchmarkCorpora runs, side by side on the independent corpora of
// internal/evalgen (logs: an id in every line, PII in 5 %; chat: PII in
// most sentences) and on the real log samples (loghub), `redact --format text` end to end with one worker, the
// engine alone line by line, and the regexp baseline (e-mail, card, SSN,
// IPv4). TestCPUTimeRedact gives the same per CPU-second.
func BenchmarkCorpora(b *testing.B) {
	corporaOnce.Do(loadCorpora)
	if corpusLoghub == nil {
		corpusLoghub = loghubCorpus(b, 8<<20)
	}
	eng, err := pii.NewEngine(pii.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"logs", corpusLogs}, {"chat", corpusChat}, {"loghub", corpusLoghub}} {
		lines := bytes.SplitAfter(c.data, []byte("\n"))
		b.Run(c.name+"/redact-text-end-to-end", func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, err := Run(context.Background(), bytes.NewReader(c.data), io.Discard, Options{Format: FormatText, Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/engine-line-by-line", func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			fs := make([]pii.Finding, 0, 64)
			for b.Loop() {
				for _, l := range lines {
					fs = eng.Find(l, nil, fs[:0])
				}
			}
		})
		b.Run(c.name+"/regexp-baseline", func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				_ = baseline.FindAllIndex(c.data, -1)
			}
		})
	}
}
