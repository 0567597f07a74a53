// Package redactstream is the parallel, order-keeping stream filter behind
// `intercom-privacy redact`: it reads lines, redacts each, and writes them
// in their original order.
//
// Each line is either JSON or plain text. A JSON line is redacted
// structurally first (classify.KindGeneric: values under sensitive keys
// such as "email" or "password" are replaced whole, the same key rules as
// the redacting log handler) and then by content (every string and number
// is scanned by the pii engine). A text line is scanned by content. With
// FormatAuto a line is JSON when it starts with '{' (after blanks) and
// parses as one JSON value; a line that claims to be JSON but does not
// parse is redacted as text, never passed through.
//
// The input is cut into batches of whole lines (BatchBytes each) that
// Workers goroutines redact in parallel; a single writer emits them in
// order. At most InFlight batches exist at once, so memory stays flat
// however long the input is.
//
// A line longer than MaxLine is not held whole: it is redacted as plain
// text, in windows of MaxLine bytes that overlap by Overlap bytes, by the
// reading goroutine (so it stays in order). A window is cut before any
// finding that crosses its cut point and, when possible, after a blank, so
// a value shorter than Overlap/2 is never split between windows. Key-based
// redaction does not apply to such lines, and a detector whose context
// word is more than a window away will not see it. Output is valid UTF-8.
package redactstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/classify"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/redactlog"
)

// Format selects how lines are interpreted.
type Format uint8

// Formats.
const (
	FormatAuto Format = iota // per line: JSON when it parses as a JSON object, else text
	FormatJSON               // every line is JSON; a line that does not parse is redacted as text
	FormatText               // every line is plain text
)

// ErrUnknownFormat is returned by ParseFormat.
var ErrUnknownFormat = errors.New("redactstream: unknown format (want auto, json or text)")

// ParseFormat parses "auto", "json" or "text".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return FormatAuto, nil
	case "json", "jsonl", "ndjson":
		return FormatJSON, nil
	case "text", "plain":
		return FormatText, nil
	}
	return 0, fmt.Errorf("%w: %s", ErrUnknownFormat, redactlog.ShownOption(s))
}

// String returns "auto", "json" or "text".
func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatJSON:
		return "json"
	case FormatText:
		return "text"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Defaults for the zero Options. Batches of 64 KiB keep the buffers a
// run touches small (InFlight batches, each with its input and output):
// with 256 KiB a one-core `redact` of a 40 MB file took about 380 more
// page faults, all first touches of those buffers, and about 4 % more CPU
// (TestRedactBinaryCPU), for no gain in throughput per batch.
const (
	DefaultBatchBytes = 64 << 10
	DefaultMaxLine    = 1 << 20
	DefaultOverlap    = 8 << 10
)

// Options configures Run. The zero value detects the format per line,
// uses GOMAXPROCS workers and the default engine and key rules.
type Options struct {
	// Format says how lines are interpreted.
	Format Format
	// Workers is the number of redacting goroutines; zero means GOMAXPROCS.
	Workers int
	// BatchBytes is the target size of a batch of lines; zero means
	// DefaultBatchBytes.
	BatchBytes int
	// InFlight caps the batches held at once (reading, redacting, waiting
	// to be written); zero means 2*Workers+2.
	InFlight int
	// MaxLine is the longest line held whole; longer lines are redacted in
	// windows. Zero means DefaultMaxLine.
	MaxLine int
	// Overlap is the overlap between the windows of a long line; zero means
	// DefaultOverlap. It must be smaller than MaxLine.
	Overlap int
	// Engine finds the cut points of long lines; Content redacts. Nil means
	// the defaults (classify.DefaultContentRedactor and an engine with
	// default options).
	Engine  *pii.Engine
	Content *pii.Redactor
	// Known are values of one person to find exactly (nil for none).
	Known *pii.Known
	// Keys are the key rules for JSON lines; nil means the defaults.
	Keys *classify.KeyRules
}

