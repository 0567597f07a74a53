package exportfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File is one CSV file of the archive. It is readable only during its turn
// of Archive.Files.
type File struct {
	// Name is the path inside the archive.
	Name string
	// Kind is the statistic the file holds, from its name (or, for an
	// unrecognised name, from a header that has the receipts columns).
	Kind Kind

	a        *Archive
	gen      int
	src      io.Reader
	cr       *csv.Reader
	lim      *rowLimiter
	header   []string
	index    map[string]int
	extra    []int // indexes of columns the schema does not know
	warnings []Warning
	err      error
	started  bool
	rowsRead bool
	lastLine int // line of the last field of the last complete record
}

func (f *File) live() error {
	if f.a == nil || f.a.gen != f.gen {
		return &Error{File: f.Name, Err: ErrFileClosed}
	}
	return nil
}

// Header reads and validates the header line (once) and returns the
// column names. A missing required column is an *Error wrapping
// ErrMissingColumn that names the file and the column.
func (f *File) Header() ([]string, error) {
	if f.started {
		return slices.Clone(f.header), f.err
	}
	if err := f.live(); err != nil {
		return nil, err
	}
	f.started = true
	f.lim = &rowLimiter{r: f.src, max: int64(f.a.opts.MaxRowBytes)}
	f.cr = csv.NewReader(f.lim)
	f.cr.FieldsPerRecord = 0 // every row must match the header's count
	f.cr.ReuseRecord = false
	rec, err := f.cr.Read()
	if errors.Is(err, io.EOF) {
		f.err = &Error{File: f.Name, Line: 1, Err: ErrNoHeader}
		return nil, f.err
	}
	if err != nil {
		f.err = f.csvError(err)
		return nil, f.err
	}
	f.lim.mark(f.cr.InputOffset())
	f.lastLine, _ = f.cr.FieldPos(len(rec) - 1)
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
	}
	f.header = make([]string, len(rec))
	f.index = make(map[string]int, len(rec))
	for i, h := range rec {
		h = strings.TrimSpace(h)
		if len(h) > 256 {
			f.err = &Error{File: f.Name, Line: 1, Err: ErrFieldTooLarge, Detail: fmt.Sprintf("header name %d longer than 256 bytes", i+1)}
			return nil, f.err
		}
		f.header[i] = h
		if _, dup := f.index[h]; dup {
			f.warnings = append(f.warnings, Warning{File: f.Name, Column: columnLabel(h, i), Message: "column appears more than once; the first is used"})
			continue
		}
		f.index[h] = i
	}
	if f.Kind == KindUnknown && looksLikeReceipts(f.header) {
		f.Kind = KindReceipts
	}
	sc := SchemaFor(f.Kind)
	for _, c := range sc.Required {
		if _, ok := f.index[c]; !ok {
			f.err = &Error{File: f.Name, Line: 1, Column: c, Err: ErrMissingColumn, Detail: fmt.Sprintf("a %s file must have it", f.Kind)}
			return nil, f.err
		}
	}
	if f.Kind == KindUnknown {
		f.warnings = append(f.warnings, Warning{File: f.Name, Message: "unrecognised file name; columns not validated"})
	}
	for i, h := range f.header {
		if f.Kind != KindUnknown && !slices.Contains(sc.Known, h) {
			f.extra = append(f.extra, i)
			f.warnings = append(f.warnings, Warning{File: f.Name, Column: columnLabel(h, i), Message: "unexpected column (kept, see Row.Extra)"})
		}
	}
	for _, c := range sc.Known {
		if _, ok := f.index[c]; !ok && f.Kind == KindReceipts {
			f.warnings = append(f.warnings, Warning{File: f.Name, Column: c, Message: "documented column absent"})
		}
	}
	return slices.Clone(f.header), nil
}

// Warnings returns the file's warnings, complete once Header (or Rows)
// has read the header.
func (f *File) Warnings() []Warning { return slices.Clone(f.warnings) }

