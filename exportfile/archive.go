// Package exportfile decodes the download of Intercom's content Data Export
// (GET download_url of a completed job, intercom-api-notes §10): workspace-
// wide outbound-message statistics whose rows name recipients (email,
// name, user ids), so everything read here is personal data.
//
// Intercom documents the download as "a gzipped CSV" and, elsewhere, as "a
// gzipped folder containing multiple CSVs, one for each message statistic";
// the help centre calls the UI export a ZIP. Open therefore sniffs the
// bytes and accepts:
//
//   - gzip of one CSV (the gzip header's file name, when set, names it);
//   - gzip of a tar of CSVs (.tar.gz);
//   - a zip of CSVs;
//   - a plain tar of CSVs;
//   - a plain CSV.
//
// Memory is bounded: gzip, tar and CSV are streamed, one row at a time,
// with a cap on each row (Options.MaxRowBytes) and on each field
// (Options.MaxFieldBytes). A zip cannot be streamed (its directory is at
// the end), so unless r is an *os.File, *bytes.Reader or *strings.Reader
// (read through io.ReaderAt in place) it is buffered whole: in memory up to Options.MaxZipBytes
// (256 MiB by default), or, when Options.TempDir is set, in a temporary
// file there (mode 0600, removed by Archive.Close; it holds personal data
// in clear while it exists, so point TempDir at an encrypted volume).
//
// Every error is an *Error naming the file, the line and the column,
// never a value from the data.
package exportfile

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// Format is the container format Open recognised.
type Format string

// The formats Open recognises.
const (
	FormatCSV     Format = "csv"
	FormatGzipCSV Format = "csv.gz"
	FormatTarGz   Format = "tar.gz"
	FormatTar     Format = "tar"
	FormatZip     Format = "zip"
)

// Defaults for Options.
const (
	DefaultMaxRowBytes   = 1 << 20   // 1 MiB per CSV row
	DefaultMaxFieldBytes = 64 << 10  // 64 KiB per field
	DefaultMaxZipBytes   = 256 << 20 // 256 MiB zip buffer
	DefaultMaxFiles      = 1000      // files per archive
	DefaultName          = "data.csv"
)

// Options bound the decoder. The zero value applies the defaults.
type Options struct {
	// MaxRowBytes caps the bytes of one CSV row (0: DefaultMaxRowBytes).
	MaxRowBytes int
	// MaxFieldBytes caps one field (0: DefaultMaxFieldBytes).
	MaxFieldBytes int
	// MaxZipBytes caps the buffered size of a zip (0: DefaultMaxZipBytes).
	MaxZipBytes int64
	// MaxFiles caps the number of files read from an archive
	// (0: DefaultMaxFiles).
	MaxFiles int
	// TempDir, when set, buffers a zip in a temporary file there instead
	// of in memory.
	TempDir string
	// Name names a plain or gzipped single CSV whose gzip header carries
	// no name (default "data.csv").
	Name string
}

