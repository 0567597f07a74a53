package exportfile

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

const marker = "jane.roe.secret@example.com"

var receiptsHeader = strings.Join(ReceiptColumns, ",")

func receiptRow(i int, email string) string {
	return fmt.Sprintf("u%d,ext%d,-1,%s,\"Roe, Jane\",r1,c%d,email,\"Welcome \"\"new\"\" users\",rv1,rc%d,1764320000,-1,,n1,,,,,,,1764320100,,1764320200,,",
		i, i, email, i, i)
}

func receiptsCSV(n int) []byte {
	var b strings.Builder
	b.WriteString(receiptsHeader + "\r\n")
	for i := range n {
		b.WriteString(receiptRow(i, marker) + "\r\n")
	}
	return []byte(b.String())
}

func opensCSV() []byte {
	return []byte("user_id,email,receipt_id,opened_at\nu1," + marker + ",rc1,1764320100\n")
}

func gz(t testing.TB, name string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = name
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	name string
	body []byte
	dir  bool
}

func tarOf(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range es {
		name := e.name
		if e.dir {
			name += "/"
		}
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(e.body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type result struct {
	files    []string
	kinds    []Kind
	rows     map[string]int
	records  []Record
	warnings []string
}

// readAll drains an archive, returning the first error.
func readAll(t testing.TB, data []byte, o Options) (result, error) {
	t.Helper()
	return readFrom(t, struct{ io.Reader }{bytes.NewReader(data)}, o) // a stream: no io.ReaderAt
}

func readFrom(t testing.TB, r io.Reader, o Options) (result, error) {
	t.Helper()
	res := result{rows: map[string]int{}}
	a, err := OpenWith(r, o)
	if err != nil {
		return res, err
	}
	defer a.Close()
	for f, err := range a.Files() {
		if err != nil {
			return res, err
		}
		res.files = append(res.files, f.Name)
		for row, err := range f.Rows() {
			if err != nil {
				return res, err
			}
			rec, err := row.Record()
			if err != nil {
				return res, err
			}
			res.rows[f.Name]++
			res.records = append(res.records, rec)
		}
		res.kinds = append(res.kinds, f.Kind)
		for _, w := range f.Warnings() {
			res.warnings = append(res.warnings, w.String())
		}
	}
	for _, w := range a.Warnings() {
		res.warnings = append(res.warnings, w.String())
	}
	return res, nil
}

func TestFormats(t *testing.T) {
	rc := receiptsCSV(3)
	files := []entry{{name: "receipts_20261101_030000.csv", body: rc}, {name: "opens_20261101_030000.csv", body: opensCSV()}}
	cases := []struct {
		name   string
		data   []byte
		format Format
		files  []string
	}{
		{"plain csv", rc, FormatCSV, []string{"data.csv"}},
		{"gzip csv named", gz(t, "receipts_20261101_030000.csv", rc), FormatGzipCSV, []string{"receipts_20261101_030000.csv"}},
		{"gzip csv unnamed", gz(t, "", rc), FormatGzipCSV, []string{"data.csv"}},
		{"tar.gz", gz(t, "", tarOf(t, append([]entry{{name: "export", dir: true}}, files...)...)), FormatTarGz, []string{files[0].name, files[1].name}},
		{"tar", tarOf(t, files...), FormatTar, []string{files[0].name, files[1].name}},
		{"zip", zipOf(t, files...), FormatZip, []string{files[0].name, files[1].name}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Open(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if a.Format != tc.format {
				t.Errorf("format %s, want %s", a.Format, tc.format)
			}
			a.Close()
			res, err := readAll(t, tc.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res.files, "|") != strings.Join(tc.files, "|") {
				t.Errorf("files %v, want %v", res.files, tc.files)
			}
			if res.kinds[0] != KindReceipts {
				t.Errorf("kind %s, want receipts (by name or by header)", res.kinds[0])
			}
			if res.rows[tc.files[0]] != 3 {
				t.Errorf("rows %v", res.rows)
			}
			r := res.records[0]
			want := Record{UserID: "u0", UserExternalID: "ext0", CompanyID: "", Email: marker, Name: "Roe, Jane", RulesetID: "r1",
				ContentID: "c0", ContentType: "email", ContentTitle: `Welcome "new" users`, RulesetVersionID: "rv1", ReceiptID: "rc0",
				ReceivedAt: time.Unix(1764320000, 0).UTC(), NodeID: "n1",
				FirstOpen: time.Unix(1764320100, 0).UTC(), FirstDismissal: time.Unix(1764320200, 0).UTC()}
			if r != want {
				t.Errorf("record\n got %+v\nwant %+v", r, want)
			}
		})
	}
}

func TestHeaderValidation(t *testing.T) {
	// Extra column kept and reported; a documented optional column absent
	// is a warning; BOM stripped.
	hdr := "\ufeffuser_id,email,receipt_id,content_id,received_at,surprise"
	data := []byte(hdr + "\nu1," + marker + ",rc1,c1,1764320000,hello\n")
	a, err := Open(bytes.NewReader(gz(t, "receipts.csv", data)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for f, err := range a.Files() {
		if err != nil {
			t.Fatal(err)
		}
		h, err := f.Header()
		if err != nil || h[0] != "user_id" {
			t.Fatalf("header %q %v", h, err)
		}
		var warnCols []string
		for _, w := range f.Warnings() {
			warnCols = append(warnCols, w.Column)
		}
		if !strings.Contains(strings.Join(warnCols, ","), "surprise") || !strings.Contains(strings.Join(warnCols, ","), "first_dismisall") {
			t.Errorf("warnings %v", warnCols)
		}
		for row, err := range f.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			if ex := row.Extra(); ex["surprise"] != "hello" || len(ex) != 1 {
				t.Errorf("extra %v", ex)
			}
			if v, ok := row.Get("email"); !ok || v != marker {
				t.Error("Get email")
			}
			if _, ok := row.Get("nope"); ok {
				t.Error("Get of absent column")
			}
		}
	}

	for _, missing := range []string{"user_id", "email", "receipt_id", "received_at"} {
		cols := []string{}
		for _, c := range ReceiptColumns {
			if c != missing {
				cols = append(cols, c)
			}
		}
		_, err := readAll(t, []byte(strings.Join(cols, ",")+"\n"), Options{Name: "receipts_20260101_000000.csv"})
		var e *Error
		if !errors.Is(err, ErrMissingColumn) || !errors.As(err, &e) || e.Column != missing || e.File != "receipts_20260101_000000.csv" {
			t.Errorf("missing %s: %v", missing, err)
		}
	}
	// Statistics file without receipt_id.
	_, err = readAll(t, tarOf(t, entry{name: "clicks.csv", body: []byte("user_id,email\nu," + marker + "\n")}), Options{})
	if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "receipt_id") || strings.Contains(err.Error(), marker) {
		t.Errorf("clicks without receipt_id: %v", err)
	}
	// Unknown file: not validated, warned.
	res, err := readAll(t, zipOf(t, entry{name: "mystery.csv", body: []byte("a,b\n1,2\n")}), Options{})
	if err != nil || res.kinds[0] != KindUnknown || len(res.warnings) != 1 {
		t.Errorf("unknown file: %v %v %v", res.kinds, res.warnings, err)
	}
	// Empty file.
	if _, err := readAll(t, tarOf(t, entry{name: "receipts.csv"}), Options{}); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty csv: %v", err)
	}
}

func TestSkippedEntries(t *testing.T) {
	data := zipOf(t,
		entry{name: "export", dir: true},
		entry{name: "__MACOSX/._receipts.csv", body: []byte{0, 1, 2}},
		entry{name: "README.txt", body: []byte("hi")},
		entry{name: "export/receipts.csv", body: receiptsCSV(1)},
	)
	res, err := readAll(t, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.files) != 1 || res.files[0] != "export/receipts.csv" {
		t.Errorf("files %v", res.files)
	}
	if len(res.warnings) != 2 {
		t.Errorf("warnings %v", res.warnings)
	}
}

func TestCSVErrors(t *testing.T) {
	good := receiptsHeader + "\n" + receiptRow(1, marker) + "\n"
	cases := []struct {
		name string
		data string
		o    Options
		want error
		line int
		col  string
	}{
		{"bare quote", good + `u2,ext,-1,` + marker + `,Ja"ne,r1,c1,email,t,rv,rc,1,-1,,n,,,,,,,,,,,` + "\n", Options{}, ErrBadQuoting, 3, ""},
		{"unterminated quote", good + `u2,ext,-1,"` + marker + ",Jane\n", Options{}, ErrBadQuoting, 3, ""},
		{"too few fields", good + "u2," + marker + "\n", Options{}, ErrFieldCount, 3, ""},
		{"too many fields", good + receiptRow(2, marker) + ",x\n", Options{}, ErrFieldCount, 3, ""},
		{"field too large", good + receiptRow(2, strings.Repeat("a", 100)+marker) + "\n", Options{MaxFieldBytes: 64}, ErrFieldTooLarge, 3, "email"},
		{"row too large", good + receiptRow(2, strings.Repeat("a", 20000)+marker) + "\n", Options{MaxRowBytes: 1024}, ErrRowTooLarge, 3, ""},
		{"endless quoted field", good + `u2,"` + strings.Repeat(marker+"\n", 2000), Options{MaxRowBytes: 4096}, ErrRowTooLarge, 3, ""},
		{"bad timestamp", good + strings.Replace(receiptRow(2, marker), "1764320000", "yesterday", 1) + "\n", Options{}, ErrBadValue, 3, "received_at"},
		{"timestamp out of range", good + strings.Replace(receiptRow(2, marker), "1764320000", "99999999999999", 1) + "\n", Options{}, ErrBadValue, 3, "received_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, wrapper := range []string{"plain", "gzip", "zip"} {
				data := []byte(tc.data)
				o := tc.o
				o.Name = "receipts.csv"
				switch wrapper {
				case "gzip":
					data = gz(t, "receipts.csv", data)
				case "zip":
					data = zipOf(t, entry{name: "receipts.csv", body: data})
				}
				res, err := readAll(t, data, o)
				if !errors.Is(err, tc.want) {
					t.Fatalf("%s: err = %v, want %v", wrapper, err, tc.want)
				}
				var e *Error
				if !errors.As(err, &e) || e.File != "receipts.csv" || e.Line != tc.line || e.Column != tc.col {
					t.Errorf("%s: located at %+v, want line %d column %q", wrapper, e, tc.line, tc.col)
				}
				if strings.Contains(err.Error(), "jane") || strings.Contains(err.Error(), "Jane") || strings.Contains(err.Error(), "aaaa") {
					t.Errorf("%s: error leaks row content: %v", wrapper, err)
				}
				if res.rows["receipts.csv"] != 1 {
					t.Errorf("%s: %d good rows before the error, want 1", wrapper, res.rows["receipts.csv"])
				}
			}
		})
	}
}

