package exportfile

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Errors, for errors.Is. They reach the caller inside an *Error that names
// the file, the line and the column, never a value from the data.
var (
	// ErrEmpty: the download has no bytes at all.
	ErrEmpty = errors.New("empty download")
	// ErrUnknownFormat: neither gzip, zip, tar nor CSV text.
	ErrUnknownFormat = errors.New("unrecognised download format (want gzip, zip, tar or CSV)")
	// ErrTruncated: the gzip, zip or tar stream ends early (an interrupted
	// download).
	ErrTruncated = errors.New("download is truncated")
	// ErrCorrupt: a checksum or header is wrong, or compressed data is
	// invalid.
	ErrCorrupt = errors.New("download is corrupt")
	// ErrTooLarge: a zip is larger than Options.MaxZipBytes, or an archive
	// holds more than Options.MaxFiles files.
	ErrTooLarge = errors.New("download too large")
	// ErrNoHeader: a CSV file has no header line.
	ErrNoHeader = errors.New("CSV file has no header")
	// ErrMissingColumn: a required column is absent from the header.
	ErrMissingColumn = errors.New("required column missing")
	// ErrBadQuoting: a CSV quote is unbalanced or misplaced.
	ErrBadQuoting = errors.New("broken CSV quoting")
	// ErrFieldCount: a row has a different number of fields from the
	// header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrRowTooLarge: a row is longer than Options.MaxRowBytes.
	ErrRowTooLarge = errors.New("row too large")
	// ErrFieldTooLarge: a field is longer than Options.MaxFieldBytes.
	ErrFieldTooLarge = errors.New("field too large")
	// ErrBadValue: a typed column (a timestamp) does not parse.
	ErrBadValue = errors.New("bad value")
	// ErrFileClosed: a File was used after iteration moved past it.
	ErrFileClosed = errors.New("file no longer readable: the archive has moved to the next file")
	// ErrIterated: Files was called twice on a streamed archive.
	ErrIterated = errors.New("archive already iterated")
)

// Error locates a decoding problem. It never holds data from a row.
type Error struct {
	File   string // the file's name inside the archive ("" for the archive)
	Line   int    // 1-based CSV line (0 when not applicable)
	Column string // the column's header name, or "#<position>" when the name does not look like one
	Err    error  // a sentinel above
	Detail string // more about what is wrong, without data
	cause  error  // the underlying error, reachable with errors.Is/As
}

// Error formats `exportfile: receipts.csv line 12 column "email": bad value`.
func (e *Error) Error() string {
	s := "exportfile: "
	if e.File != "" {
		s += strconv.Quote(e.File) + " "
	}
	if e.Line > 0 {
		s += fmt.Sprintf("line %d ", e.Line)
	}
	if e.Column != "" {
		s += fmt.Sprintf("column %q ", e.Column)
	}
	if len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1] + ": "
	}
	s += e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel and, when there is one, the underlying
// error (for example a network error from the download body).
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Err, e.cause}
	}
	return []error{e.Err}
}

// classify maps a decompressor or reader error to a sentinel.
func classify(err error) (sentinel error, detail string) {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTruncated, "the stream ends before its end marker"
	case errors.Is(err, gzip.ErrChecksum):
		return ErrCorrupt, "gzip checksum mismatch"
	case errors.Is(err, gzip.ErrHeader):
		return ErrCorrupt, "invalid gzip header"
	case errors.As(err, &ce):
		return ErrCorrupt, "invalid compressed data"
	case errors.Is(err, zip.ErrChecksum):
		return ErrCorrupt, "zip checksum mismatch"
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm):
		return ErrCorrupt, "invalid zip data"
	case errors.Is(err, tar.ErrHeader):
		return ErrCorrupt, "invalid tar header"
	case errors.Is(err, errRowLimit):
		return ErrRowTooLarge, ""
	}
	return ErrCorrupt, "read error"
}

func wrap(file string, line int, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	s, d := classify(err)
	return &Error{File: file, Line: line, Err: s, Detail: d, cause: err}
}

func safeName(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