func (o Options) withDefaults() Options {
	if o.MaxRowBytes <= 0 {
		o.MaxRowBytes = DefaultMaxRowBytes
	}
	if o.MaxFieldBytes <= 0 {
		o.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if o.MaxZipBytes <= 0 {
		o.MaxZipBytes = DefaultMaxZipBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	return o
}

// Warning is something odd but not fatal: an unexpected column, a
// documented column missing, an entry skipped. It holds names only.
type Warning struct {
	File    string // the file's name inside the archive
	Column  string // the column's header name ("#<position>" when it does not look like one), if the warning is about one
	Message string // what is odd
}

// String formats the warning for display.
func (w Warning) String() string {
	s := w.File
	if w.Column != "" {
		s += fmt.Sprintf(" column %q", w.Column)
	}
	return s + ": " + w.Message
}

// Archive is an opened download. Iterate its files once with Files, then
// Close it.
type Archive struct {
	// Format is the container format recognised.
	Format Format

	opts     Options
	single   io.Reader // plain or gzipped single CSV
	name     string
	tr       *tar.Reader
	zr       *zip.Reader
	tmp      *os.File
	gz       *gzip.Reader
	iterated bool
	gen      int
	warnings []Warning
}

// Open sniffs r and prepares to iterate its files, with default Options.
func Open(r io.Reader) (*Archive, error) { return OpenWith(r, Options{}) }

// OpenWith is Open with explicit bounds.
func OpenWith(r io.Reader, o Options) (*Archive, error) {
	o = o.withDefaults()
	a := &Archive{opts: o}
	ra, raSize, random := readerAt(r) // before any read moves r
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(512)
	if len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, wrap("", 0, err)
		}
		return nil, &Error{Err: ErrEmpty}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, wrap("", 0, err)
		}
		a.gz = gz
		inner := bufio.NewReaderSize(gz, 4096)
		ih, err := inner.Peek(512)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, wrap("", 0, err)
		}
		if isTar(ih) {
			a.Format, a.tr = FormatTarGz, tar.NewReader(inner)
			return a, nil
		}
		if !isText(ih) {
			return nil, &Error{Err: ErrUnknownFormat, Detail: "gzip content is neither tar nor CSV text"}
		}
		a.Format, a.single, a.name = FormatGzipCSV, inner, o.Name
		if n := path.Base(strings.ReplaceAll(gz.Name, "\\", "/")); gz.Name != "" && n != "." && n != "/" {
			a.name = safeName(n)
		}
		return a, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		if random {
			// Random access already: no buffering needed.
			a.Format = FormatZip
			if err := a.zipFrom(ra, raSize); err != nil {
				return nil, err
			}
			return a, nil
		}
		if err := a.openZip(br); err != nil {
			a.Close()
			return nil, err
		}
		return a, nil
	case isTar(head):
		a.Format, a.tr = FormatTar, tar.NewReader(br)
		return a, nil
	case isText(head):
		a.Format, a.single, a.name = FormatCSV, br, o.Name
		return a, nil
	}
	return nil, &Error{Err: ErrUnknownFormat}
}

func (a *Archive) openZip(r io.Reader) error {
	a.Format = FormatZip
	limit := a.opts.MaxZipBytes
	var ra io.ReaderAt
	var size int64
	if a.opts.TempDir != "" {
		f, err := os.CreateTemp(a.opts.TempDir, "intercom-export-*.zip")
		if err != nil {
			return &Error{Err: ErrTooLarge, Detail: "cannot create a temporary file in TempDir", cause: err}
		}
		a.tmp = f
		n, err := io.Copy(f, io.LimitReader(r, limit+1))
		if err != nil {
			return wrap("", 0, err)
		}
		ra, size = f, n
	} else {
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
		if err != nil {
			return wrap("", 0, err)
		}
		ra, size = bytes.NewReader(buf.Bytes()), n
	}
	if size > limit {
		return &Error{Err: ErrTooLarge, Detail: fmt.Sprintf("zip larger than %d bytes (Options.MaxZipBytes)", limit)}
	}
	return a.zipFrom(ra, size)
}

// readerAt returns r as random-access input when it offers it at offset 0
// (a *bytes.Reader or *strings.Reader not yet read, an *os.File at its
// start), so a zip need not be buffered.
func readerAt(r io.Reader) (io.ReaderAt, int64, bool) {
	switch v := r.(type) {
	case *bytes.Reader:
		return v, v.Size(), v.Len() == int(v.Size())
	case *strings.Reader:
		return v, v.Size(), v.Len() == int(v.Size())
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		if pos, err := v.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
			return nil, 0, false
		}
		return v, fi.Size(), true
	}
	return nil, 0, false
}