func TestContainerErrors(t *testing.T) {
	big := receiptsCSV(2000)
	gzData := gz(t, "receipts.csv", big)
	tgz := gz(t, "", tarOf(t, entry{name: "receipts.csv", body: big}, entry{name: "opens.csv", body: opensCSV()}))
	tarData := tarOf(t, entry{name: "receipts.csv", body: big}, entry{name: "opens.csv", body: opensCSV()})
	zipData := zipOf(t, entry{name: "receipts.csv", body: big})

	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 0xff
		return c
	}
	cases := []struct {
		name string
		data []byte
		o    Options
		want error
	}{
		{"empty", nil, Options{}, ErrEmpty},
		{"binary", []byte{0, 1, 2, 3, 0xff, 0xfe}, Options{}, ErrUnknownFormat},
		{"gzip of binary", gz(t, "", []byte{0, 0, 0, 1}), Options{}, ErrUnknownFormat},
		{"truncated gzip header", gzData[:5], Options{}, ErrTruncated},
		{"truncated gzip", gzData[:len(gzData)/2], Options{}, ErrTruncated},
		{"truncated gzip trailer", gzData[:len(gzData)-4], Options{}, ErrTruncated},
		{"gzip checksum", flip(gzData, len(gzData)-6), Options{}, ErrCorrupt},
		{"gzip corrupt data", flip(gzData, len(gzData)/2), Options{}, ErrCorrupt},
		{"bad gzip header", flip(gzData, 2), Options{}, ErrCorrupt},
		{"truncated tar.gz", tgz[:len(tgz)/2], Options{}, ErrTruncated},
		{"truncated tar", tarData[:len(tarData)/2], Options{}, ErrTruncated},
		{"truncated tar header", tarData[:len(big)+512+700], Options{}, ErrTruncated},
		{"truncated zip", zipData[:len(zipData)-30], Options{}, ErrTruncated},
		{"zip corrupt data", flip(zipData, len(zipData)/2), Options{}, ErrCorrupt},
		{"zip too large", zipData, Options{MaxZipBytes: 1000}, ErrTooLarge},
		{"too many files", tarData, Options{MaxFiles: 1}, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.data, tc.o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T is not *Error", err)
			}
			if strings.Contains(err.Error(), "jane") {
				t.Errorf("error leaks content: %v", err)
			}
		})
	}
}

