package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// A Witness keeps every signed checkpoint outside the database, so that
// `audit verify --witness` can tell a database rewritten, rolled back or cut
// short from the one whose checkpoints were witnessed. It is named by
// EnvWitness (or `audit: {witness: ...}` in the configuration):
//
//   - a file path: each checkpoint note is appended (O_APPEND, one write,
//     fsync) to a file the operator copies elsewhere (a backup, an
//     object-lock bucket, a WORM volume); verify reads it directly;
//   - an https:// URL: each checkpoint note is POSTed to it (text/plain); the
//     service keeps them; to verify, the operator downloads its log (the
//     notes one after another, each followed by a blank line, as in a witness
//     file) and passes that file to `audit verify --witness`. http:// is
//     accepted only for a loopback host (tests, a local relay).
//
// Add returns only once the note is durable at the witness. A note carries
// no personal data: a record count, a hash, a time and a signature.
type Witness interface {
	Add(ctx context.Context, note []byte) error
	// String names the witness for messages (a path, or a URL without its
	// credentials and query).
	String() string
}

// EnvWitness names the witness (a file path or an https:// URL).
const EnvWitness = "INTERCOM_PRIVACY_AUDIT_WITNESS"

// ErrWitness is matched by the errors of a witness that cannot be opened or
// written, or that refused a checkpoint.
var ErrWitness = errors.New("audit: witness")

// OpenWitness returns the witness named by spec: an https:// (or loopback
// http://) URL, or else a file path. client is used for a URL (nil means a
// client with a 30-second timeout).
func OpenWitness(spec string, client *http.Client) (Witness, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("%w: no witness named", ErrWitness)
	}
	if strings.Contains(spec, "://") {
		return NewHTTPWitness(spec, client)
	}
	return &FileWitness{path: spec}, nil
}

// FileWitness appends checkpoint notes to a file. Several processes may
// append to the same file: each note is one write on a descriptor opened
// with O_APPEND, followed by fsync.
type FileWitness struct {
	path string
	mu   sync.Mutex
	f    *os.File

	// What Latest has read so far: the file is read from readOff on, so a
	// long-running process reads each note once.
	readOff int64
	latest  WitnessedCheckpoint
	have    bool
}

// NewFileWitness returns a witness appending to path (created 0600 on the
// first Add).
func NewFileWitness(path string) *FileWitness { return &FileWitness{path: path} }

// String implements Witness.
func (w *FileWitness) String() string { return w.path }

// Path is the file the witness appends to.
func (w *FileWitness) Path() string { return w.path }

// Add implements Witness.
func (w *FileWitness) Add(ctx context.Context, n []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("%w: opening %s: %w", ErrWitness, w.path, errors.Unwrap(err))
		}
		w.f = f
	}
	buf := make([]byte, 0, len(n)+1)
	buf = append(append(buf, n...), '\n') // a blank line ends the entry
	if _, err := w.f.Write(buf); err != nil {
		w.closeLocked()
		return fmt.Errorf("%w: appending to %s: %w", ErrWitness, w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		w.closeLocked()
		return fmt.Errorf("%w: syncing %s: %w", ErrWitness, w.path, err)
	}
	return nil
}

func (w *FileWitness) closeLocked() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// Close closes the file.
func (w *FileWitness) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeLocked()
	return nil
}