func (a *Archive) zipFrom(ra io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		// A zip's directory is at its end: a download cut short has local
		// headers but no directory.
		if errors.Is(err, zip.ErrFormat) {
			return &Error{Err: ErrTruncated, Detail: "zip has no central directory (cut short or not a zip)", cause: err}
		}
		return wrap("", 0, err)
	}
	a.zr = zr
	return nil
}

func isTar(h []byte) bool {
	return len(h) >= 262 && bytes.Equal(h[257:262], []byte("ustar"))
}

// isText reports whether h looks like CSV text: no NUL byte and valid
// UTF-8 (allowing a rune cut at the end of the sample).
func isText(h []byte) bool {
	if bytes.IndexByte(h, 0) >= 0 {
		return false
	}
	for len(h) > 0 {
		r, n := utf8.DecodeRune(h)
		if r == utf8.RuneError && n <= 1 {
			return len(h) < utf8.UTFMax && !utf8.FullRune(h)
		}
		h = h[n:]
	}
	return true
}

// Warnings returns the archive-level warnings (entries skipped), complete
// once Files has been iterated.
func (a *Archive) Warnings() []Warning { return append([]Warning(nil), a.warnings...) }

// Close releases the archive and removes a zip's temporary file.
func (a *Archive) Close() error {
	var errs []error
	if a.gz != nil {
		errs = append(errs, a.gz.Close())
	}
	if a.tmp != nil {
		errs = append(errs, a.tmp.Close(), os.Remove(a.tmp.Name()))
		a.tmp = nil
	}
	return errors.Join(errs...)
}

// Files iterates the CSV files of the archive in stored order. The archive
// is a stream: read each file's rows inside the loop body; a File kept
// past its iteration returns ErrFileClosed. Files can be iterated once.
// Entries that are not regular files, or whose names do not end in .csv
// (directories, __MACOSX metadata, README), are skipped with a warning.
// An error ends the iteration.
func (a *Archive) Files() iter.Seq2[*File, error] {
	return func(yield func(*File, error) bool) {
		if a.iterated {
			yield(nil, &Error{Err: ErrIterated})
			return
		}
		a.iterated = true
		next := func(name string, r io.Reader) bool {
			a.gen++
			f := &File{Name: name, Kind: KindOf(name), a: a, gen: a.gen, src: r}
			ok := yield(f, nil)
			a.gen++
			return ok
		}
		count := 0
		tooMany := func() bool {
			count++
			if count > a.opts.MaxFiles {
				yield(nil, &Error{Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d files (Options.MaxFiles)", a.opts.MaxFiles)})
				return true
			}
			return false
		}
		switch {
		case a.single != nil:
			next(a.name, a.single)
		case a.tr != nil:
			for {
				h, err := a.tr.Next()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					yield(nil, wrap("", 0, err))
					return
				}
				name := safeName(h.Name)
				if !a.wanted(name, h.Typeflag == tar.TypeReg) {
					continue
				}
				if tooMany() || !next(name, a.tr) {
					return
				}
			}
		case a.zr != nil:
			for _, zf := range a.zr.File {
				name := safeName(zf.Name)
				if !a.wanted(name, zf.Mode().IsRegular()) {
					continue
				}
				if tooMany() {
					return
				}
				rc, err := zf.Open()
				if err != nil {
					yield(nil, wrap(name, 0, err))
					return
				}
				ok := next(name, rc)
				rc.Close()
				if !ok {
					return
				}
			}
		}
	}
}

func (a *Archive) wanted(name string, regular bool) bool {
	base := path.Base(name)
	switch {
	case !regular:
		if !strings.HasSuffix(name, "/") {
			a.warnings = append(a.warnings, Warning{File: name, Message: "skipped: not a regular file"})
		}
		return false
	case strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, "._"):
		a.warnings = append(a.warnings, Warning{File: name, Message: "skipped: archiver metadata"})
		return false
	case !strings.HasSuffix(strings.ToLower(name), ".csv"):
		a.warnings = append(a.warnings, Warning{File: name, Message: "skipped: not a .csv file"})
		return false
	}
	return true
}