func TestZipRandomAccess(t *testing.T) {
	data := zipOf(t, entry{name: "receipts.csv", body: receiptsCSV(2000)})
	// A *bytes.Reader is read in place: MaxZipBytes does not apply.
	res, err := readFrom(t, bytes.NewReader(data), Options{MaxZipBytes: 10})
	if err != nil || len(res.records) != 2000 {
		t.Fatalf("bytes.Reader: %d records, %v", len(res.records), err)
	}
	path := filepath.Join(t.TempDir(), "export.zip")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if res, err := readFrom(t, f, Options{}); err != nil || len(res.records) != 2000 {
		t.Fatalf("os.File: %d records, %v", len(res.records), err)
	}
	if _, err := readFrom(t, bytes.NewReader(data[:len(data)-30]), Options{}); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated in place: %v", err)
	}
	c := bytes.Clone(data)
	c[len(c)/2] ^= 0xff
	if _, err := readFrom(t, strings.NewReader(string(c)), Options{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt in place: %v", err)
	}
	// A reader already advanced is not used in place.
	br := bytes.NewReader(append([]byte("xx"), data...))
	br.Seek(2, io.SeekStart)
	if res, err := readFrom(t, br, Options{}); err != nil || len(res.records) != 2000 {
		t.Errorf("advanced reader: %d, %v", len(res.records), err)
	}
}