// Latest returns the highest checkpoint in the file, if any. A Publisher
// uses it to continue from what any process has witnessed. It reads only
// what was appended since its last call.
func (w *FileWitness) Latest(ctx context.Context, keys Keyring) (WitnessedCheckpoint, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.Open(w.path)
	if errors.Is(err, os.ErrNotExist) {
		return w.latest, w.have, nil
	}
	if err != nil {
		return WitnessedCheckpoint{}, false, fmt.Errorf("%w: reading %s: %w", ErrWitness, w.path, errors.Unwrap(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < w.readOff {
		w.readOff, w.latest, w.have = 0, WitnessedCheckpoint{}, false // replaced by a shorter file: read it again
	}
	if _, err := f.Seek(w.readOff, io.SeekStart); err != nil {
		return WitnessedCheckpoint{}, false, fmt.Errorf("%w: reading %s: %w", ErrWitness, w.path, err)
	}
	vs, err := keys.noteVerifiers()
	if err != nil {
		return WitnessedCheckpoint{}, false, err
	}
	log, used, err := readWitnessLog(f, vs)
	if err != nil {
		return WitnessedCheckpoint{}, false, err
	}
	w.readOff += used
	if n := len(log.Checkpoints); n > 0 && (!w.have || log.Checkpoints[n-1].Size > w.latest.Size) {
		w.latest, w.have = log.Checkpoints[n-1], true
	}
	return w.latest, w.have, nil
}

// HTTPWitness POSTs each checkpoint note to a URL.
type HTTPWitness struct {
	u      *url.URL
	client *http.Client
}

// NewHTTPWitness returns a witness posting to rawURL, which must be https://
// (or http:// to a loopback host).
func NewHTTPWitness(rawURL string, client *http.Client) (*HTTPWitness, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: the witness URL does not parse (want https://host/path)", ErrWitness)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%w: a witness URL must use https:// (http:// only to a loopback host, for tests)", ErrWitness)
		}
	default:
		return nil, fmt.Errorf("%w: unsupported witness URL scheme %q (a file path or an https:// URL)", ErrWitness, u.Scheme)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	// A witness answers where it is asked: a redirect (which could lead to
	// plain http) is an error, not followed.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &HTTPWitness{u: u, client: &c}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String implements Witness: the URL without credentials, query or fragment.
func (w *HTTPWitness) String() string {
	c := *w.u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// Add implements Witness: one POST; any 2xx answer means kept.
func (w *HTTPWitness) Add(ctx context.Context, n []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.u.String(), bytes.NewReader(n))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrWitness, w, err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a token in its query
		}
		return fmt.Errorf("%w: posting to %s: %w", ErrWitness, w, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s answered %d", ErrWitness, w, resp.StatusCode)
	}
	return nil
}

// WitnessLog is what a witness file holds.
type WitnessLog struct {
	// Checkpoints are the distinct checkpoints, by ascending Size.
	Checkpoints []WitnessedCheckpoint
	// Entries is the number of notes read (duplicates included).
	Entries int
	// Conflicts are pairs of notes of the same size with different hashes:
	// the chain was forked (the database was rewritten and checkpointed
	// again after the first was witnessed). Each is the later note.
	Conflicts []WitnessedCheckpoint
	// TornTail is set when the file ends in an incomplete note (a crash
	// during a write); that note is ignored.
	TornTail bool
}

// WitnessLogError is a note of a witness file that does not parse or verify.
type WitnessLogError struct {
	Entry int // 1-based position in the file
	Line  int // line number where it starts
	Err   error
}

func (e *WitnessLogError) Error() string {
	return fmt.Sprintf("audit: witness entry %d (line %d): %v", e.Entry, e.Line, e.Err)
}

// Unwrap returns Err.
func (e *WitnessLogError) Unwrap() error { return e.Err }

// MaxNoteLen bounds one note of a witness file.
const MaxNoteLen = 8 << 10

// ReadWitnessLog reads a witness file: checkpoint notes, each followed by a
// blank line. Every note must verify with keys; one that does not is a
// *WitnessLogError (a witness holding a note nobody signed has been tampered
// with), except an incomplete last note, reported as TornTail.
func ReadWitnessLog(r io.Reader, keys Keyring) (WitnessLog, error) {
	vs, err := keys.noteVerifiers()
	if err != nil {
		return WitnessLog{}, err
	}
	l, _, err := readWitnessLog(r, vs)
	return l, err
}

// readWitnessLog is ReadWitnessLog; it also returns how many bytes it read
// up to the end of the last complete entry (where a later read continues).
func readWitnessLog(r io.Reader, vs note.Verifiers) (WitnessLog, int64, error) {
	var (
		used    int64 // bytes up to the end of the last complete entry
		pos     int64 // bytes of the lines scanned so far
		out     WitnessLog
		bySize  = map[int64]WitnessedCheckpoint{}
		sc      = bufio.NewScanner(r)
		cur     bytes.Buffer
		blanks  int // blank lines in the current entry: 1 between text and signatures, 2 at its end
		lineNo  int
		startAt int
	)
	sc.Buffer(make([]byte, 0, 4096), MaxNoteLen)
	finish := func() error {
		out.Entries++
		w, err := openNote(cur.Bytes(), vs)
		if err != nil {
			return &WitnessLogError{Entry: out.Entries, Line: startAt, Err: err}
		}
		if prev, ok := bySize[w.Size]; ok {
			if !prev.sameHash(w.Hash) {
				out.Conflicts = append(out.Conflicts, w)
			}
		} else {
			bySize[w.Size] = w
		}
		cur.Reset()
		blanks = 0
		used = pos
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := sc.Bytes()
		pos += int64(len(line)) + 1
		if cur.Len() == 0 {
			if len(line) == 0 {
				continue // tolerate extra blank lines between entries
			}
			startAt = lineNo
		}
		if len(line) == 0 {
			blanks++
			if blanks == 2 {
				if err := finish(); err != nil {
					return out, used, err
				}
				continue
			}
		}
		cur.Write(line)
		cur.WriteByte('\n')
		if cur.Len() > MaxNoteLen {
			return out, used, &WitnessLogError{Entry: out.Entries + 1, Line: startAt, Err: fmt.Errorf("%w: longer than %d bytes", ErrNote, MaxNoteLen)}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return out, used, &WitnessLogError{Entry: out.Entries + 1, Line: lineNo + 1, Err: fmt.Errorf("%w: a line is longer than %d bytes", ErrNote, MaxNoteLen)}
		}
		return out, used, fmt.Errorf("%w: reading the witness log: %w", ErrWitness, err)
	}
	if cur.Len() > 0 {
		// The last entry lacks its closing blank line: complete and signed,
		// it counts; otherwise a write was cut short.
		if blanks == 1 {
			if _, err := openNote(cur.Bytes(), vs); err == nil {
				if err := finish(); err != nil {
					return out, used, err
				}
			} else {
				out.TornTail = true
			}
		} else {
			out.TornTail = true
		}
	}
	for _, w := range bySize {
		out.Checkpoints = append(out.Checkpoints, w)
	}
	sort.Slice(out.Checkpoints, func(i, j int) bool { return out.Checkpoints[i].Size < out.Checkpoints[j].Size })
	return out, used, nil
}

var _ note.Signer = (*NoteSigner)(nil)
