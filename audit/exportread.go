package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// ErrExportFormat is matched by the errors for a file that is not an audit
// export (a missing or foreign header, or a line that does not parse).
var ErrExportFormat = errors.New("audit: not an intercom-privacy audit export")

// maxExportLine bounds one line of an export (a record with 1000 object ids
// is well under it).
const maxExportLine = 4 << 20

// ExportFile reads an export written by Export, so that it can be verified
// without the database: it implements Reader over the file (records and
// checkpoints are read independently, through io.ReaderAt). Create it with
// OpenExport.
type ExportFile struct {
	r      io.ReaderAt
	size   int64
	header ExportHeader
}

// OpenExport reads and checks the header of an export of size bytes.
func OpenExport(r io.ReaderAt, size int64) (*ExportFile, error) {
	sc := bufio.NewScanner(io.NewSectionReader(r, 0, size))
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: reading the header: %w", ErrExportFormat, err)
		}
		return nil, fmt.Errorf("%w: the file is empty", ErrExportFormat)
	}
	var h ExportHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Type != "header" {
		return nil, fmt.Errorf("%w: the first line is not an export header", ErrExportFormat)
	}
	if h.Format != ExportFormat {
		return nil, fmt.Errorf("%w: format %q is not %q", ErrExportFormat, truncate(h.Format, 64), ExportFormat)
	}
	return &ExportFile{r: r, size: size, header: h}, nil
}

// Header returns the export's header.
func (f *ExportFile) Header() ExportHeader { return f.header }

// Keyring returns the public keys the header lists. Verifying with them
// proves that the file is consistent with itself; to prove it was signed by
// the deployment's key, verify with a key obtained separately.
func (f *ExportFile) Keyring() (Keyring, error) {
	var k Keyring
	for i, ek := range f.header.Keys {
		raw, err := base64.StdEncoding.DecodeString(ek.PublicKey)
		if err != nil || len(raw) != 32 || ek.Algorithm != "Ed25519" {
			return nil, fmt.Errorf("%w: header key %d is not a base64 Ed25519 public key", ErrExportFormat, i+1)
		}
		k = append(k, PublicKey{KeyID: ek.KeyID, Key: raw})
	}
	return k, nil
}

// lines yields the lines of the given type after the header, with their
// 1-based line numbers.
func (f *ExportFile) lines(ctx context.Context, typ string) iter.Seq2[[]byte, error] {
	want := []byte(`{"type":"` + typ + `"`)
	return func(yield func([]byte, error) bool) {
		sc := bufio.NewScanner(io.NewSectionReader(f.r, 0, f.size))
		sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
		n := 0
		for sc.Scan() {
			n++
			if n == 1 {
				continue // the header
			}
			if n&1023 == 0 {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
			}
			line := sc.Bytes()
			if !bytes.HasPrefix(line, want) {
				if !bytes.HasPrefix(line, []byte(`{"type":"`)) {
					yield(nil, fmt.Errorf("%w: line %d is not a record or checkpoint line", ErrExportFormat, n))
					return
				}
				continue
			}
			if !yield(line, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(nil, fmt.Errorf("%w: reading line %d: %w", ErrExportFormat, n+1, err))
		}
	}
}

// Records implements Reader. The stored columns are taken from each body
// (an export has no separate columns); a body that does not decode keeps
// them empty, and Verify reports it.
func (f *ExportFile) Records(ctx context.Context, fromSeq int64) iter.Seq2[StoredRecord, error] {
	return func(yield func(StoredRecord, error) bool) {
		for line, err := range f.lines(ctx, "record") {
			if err != nil {
				yield(StoredRecord{}, err)
				return
			}
			var l struct {
				Seq    int64           `json:"seq"`
				Hash   string          `json:"hash"`
				Record json.RawMessage `json:"record"`
			}
			if err := json.Unmarshal(line, &l); err != nil {
				yield(StoredRecord{}, fmt.Errorf("%w: a record line does not parse", ErrExportFormat))
				return
			}
			if l.Seq < fromSeq {
				continue
			}
			body := []byte(l.Record)
			if len(body) > 0 && body[0] == '"' { // a damaged body, exported as a string
				var s string
				_ = json.Unmarshal(body, &s)
				body = []byte(s)
			}
			rec := StoredRecord{Seq: l.Seq, Body: body}
			rec.Hash, _ = hex.DecodeString(l.Hash)
			if r, err := DecodeBody(body); err == nil {
				rec.Time, rec.Action, rec.RequestID, rec.SubjectRef, rec.PrevHash =
					r.Time, string(r.Action), r.RequestID, r.SubjectRef, r.PrevHash
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// Checkpoints implements Reader.
func (f *ExportFile) Checkpoints(ctx context.Context) iter.Seq2[Checkpoint, error] {
	return func(yield func(Checkpoint, error) bool) {
		for line, err := range f.lines(ctx, "checkpoint") {
			if err != nil {
				yield(Checkpoint{}, err)
				return
			}
			var l ExportCheckpoint
			if err := json.Unmarshal(line, &l); err != nil {
				yield(Checkpoint{}, fmt.Errorf("%w: a checkpoint line does not parse", ErrExportFormat))
				return
			}
			c := Checkpoint{Seq: l.Seq, KeyID: l.KeyID}
			c.Hash, _ = hex.DecodeString(l.Hash)
			c.Signature, _ = base64.StdEncoding.DecodeString(l.Signature)
			if t, ok := canonicalTime([]byte(l.Time)); ok {
				c.Time = t
			} else {
				c.Time = time.Time{} // the signature will not verify
			}
			if !yield(c, nil) {
				return
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