// Stats summarises a run. It holds counts, never values.
type Stats struct {
	// Lines is the number of lines read; JSONLines and TextLines split it
	// by how each was redacted; LongLines counts lines over MaxLine.
	Lines, JSONLines, TextLines, LongLines int64
	// BytesIn and BytesOut are the sizes of the input and output.
	BytesIn, BytesOut int64
	// Counts are the findings per pii type and the fields redacted by key.
	Counts classify.Counts
}

func (s *Stats) add(o *Stats) {
	s.Lines += o.Lines
	s.JSONLines += o.JSONLines
	s.TextLines += o.TextLines
	s.LongLines += o.LongLines
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.Counts.Add(&o.Counts)
}

// batch is a run of whole lines and, once done is closed, their redaction.
type batch struct {
	in    []byte
	out   []byte
	stats Stats
	done  chan struct{}
}

// filter holds what the workers share; it is read-only during a run.
type filter struct {
	opts    Options
	engine  *pii.Engine
	content *pii.Redactor
	structr *classify.Redactor
	// batchHook, when set (by tests), is called by a worker before and
	// after it redacts a batch.
	batchHook func(start bool)
}

// ErrConfig reports unusable Options.
var ErrConfig = errors.New("redactstream: invalid options")

func newFilter(opts Options) (*filter, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.InFlight <= 0 {
		opts.InFlight = 2*opts.Workers + 2
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.Overlap <= 0 {
		opts.Overlap = DefaultOverlap
	}
	if opts.Overlap >= opts.MaxLine {
		return nil, fmt.Errorf("%w: Overlap (%d) must be smaller than MaxLine (%d)", ErrConfig, opts.Overlap, opts.MaxLine)
	}
	if opts.Format > FormatText {
		return nil, fmt.Errorf("%w: unknown format %d", ErrConfig, opts.Format)
	}
	f := &filter{opts: opts, engine: opts.Engine, content: opts.Content}
	var err error
	if f.engine == nil {
		if f.engine, err = pii.NewEngine(pii.Options{}); err != nil {
			return nil, fmt.Errorf("redactstream: building the pii engine: %w", err)
		}
	}
	if f.content == nil {
		if f.content, err = classify.DefaultContentRedactor(); err != nil {
			return nil, fmt.Errorf("redactstream: building the pii redactor: %w", err)
		}
	}
	if f.structr, err = classify.New(classify.Options{Content: f.content, Keys: opts.Keys}); err != nil {
		return nil, fmt.Errorf("redactstream: %w", err)
	}
	return f, nil
}

// Run reads lines from r, redacts them and writes them to w in order,
// until r is exhausted, ctx is cancelled or a write fails. It returns the
// statistics of what was written.
func Run(ctx context.Context, r io.Reader, w io.Writer, opts Options) (Stats, error) {
	f, err := newFilter(opts)
	if err != nil {
		return Stats{}, err
	}
	return f.run(ctx, r, w)
}

func (f *filter) run(ctx context.Context, r io.Reader, w io.Writer) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := make(chan *batch, f.opts.InFlight)
	jobs := make(chan *batch, f.opts.InFlight)
	// free holds batches whose buffers can be reused. A fixed free list,
	// not a sync.Pool: the GC empties a pool, and every batch would then
	// be allocated (and cleared) again, 300 KiB at a time. At most
	// InFlight batches are in the pipeline and one more is being filled.
	free := make(chan *batch, f.opts.InFlight+1)
	// slots bounds the batches that exist at once.
	slots := make(chan struct{}, f.opts.InFlight)

	var wg sync.WaitGroup
	for i := 0; i < f.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				if f.batchHook != nil {
					f.batchHook(true)
				}
				f.redactBatch(b)
				if f.batchHook != nil {
					f.batchHook(false)
				}
				close(b.done)
			}
		}()
	}

	var readErr error
	go func() {
		defer close(order)
		defer close(jobs)
		readErr = f.read(ctx, r, func(b *batch, prebuilt bool) bool {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			order <- b
			if !prebuilt {
				jobs <- b
			}
			return true
		}, func() *batch {
			var b *batch
			select {
			case b = <-free:
			default:
				b = &batch{}
			}
			if cap(b.in) < f.opts.BatchBytes+64<<10 {
				b.in = make([]byte, 0, f.opts.BatchBytes+64<<10)
				b.out = make([]byte, 0, f.opts.BatchBytes+f.opts.BatchBytes/4)
			}
			b.in, b.out, b.stats = b.in[:0], b.out[:0], Stats{}
			b.done = make(chan struct{})
			return b
		})
	}()

	var total Stats
	var writeErr error
	for b := range order {
		<-b.done
		if writeErr == nil {
			if _, err := w.Write(b.out); err != nil {
				writeErr = fmt.Errorf("redactstream: writing output: %w", err)
				cancel()
			} else {
				total.add(&b.stats)
			}
		}
		if cap(b.in) <= 4*f.opts.BatchBytes && cap(b.out) <= 8*f.opts.BatchBytes {
			select {
			case free <- b:
			default: // cannot happen while at most InFlight+1 exist; drop it if it does
			}
		}
		<-slots
	}
	wg.Wait()
	switch {
	case writeErr != nil:
		return total, writeErr
	case readErr != nil:
		return total, readErr
	}
	return total, ctx.Err()
}