func TestZipTempFile(t *testing.T) {
	dir := t.TempDir()
	data := zipOf(t, entry{name: "receipts.csv", body: receiptsCSV(10)})
	a, err := OpenWith(io.MultiReader(bytes.NewReader(data)), Options{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temp files: %d", len(ents))
	}
	if fi, _ := os.Stat(filepath.Join(dir, ents[0].Name())); fi.Mode().Perm() != 0o600 {
		t.Errorf("temp file mode %v", fi.Mode().Perm())
	}
	n := 0
	for f, err := range a.Files() {
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range f.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n != 10 {
		t.Errorf("rows %d", n)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("temp file left behind")
	}
	// A failed open removes it too.
	if _, err := OpenWith(io.MultiReader(bytes.NewReader(data[:len(data)-30])), Options{TempDir: dir}); !errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("temp file left behind after failure")
	}
}

func TestStreamingDiscipline(t *testing.T) {
	data := tarOf(t, entry{name: "receipts.csv", body: receiptsCSV(5)}, entry{name: "opens.csv", body: opensCSV()})
	a, err := Open(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var kept []*File
	for f, err := range a.Files() {
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, f)
		// Stop after two rows: the next file must still be read correctly.
		n := 0
		for _, err := range f.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 2 {
				break
			}
		}
		for _, err := range f.Rows() {
			if !errors.Is(err, ErrIterated) {
				t.Errorf("second Rows: %v", err)
			}
		}
	}
	if len(kept) != 2 || kept[1].Kind != KindOpens {
		t.Fatalf("files %v", kept)
	}
	fresh := &File{Name: kept[0].Name, a: a, gen: kept[0].gen, src: strings.NewReader("x")}
	if _, err := fresh.Header(); !errors.Is(err, ErrFileClosed) {
		t.Errorf("stale file: %v", err)
	}
	for _, err := range a.Files() {
		if !errors.Is(err, ErrIterated) {
			t.Errorf("second Files: %v", err)
		}
	}
}