// Rows streams the file's data rows after validating the header. It
// yields at most one error, then stops. Rows can be iterated once.
func (f *File) Rows() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if f.rowsRead {
			yield(Row{}, &Error{File: f.Name, Err: ErrIterated, Detail: "rows already read"})
			return
		}
		f.rowsRead = true
		if _, err := f.Header(); err != nil {
			yield(Row{}, err)
			return
		}
		for {
			if err := f.live(); err != nil {
				yield(Row{}, err)
				return
			}
			rec, err := f.cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Row{}, f.containerFirst(f.csvError(err)))
				return
			}
			line, _ := f.cr.FieldPos(0)
			f.lastLine, _ = f.cr.FieldPos(len(rec) - 1)
			f.lim.mark(f.cr.InputOffset())
			for i, v := range rec {
				if len(v) > f.a.opts.MaxFieldBytes {
					yield(Row{}, &Error{File: f.Name, Line: line, Column: columnLabel(f.header[i], i), Err: ErrFieldTooLarge,
						Detail: fmt.Sprintf("longer than %d bytes", f.a.opts.MaxFieldBytes)})
					return
				}
			}
			if !yield(Row{f: f, Line: line, fields: rec}, nil) {
				return
			}
		}
	}
}

// containerFirst, after a CSV format error, reads the rest of the file's
// compressed stream: when the stream then fails its checksum or ends early,
// the container is to blame (corrupt bytes decompress to garbage before the
// checksum at the end can tell), and that error is returned instead, at
// the same line. It drains only the current entry, never the whole archive.
func (f *File) containerFirst(csvErr error) error {
	var e *Error
	if !errors.As(csvErr, &e) || !(errors.Is(e.Err, ErrBadQuoting) || errors.Is(e.Err, ErrFieldCount)) {
		return csvErr
	}
	if f.a.Format == FormatCSV || f.a.Format == FormatTar {
		return csvErr // no checksum to consult
	}
	_, err := io.Copy(io.Discard, f.src)
	if err == nil {
		return csvErr
	}
	s, d := classify(err)
	if s == ErrRowTooLarge {
		return csvErr
	}
	return &Error{File: f.Name, Line: e.Line, Err: s, Detail: d + " (found after a CSV error on this line)", cause: err}
}

func (f *File) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		e := &Error{File: f.Name, Line: pe.Line, Err: ErrBadQuoting}
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			e.Err, e.Line = ErrFieldCount, pe.StartLine
			e.Detail = fmt.Sprintf("want %d fields like the header", len(f.header))
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			e.Detail = fmt.Sprintf("quoted field starting on line %d, near column %d", pe.StartLine, pe.Column)
		}
		return e
	}
	line := f.lastLine + 1 // the row after the last complete one
	if errors.Is(err, errRowLimit) {
		return &Error{File: f.Name, Line: line, Err: ErrRowTooLarge, Detail: fmt.Sprintf("longer than %d bytes", f.a.opts.MaxRowBytes)}
	}
	return wrap(f.Name, line, err)
}

// errRowLimit is returned by rowLimiter when one row would exceed the cap.
var errRowLimit = errors.New("row limit")

// columnLabel is how an Error or a Warning names column i, whose header name is
// h: h when it looks like a column name (1 to 64 of [A-Za-z0-9_]), else "#"
// and the column's 1-based position. A file without a header line makes its
// first data row the "names" (a file of an unknown kind is checked against no
// schema), and neither an Error nor a Warning holds data.
func columnLabel(h string, i int) string {
	ok := h != "" && len(h) <= 64
	for j := 0; ok && j < len(h); j++ {
		b := h[j]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
	}
	if ok {
		return h
	}
	return "#" + strconv.Itoa(i+1)
}

// rowLimiter lets the CSV reader consume at most max bytes (plus one read
// buffer) beyond the end of the last complete row, so a huge or endless
// row cannot grow memory without bound.
type rowLimiter struct {
	r       io.Reader
	max     int64
	read    int64 // bytes handed to the CSV reader
	lastEnd int64 // input offset of the end of the last complete row
}

const csvBuffer = 4096 // encoding/csv reads through a bufio.Reader of this size

func (l *rowLimiter) mark(offset int64) { l.lastEnd = offset }

func (l *rowLimiter) Read(p []byte) (int, error) {
	allowed := l.lastEnd + l.max + csvBuffer - l.read
	if allowed <= 0 {
		return 0, errRowLimit
	}
	if int64(len(p)) > allowed {
		p = p[:allowed]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// Row is one data row. It is a view on the row's fields; it holds personal
// data: never log it.
type Row struct {
	f *File
	// Line is the 1-based line the row starts on.
	Line   int
	fields []string
}

// Get returns the value of a column and whether the file has it.
func (r Row) Get(column string) (string, bool) {
	if r.f == nil {
		return "", false
	}
	i, ok := r.f.index[column]
	if !ok || i >= len(r.fields) {
		return "", false
	}
	return r.fields[i], true
}

// Fields returns a copy of the row's fields, in header order.
func (r Row) Fields() []string { return slices.Clone(r.fields) }

// Extra returns the columns the file's schema does not know, by name.
func (r Row) Extra() map[string]string {
	if r.f == nil || len(r.f.extra) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.f.extra))
	for _, i := range r.f.extra {
		if i < len(r.fields) {
			m[r.f.header[i]] = r.fields[i]
		}
	}
	return m
}