// chunkBytes is the size of the buffer long lines are read through: a
// line is read in pieces of this size (or up to its newline), and whether
// it is long depends on them (see read).
const chunkBytes = 64 << 10

// source is the input with bytes put back in front of it: bytes read
// ahead into a batch or a long line's buffer that belong to what comes
// after. Once the reader has returned an error, source keeps returning it.
type source struct {
	r    io.Reader
	pend []byte
	err  error
}

func (s *source) Read(p []byte) (int, error) {
	if len(s.pend) > 0 {
		n := copy(p, s.pend)
		s.pend = s.pend[n:]
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	var n int
	// Bounded like bufio's, so a reader that returns nothing forever
	// cannot hang the filter.
	for tries := 0; n == 0 && s.err == nil; tries++ {
		if tries == 100 {
			s.err = io.ErrNoProgress
			break
		}
		n, s.err = s.r.Read(p)
	}
	return n, nil
}

// unread puts b (copied) back in front of what is left to read.
func (s *source) unread(b []byte) {
	if len(b) == 0 {
		return
	}
	p := make([]byte, 0, len(b)+len(s.pend))
	p = append(p, b...)
	s.pend = append(p, s.pend...)
}

// read splits r into batches of whole lines and hands them to emit; long
// lines are redacted here, in order, as prebuilt batches.
//
// The input is read straight into the batch being filled; a batch is
// handed on once it holds BatchBytes, with its whole lines, and the start
// of the line not yet ended moves to the next batch. (Where batches end
// changes nothing in the output or the statistics: lines are redacted
// one by one and the statistics are sums.)
//
// A line is long, and redacted in windows by longLine, when the bytes
// before its newline (or the end of the input) reach longAt: the first
// multiple of chunkBytes past MaxLine. These are the lines that the
// filter, when it read through a bufio.Reader of chunkBytes, took for
// long (it gathered a line chunk by chunk and took it for long once the
// chunks held more than MaxLine), and longLine still reads them through
// one, from the same place in the line, so the windows and their cut
// points are the same too.
func (f *filter) read(ctx context.Context, r io.Reader, emit func(*batch, bool) bool, get func() *batch) error {
	src := &source{r: r}
	longAt := (f.opts.MaxLine/chunkBytes + 1) * chunkBytes
	var (
		br    *bufio.Reader // long lines are read through it
		long  []byte        // the window buffer of long lines, reused
		carry []byte        // the start of a line, moved to the next batch
	)
	cur := get()
	// cur.in[lineStart:] is the line not yet ended (no newline in it).
	lineStart := 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		if len(cur.in) == cap(cur.in) {
			// A line longer than the batch's buffer, not yet long.
			cur.in = slices.Grow(cur.in, chunkBytes)
		}
		// Up to BatchBytes, or further while the batch holds only the
		// start of one line; and at most longAt bytes at a time, so that
		// a line that starts and ends within one read is never long.
		old, limit := len(cur.in), cap(cur.in)
		if old < f.opts.BatchBytes {
			limit = f.opts.BatchBytes
		}
		limit = min(limit, old+longAt)
		n, err := src.Read(cur.in[old:limit])
		cur.in = cur.in[:old+n]
		if err != nil && err != io.EOF {
			return fmt.Errorf("redactstream: reading input: %w", err)
		}
		// Only the line that was open before this read can be long:
		// the first to end in it, or, if none ends, the open one.
		isLong := false
		if k := bytes.IndexByte(cur.in[old:], '\n'); k >= 0 {
			isLong = old+k-lineStart >= longAt
			if !isLong {
				lineStart = old + bytes.LastIndexByte(cur.in[old:], '\n') + 1
			}
		} else {
			isLong = len(cur.in)-lineStart >= longAt
		}
		if isLong {
			// The first longAt bytes of the line start the window;
			// what was read past them goes back to be read again,
			// through br, as the old reader would have read it.
			line := cur.in[lineStart:]
			long = append(long[:0], line[:longAt]...)
			src.unread(line[longAt:])
			cur.in = cur.in[:lineStart]
			if len(cur.in) > 0 {
				if !emit(cur, false) {
					return nil
				}
				cur = get()
			}
			lineStart = 0
			if br == nil {
				br = bufio.NewReaderSize(src, chunkBytes)
			} else {
				br.Reset(src)
			}
			var lerr error
			long, lerr = f.longLine(ctx, br, long, emit, get)
			if lerr != nil {
				return lerr
			}
			// What br read past the line's end is the next batch's.
			if nb := br.Buffered(); nb > 0 {
				rest, _ := br.Peek(nb)
				src.unread(rest)
			}
			br.Reset(nil)
			continue
		}
		if err == io.EOF {
			if len(cur.in) > 0 {
				emit(cur, false)
			}
			return nil
		}
		if len(cur.in) >= f.opts.BatchBytes && lineStart > 0 {
			carry = append(carry[:0], cur.in[lineStart:]...)
			cur.in = cur.in[:lineStart]
			if !emit(cur, false) {
				return nil
			}
			cur = get()
			cur.in = append(cur.in, carry...)
			lineStart = 0
		}
	}
}