func TestKindOf(t *testing.T) {
	cases := map[string]Kind{
		"receipts_20261101_030000.csv": KindReceipts, "export/Receipts.CSV": KindReceipts, "receipt.csv": KindReceipts,
		"opens_20261101_030000.csv": KindOpens, "hard_bounces_20261101.csv": KindHardBounces, "click.csv": KindClicks,
		"series_exits.csv": KindSeriesExits, "message-data-export.abc.csv": KindUnknown, "dir\\dismissals.csv": KindDismissals,
	}
	for in, want := range cases {
		if got := KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestBoundedMemory streams a large gzipped CSV through a pipe and checks
// that the live heap stays small while rows are read.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	pr, pw := io.Pipe()
	const rows = 200000
	go func() {
		w := gzip.NewWriter(pw)
		io.WriteString(w, receiptsHeader+"\n")
		for i := range rows {
			io.WriteString(w, receiptRow(i, marker)+"\n")
		}
		w.Close()
		pw.Close()
	}()
	a, err := Open(pr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var peak uint64
	n := 0
	for f, err := range a.Files() {
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range f.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n%50000 == 0 {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}
	if n != rows {
		t.Fatalf("rows %d", n)
	}
	// About 35 MB of CSV went through; the live heap must not hold it.
	if peak > 16<<20 {
		t.Errorf("live heap %d bytes while streaming", peak)
	}
}

func BenchmarkRows(b *testing.B) {
	data := gz(b, "receipts.csv", receiptsCSV(10000))
	b.SetBytes(int64(len(receiptsCSV(10000))))
	b.ReportAllocs()
	for b.Loop() {
		res, err := readAll(b, data, Options{})
		if err != nil || len(res.records) != 10000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "rows/s")
}

func FuzzOpenRows(f *testing.F) {
	f.Add(receiptsCSV(2))
	f.Add(gz(f, "receipts.csv", receiptsCSV(2)))
	f.Add(tarOf(f, entry{name: "opens.csv", body: opensCSV()}))
	f.Add(zipOf(f, entry{name: "receipts.csv", body: receiptsCSV(1)}, entry{name: "x/", dir: true}))
	f.Add([]byte("user_id,\"email\nx"))
	f.Add([]byte("\ufeffa,b\n\"1\"\"\",2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r io.Reader = bytes.NewReader(data) // zip read in place
		if len(data)%2 == 1 {
			r = struct{ io.Reader }{r} // zip buffered
		}
		a, err := OpenWith(r, Options{MaxRowBytes: 4096, MaxFieldBytes: 1024, MaxZipBytes: 1 << 20, MaxFiles: 20})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Open error %T is not *Error", err)
			}
			return
		}
		defer a.Close()
		for f, err := range a.Files() {
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Files error %T is not *Error: %v", err, err)
				}
				return
			}
			h, _ := f.Header()
			for row, err := range f.Rows() {
				if err != nil {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("Rows error %T is not *Error: %v", err, err)
					}
					break
				}
				if len(row.Fields()) != len(h) {
					t.Fatalf("row has %d fields, header %d", len(row.Fields()), len(h))
				}
				for _, v := range row.Fields() {
					if len(v) > 1024 {
						t.Fatal("field over the cap")
					}
				}
				_, _ = row.Record()
				_ = row.Extra()
			}
		}
	})
}

// A file of an unknown kind is not checked against a schema, so one without a
// header line makes its first data row the column names: an error about a
// column must not repeat such a "name".
func TestErrorColumnFromHeaderlessFileHoldsNoData(t *testing.T) {
	data := marker + ",Jane Doe\nu2," + strings.Repeat("a", 100) + "\n"
	_, err := readAll(t, []byte(data), Options{Name: "misc.csv", MaxFieldBytes: 64})
	if !errors.Is(err, ErrFieldTooLarge) {
		t.Fatalf("err = %v, want ErrFieldTooLarge", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.Column != "#2" {
		t.Errorf("located at %+v, want line 2 column #2", e)
	}
	if msg := err.Error(); strings.Contains(msg, marker) || strings.Contains(msg, "Jane") {
		t.Errorf("error leaks row content: %v", msg)
	}
	// The same value twice in that first row is a "duplicate column".
	res, err := readAll(t, []byte(marker+","+marker+"\nu1,u2\n"), Options{Name: "misc.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.warnings, func(w string) bool { return strings.Contains(w, `column "#2"`) }) {
		t.Errorf("no duplicate-column warning naming #2: %q", res.warnings)
	}
	for _, w := range res.warnings {
		if strings.Contains(w, marker) {
			t.Errorf("warning leaks row content: %s", w)
		}
	}
}
