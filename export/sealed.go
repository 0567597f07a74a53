package export

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/intercom-privacy/intercom-privacy/vault"
)

// A kept file is sealed in segments so that a file of any size is encrypted and
// decrypted with bounded memory, through the vault's ordinary field encryption:
//
//	segment = flag (1 byte: 0 more, 1 last) || length (4 bytes, big endian) || ciphertext
//
// Each segment's plaintext is at most segmentSize bytes and its ciphertext is made
// with vault.Encrypt under the export's key, with associated data
// blobs/content/<blob id>/<index>/<flag>. Segments therefore cannot be reordered,
// moved to another blob or dropped, and a file cut short lacks its last segment.
const (
	segmentSize = 1 << 20
	// maxSealedSegment bounds a segment's ciphertext: the plaintext plus the vault's
	// header, nonce and tag, with room to spare.
	maxSealedSegment = segmentSize + 4096
	segMore          = 0
	segLast          = 1

	tableBlobs     = "blobs"
	colBlobContent = "content"
)

func segmentAAD(blobID string, index int, flag byte) vault.AAD {
	return vault.AAD{Table: tableBlobs, Column: colBlobContent, Row: blobID + "/" + strconv.Itoa(index) + "/" + strconv.Itoa(int(flag))}
}

// sealWriter encrypts what is written to it in segments and writes them to w.
type sealWriter struct {
	ctx    context.Context
	v      *vault.Vault
	keyID  string
	blobID string
	w      io.Writer
	buf    []byte
	index  int
	closed bool
}

func newSealWriter(ctx context.Context, v *vault.Vault, keyID, blobID string, w io.Writer) *sealWriter {
	return &sealWriter{ctx: ctx, v: v, keyID: keyID, blobID: blobID, w: w, buf: make([]byte, 0, segmentSize)}
}

func (s *sealWriter) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("export: write to a closed sealed file")
	}
	n := 0
	for len(p) > 0 {
		room := segmentSize - len(s.buf)
		if room == 0 {
			if err := s.flush(segMore); err != nil {
				return n, err
			}
			continue
		}
		k := min(room, len(p))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		n += k
	}
	return n, nil
}

func (s *sealWriter) flush(flag byte) error {
	ct, err := s.v.Encrypt(s.ctx, s.keyID, segmentAAD(s.blobID, s.index, flag), s.buf)
	if err != nil {
		return err
	}
	var hdr [5]byte
	hdr[0] = flag
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(ct)))
	if _, err := s.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := s.w.Write(ct); err != nil {
		return err
	}
	s.index++
	s.buf = s.buf[:0]
	return nil
}

// Close writes the last segment (possibly empty).
func (s *sealWriter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(segLast)
}

// decryptFunc opens one segment; the vault's Decrypt in production, a fake in the
// fuzz test.
type decryptFunc func(aad vault.AAD, ciphertext []byte) ([]byte, error)

// unsealReader reads a sealed stream back. Every error wraps ErrSealed and says
// which segment, never any content.
type unsealReader struct {
	r       *bufio.Reader
	open    decryptFunc
	blobID  string
	index   int
	cur     []byte
	last    bool
	err     error
	closeFn func() error
}

func newUnsealReader(r io.Reader, blobID string, open decryptFunc) *unsealReader {
	return &unsealReader{r: bufio.NewReader(r), open: open, blobID: blobID}
}

func (u *unsealReader) fail(format string, args ...any) error {
	u.err = fmt.Errorf("%w: segment %d: %s", ErrSealed, u.index, fmt.Sprintf(format, args...))
	return u.err
}

func (u *unsealReader) Read(p []byte) (int, error) {
	for len(u.cur) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		if u.last {
			// After the last segment the stream must end.
			if _, err := u.r.ReadByte(); err == nil {
				return 0, u.fail("data after the last segment")
			} else if !errors.Is(err, io.EOF) {
				return 0, u.fail("read: %v", err)
			}
			u.err = io.EOF
			return 0, io.EOF
		}
		if err := u.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, u.cur)
	u.cur = u.cur[n:]
	return n, nil
}

func (u *unsealReader) next() error {
	var hdr [5]byte
	if _, err := io.ReadFull(u.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return u.fail("the file ends before its last segment (truncated)")
		}
		return u.fail("read: %v", err)
	}
	flag := hdr[0]
	if flag != segMore && flag != segLast {
		return u.fail("bad segment flag")
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n == 0 || n > maxSealedSegment {
		return u.fail("segment length out of bounds")
	}
	ct := make([]byte, n)
	if _, err := io.ReadFull(u.r, ct); err != nil {
		return u.fail("the file ends inside a segment (truncated)")
	}
	pt, err := u.open(segmentAAD(u.blobID, u.index, flag), ct)
	if err != nil {
		if errors.Is(err, vault.ErrShredded) {
			u.err = fmt.Errorf("%w: segment %d: the export's key was destroyed: %w", ErrSealed, u.index, err)
			return u.err
		}
		return u.fail("does not decrypt (tampered, reordered or from another file)")
	}
	if len(pt) > segmentSize {
		return u.fail("segment larger than allowed")
	}
	u.index++
	u.cur = pt
	u.last = flag == segLast
	return nil
}

// Close closes the underlying blob stream.
func (u *unsealReader) Close() error {
	if u.closeFn != nil {
		return u.closeFn()
	}
	return nil
}