// Record is a row with the documented columns decoded. Absent columns give
// zero values. Ids stay strings (Intercom ids are opaque). Each field is
// the column of the same name (ColUserID, ColEmail, ...); Email, Name and
// the user ids identify the recipient and are personal data.
type Record struct {
	UserID         string
	UserExternalID string
	// CompanyID is "" when the file says -1 (no company).
	CompanyID        string
	Email            string
	Name             string
	RulesetID        string
	ContentID        string
	ContentType      string
	ContentTitle     string
	RulesetVersionID string
	ReceiptID        string
	ReceivedAt       time.Time
	// SeriesID is "" when the file says -1 (not part of a series).
	SeriesID    string
	SeriesTitle string
	NodeID      string

	// The first_* engagement times; zero when the event did not happen in
	// the export's date range.
	FirstReply               time.Time
	FirstCompletion          time.Time
	FirstSeriesCompletion    time.Time
	FirstSeriesDisengagement time.Time
	FirstSeriesExit          time.Time
	FirstGoalSuccess         time.Time
	FirstOpen                time.Time
	FirstClick               time.Time
	FirstDismissal           time.Time // from the misspelt first_dismisall
	FirstUnsubscribe         time.Time
	FirstHardBounce          time.Time
}

// Record decodes the documented columns. Timestamps are UNIX seconds (an
// empty value, "0" or "-1" means none; RFC 3339 is accepted too). A bad
// timestamp is an *Error wrapping ErrBadValue naming file, line and
// column.
func (r Row) Record() (Record, error) {
	var rec Record
	s := func(c string) string { v, _ := r.Get(c); return v }
	none := func(v string) string {
		if strings.TrimSpace(v) == "-1" {
			return ""
		}
		return v
	}
	rec.UserID, rec.UserExternalID = s(ColUserID), s(ColUserExternalID)
	rec.CompanyID = none(s(ColCompanyID))
	rec.Email, rec.Name = s(ColEmail), s(ColName)
	rec.RulesetID, rec.ContentID, rec.ContentType, rec.ContentTitle = s(ColRulesetID), s(ColContentID), s(ColContentType), s(ColContentTitle)
	rec.RulesetVersionID, rec.ReceiptID = s(ColRulesetVersionID), s(ColReceiptID)
	rec.SeriesID, rec.SeriesTitle, rec.NodeID = none(s(ColSeriesID)), s(ColSeriesTitle), s(ColNodeID)
	times := []struct {
		col string
		dst *time.Time
	}{
		{ColReceivedAt, &rec.ReceivedAt}, {ColFirstReply, &rec.FirstReply}, {ColFirstCompletion, &rec.FirstCompletion},
		{ColFirstSeriesCompletion, &rec.FirstSeriesCompletion}, {ColFirstSeriesDisengagement, &rec.FirstSeriesDisengagement},
		{ColFirstSeriesExit, &rec.FirstSeriesExit}, {ColFirstGoalSuccess, &rec.FirstGoalSuccess}, {ColFirstOpen, &rec.FirstOpen},
		{ColFirstClick, &rec.FirstClick}, {ColFirstDismissal, &rec.FirstDismissal}, {ColFirstUnsubscribe, &rec.FirstUnsubscribe},
		{ColFirstHardBounce, &rec.FirstHardBounce},
	}
	for _, t := range times {
		v, ok := r.Get(t.col)
		if !ok {
			continue
		}
		ts, err := parseTime(v)
		if err != nil {
			name := ""
			if r.f != nil {
				name = r.f.Name
			}
			return Record{}, &Error{File: name, Line: r.Line, Column: t.col, Err: ErrBadValue, Detail: "want UNIX seconds or RFC 3339"}
		}
		*t.dst = ts
	}
	return rec, nil
}

const maxUnix = 253402300799 // 9999-12-31T23:59:59Z

func parseTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" || v == "-1" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > maxUnix {
			return time.Time{}, errors.New("out of range")
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= maxUnix {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