// longLine redacts a line longer than MaxLine in overlapping windows. win
// holds the start of the line; the rest is read from br up to and
// including its newline. It returns the buffer for reuse.
func (f *filter) longLine(ctx context.Context, br *bufio.Reader, win []byte, emit func(*batch, bool) bool, get func() *batch) ([]byte, error) {
	var findings []pii.Finding
	for {
		// Fill the window to MaxLine + Overlap bytes or to the end of the line.
		end := false
		for len(win) < f.opts.MaxLine+f.opts.Overlap {
			chunk, err := br.ReadSlice('\n')
			win = append(win, chunk...)
			if err == nil || err == io.EOF {
				end = true
				break
			}
			if err != bufio.ErrBufferFull {
				return win[:0], fmt.Errorf("redactstream: reading input: %w", err)
			}
		}
		b := get()
		if end {
			body, nl := splitEOL(win)
			b.stats.BytesIn = int64(len(win))
			b.out = f.content.Redact(b.out, body, f.opts.Known, &b.stats.Counts.Findings)
			b.out = validUTF8(b.out, 0)
			b.out = append(b.out, nl...)
			b.stats.Lines, b.stats.TextLines, b.stats.LongLines = 1, 1, 1
			b.stats.BytesOut = int64(len(b.out))
			close(b.done)
			emit(b, true)
			return win[:0], nil
		}
		cut := f.cutPoint(win, &findings)
		b.out = f.content.Redact(b.out, win[:cut], f.opts.Known, &b.stats.Counts.Findings)
		b.out = validUTF8(b.out, 0)
		b.stats.BytesIn = int64(cut)
		b.stats.BytesOut = int64(len(b.out))
		close(b.done)
		if !emit(b, true) || ctx.Err() != nil {
			return win[:0], nil
		}
		n := copy(win, win[cut:])
		win = win[:n]
	}
}

