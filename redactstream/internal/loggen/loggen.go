// Package loggen writes a deterministic synthetic application log for the
// redact benchmarks: half JSON lines in the shape slog writes, half plain
// text lines in the shape of access and application logs, with about 5 %
// of lines holding personal data (e-mail, card, phone, IPv4, IBAN, a
// password) and the rest holding hard negatives (timestamps, UUIDs, trace
// ids, order numbers, versions).
package loggen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
)

var (
	paths  = []string{"/v1/contacts", "/v1/conversations/search", "/healthz", "/v1/tickets", "/v1/events", "/admin/export"}
	levels = []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}
	words  = []string{"request", "handled", "cache", "miss", "retry", "scheduled", "worker", "job", "done", "sync", "batch", "webhook", "received", "queued"}
	pii    = []string{
		"contact jane.roe%d@example.com asked for a refund",
		"card 4111 1111 1111 1111 declined for order %d",
		"callback to +44 20 7946 0958 requested (ticket %d)",
		"login from 81.2.69.%d",
		"payout to DE89370400440532013000 failed, attempt %d",
		"user reset: password: Hunter%dSecret",
	}
)

// Write writes at least n bytes of log lines to w (it stops after the line
// that crosses n), deterministically for a given seed.
func Write(w io.Writer, n int64, seed uint64) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var written int64
	var line []byte
	for i := 0; written < n; i++ {
		line = line[:0]
		ts := fmt.Sprintf("2026-11-%02dT%02d:%02d:%02d.%03dZ", 1+i%28, i%24, i%60, (i/60)%60, i%1000)
		msg := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
		if rng.IntN(100) < 5 {
			msg = fmt.Sprintf(pii[rng.IntN(len(pii))], rng.IntN(250))
		}
		trace := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		if i%2 == 0 {
			line = fmt.Appendf(line, `{"time":%q,"level":%q,"msg":%q,"path":%q,"status":%d,"took_ms":%d,"trace_id":%q,"order":"ORD-%08d","version":"1.%d.%d"}`+"\n",
				ts, levels[rng.IntN(len(levels))], msg, paths[rng.IntN(len(paths))], 200+rng.IntN(4)*100, rng.IntN(900), trace, rng.IntN(1e8), rng.IntN(30), rng.IntN(10))
		} else {
			line = fmt.Appendf(line, "%s %s [%s] %s %s status=%d dur=%dms trace=%s uuid=%08x-%04x-4%03x-a%03x-%012x\n",
				ts, levels[rng.IntN(len(levels))], words[rng.IntN(len(words))], paths[rng.IntN(len(paths))], msg,
				200+rng.IntN(4)*100, rng.IntN(900), trace, rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
		written += int64(len(line))
	}
	return bw.Flush()
}