// cutPoint chooses where to cut a full window of a long line: at most
// len(win)-Overlap, before any finding that crosses that point, after a
// blank where one is near, and on a UTF-8 boundary. It is always > 0.
func (f *filter) cutPoint(win []byte, findings *[]pii.Finding) int {
	cut := len(win) - f.opts.Overlap
	// Prefer to cut after a blank in the last half of the overlap before cut.
	if i := bytes.LastIndexAny(win[cut-f.opts.Overlap/2:cut], " \t"); i >= 0 {
		cut = cut - f.opts.Overlap/2 + i + 1
	}
	// Only findings near the cut matter: scan from one overlap before it
	// to the end of the window, not the whole window, so the detectors run
	// on the window's bytes about once, not twice.
	lo := max(0, cut-f.opts.Overlap)
	*findings = f.engine.Find(win[lo:], f.opts.Known, (*findings)[:0])
	for moved := true; moved; {
		moved = false
		for _, fd := range *findings {
			if s, e := lo+fd.Start, lo+fd.End; s < cut && cut < e {
				cut = s
				moved = true
			}
		}
	}
	if cut <= 0 {
		// A finding covers the start of the window: cut after it.
		cut = 0
		for _, fd := range *findings {
			if fd.Start == 0 && fd.End > cut {
				cut = fd.End
			}
		}
		if cut <= 0 || cut > len(win) {
			cut = len(win) - f.opts.Overlap
		}
	}
	for cut > 0 && cut < len(win) && !utf8.RuneStart(win[cut]) {
		cut--
	}
	if cut <= 0 {
		cut = len(win) - f.opts.Overlap
	}
	return cut
}

// splitEOL splits a line into its body and its "\n" or "\r\n" ending.
func splitEOL(line []byte) (body, eol []byte) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return line[:n], line[n:]
}

// validUTF8 makes buf[start:] valid UTF-8, replacing invalid bytes with
// U+FFFD. The pii redactor already promises valid output; this is the
// stream's own guarantee.
func validUTF8(buf []byte, start int) []byte {
	if utf8.Valid(buf[start:]) {
		return buf
	}
	fixed := bytes.ToValidUTF8(buf[start:], []byte("\uFFFD"))
	return append(buf[:start], fixed...)
}

// redactBatch redacts every line of b into b.out.
func (f *filter) redactBatch(b *batch) {
	in := b.in
	b.stats.BytesIn = int64(len(in))
	if f.opts.Format == FormatText {
		// Every line is text: the redactor takes the whole batch, line
		// by line, without a call (and its scratch) per line.
		var lines int
		b.out, lines = f.content.RedactLines(b.out, in, f.opts.Known, &b.stats.Counts.Findings)
		b.stats.Lines += int64(lines)
		b.stats.TextLines += int64(lines)
		b.stats.BytesOut = int64(len(b.out))
		return
	}
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		var line []byte
		if i < 0 {
			line, in = in, nil
		} else {
			line, in = in[:i+1], in[i+1:]
		}
		body, eol := splitEOL(line)
		b.stats.Lines++
		if f.isJSON(body) {
			counted := b.stats.Counts
			out, err := f.structr.AppendRedact(b.out, body, classify.KindGeneric, f.opts.Known, &b.stats.Counts)
			if err == nil {
				b.out = out
				b.stats.JSONLines++
				b.out = append(b.out, eol...)
				continue
			}
			// The line stopped being JSON part-way and is redacted again
			// as text below: drop what the structural pass counted, or
			// it would be counted twice.
			b.stats.Counts = counted
		}
		b.stats.TextLines++
		// Redact writes valid UTF-8 (invalid bytes become U+FFFD).
		b.out = f.content.Redact(b.out, body, f.opts.Known, &b.stats.Counts.Findings)
		b.out = append(b.out, eol...)
	}
	b.stats.BytesOut = int64(len(b.out))
}

// isJSON reports whether a line should be tried as JSON.
func (f *filter) isJSON(body []byte) bool {
	switch f.opts.Format {
	case FormatText:
		return false
	case FormatJSON:
		return len(bytes.TrimSpace(body)) > 0
	}
	for _, c := range body {
		switch c {
		case ' ', '\t':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
