package export

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/exportfile"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// FileInfo describes one CSV file of an export, as written or kept. It holds no
// personal data: names, counts and a digest.
type FileInfo struct {
	// Name is the file's name (the archive's base name, made safe).
	Name string `json:"name"`
	// Kind is the statistic the file holds (receipts, opens, ...).
	Kind exportfile.Kind `json:"kind"`
	// Rows is the number of data rows.
	Rows int64 `json:"rows"`
	// LeftOut counts the rows of people whose processing is restricted or who
	// objected (GDPR Art. 18, 21; CCPA opt-outs), not written.
	LeftOut int64 `json:"rows_left_out,omitempty"`
	// Bytes is the size of the CSV written.
	Bytes int64 `json:"bytes"`
	// SHA256 is the hex SHA-256 of the CSV written.
	SHA256 string `json:"sha256"`
	// BlobID is the store blob holding the sealed file, when kept.
	BlobID string `json:"blob_id,omitempty"`
}

// manifestName is the manifest written next to the CSV files in a directory.
const manifestName = "manifest.json"

// Manifest is written as manifest.json in every export directory.
type Manifest struct {
	// JobIdentifier is Intercom's job_identifier.
	JobIdentifier string `json:"job_identifier"`
	// Since and Until are the range's first and last day (YYYY-MM-DD, UTC).
	Since string `json:"since"`
	Until string `json:"until"`
	// WrittenAt is when the directory was written.
	WrittenAt time.Time `json:"written_at"`
	// Format is the container Intercom sent (csv.gz, tar.gz, zip, ...).
	Format string `json:"format,omitempty"`
	// Files are the CSV files in the directory.
	Files []FileInfo `json:"files"`
	// Warnings are decoding oddities that did not stop the export (unexpected
	// or absent columns, skipped entries), without data.
	Warnings []string `json:"warnings,omitempty"`
	// Note says what the files are, for whoever finds the directory.
	Note string `json:"note"`
}

const manifestNote = "Intercom content Data Export: workspace-wide outbound-message statistics. " +
	"Rows name their recipients (user ids, email, name): personal data; keep and delete it under the export retention policy."

// DirName is the name of the directory, inside the output directory, that holds
// the files of a job: "intercom-export-<since>_<until>-<job>".
func DirName(job string, since, until time.Time) string {
	return "intercom-export-" + since.Format(time.DateOnly) + "_" + until.Format(time.DateOnly) + "-" + job
}

func stagingName(final string) string { return "." + final + ".partial" }

// safeName turns an archive entry name into a file name: the base name, with only
// [A-Za-z0-9._-], ending in .csv, unique among used.
func safeName(name string, used map[string]bool) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	s = strings.TrimSuffix(s, ".csv")
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" || strings.EqualFold(s, "manifest") {
		s = "data"
	}
	cand := s + ".csv"
	for i := 2; used[strings.ToLower(cand)]; i++ {
		cand = s + "-" + strconv.Itoa(i) + ".csv"
	}
	used[strings.ToLower(cand)] = true
	return cand
}

// sink receives the decoded files of a download. begin opens a file, end closes
// it; abort removes everything written so far.
type sink interface {
	begin(name string) (io.Writer, error)
	end() error
	abort()
}

// dirSink writes the files into a hidden staging directory; commit renames it to
// its final name in one step.
type dirSink struct {
	outDir, final, staging string
	cur                    *os.File
}

// checkOutDir says whether outDir can receive files without creating anything
// but outDir itself: it is an existing directory, or it does not exist and its
// parent is an existing directory. Missing parents are never created: the files
// are personal data, and a typo must not scatter them in directories nobody
// meant to make.
func checkOutDir(outDir string) (exists bool, err error) {
	st, err := os.Stat(outDir)
	switch {
	case err == nil && st.IsDir():
		return true, nil
	case err == nil:
		return false, fmt.Errorf("%w: the output path exists and is not a directory", ErrOutDir)
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	parent := filepath.Dir(filepath.Clean(outDir))
	if pst, perr := os.Stat(parent); perr != nil || !pst.IsDir() {
		return false, fmt.Errorf("%w: neither the output directory nor its parent directory exists;"+
			" only the last directory of the path is created (mode 0700): create the parent first, or check the path for a typo", ErrOutDir)
	}
	return false, nil
}

// prepareOutDir checks outDir with checkOutDir and creates it, mode 0700, if it
// does not exist yet.
func prepareOutDir(outDir string) error {
	exists, err := checkOutDir(outDir)
	if err != nil || exists {
		return err
	}
	if err := os.Mkdir(outDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	return nil
}

func newDirSink(outDir, final string) (*dirSink, error) {
	if err := prepareOutDir(outDir); err != nil {
		return nil, err
	}
	d := &dirSink{outDir: outDir, final: filepath.Join(outDir, final), staging: filepath.Join(outDir, stagingName(final))}
	// A staging directory left by a crash holds an incomplete copy: remove it.
	if err := os.RemoveAll(d.staging); err != nil {
		return nil, fmt.Errorf("%w: removing a stale staging directory: %v", ErrOutDir, pathless(err))
	}
	if err := os.Mkdir(d.staging, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	return d, nil
}

func (d *dirSink) begin(name string) (io.Writer, error) {
	f, err := os.OpenFile(filepath.Join(d.staging, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	d.cur = f
	return f, nil
}

func (d *dirSink) end() error {
	f := d.cur
	d.cur = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	return nil
}

func (d *dirSink) abort() {
	if d.cur != nil {
		d.cur.Close()
		d.cur = nil
	}
	_ = os.RemoveAll(d.staging)
}

// commit writes the manifest and renames the staging directory to its final name.
// If the final directory already exists and its manifest names the same job (an
// earlier attempt renamed it and was killed before recording it), that copy is
// kept and the new one discarded.
func (d *dirSink) commit(m Manifest) (already bool, err error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return false, err
	}
	if err := writeFileSync(filepath.Join(d.staging, manifestName), append(b, '\n')); err != nil {
		return false, fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	if _, err := os.Lstat(d.final); err == nil {
		prev, rerr := readManifest(d.final)
		if rerr != nil || prev.JobIdentifier != m.JobIdentifier {
			d.abort()
			return false, fmt.Errorf("%w: %s already exists and is not a complete copy of this job", ErrOutDir, filepath.Base(d.final))
		}
		d.abort()
		return true, nil
	}
	if err := os.Rename(d.staging, d.final); err != nil {
		d.abort()
		return false, fmt.Errorf("%w: %v", ErrOutDir, pathless(err))
	}
	syncDir(d.outDir)
	return false, nil
}

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return m, err
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

func writeFileSync(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// pathless drops the path from an *os.PathError (a path may contain a user name).
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}

// keepSink seals each file into a temporary file (ciphertext only) under the
// export's key; commit stores them as blobs inside the caller's transaction.
type keepSink struct {
	ctx     context.Context
	v       *vault.Vault
	keyID   string
	tmpDir  string
	prefix  string
	files   []keptTemp
	cur     *os.File
	sealer  *sealWriter
	curName string
}

type keptTemp struct {
	blobID, name, path string
}

// newKeepSink prepares to seal files for job. Sealed files a killed run left in
// tmpDir for the same job (ciphertext only) are removed first; the caller holds
// the job's download lease, so no live run is writing them.
func newKeepSink(ctx context.Context, v *vault.Vault, keyID, job, tmpDir string) *keepSink {
	k := &keepSink{ctx: ctx, v: v, keyID: keyID, tmpDir: tmpDir, prefix: ".intercom-export-" + job + "-"}
	dir := tmpDir
	if dir == "" {
		dir = os.TempDir()
	}
	if stale, err := filepath.Glob(filepath.Join(dir, k.prefix+"*.sealed")); err == nil {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	return k
}

func (k *keepSink) begin(name string) (io.Writer, error) {
	f, err := os.CreateTemp(k.tmpDir, k.prefix+"*.sealed")
	if err != nil {
		return nil, fmt.Errorf("%w: temporary file: %v", ErrOutDir, pathless(err))
	}
	id := store.NewID("blob_")
	k.cur, k.curName = f, name
	k.files = append(k.files, keptTemp{blobID: id, name: name, path: f.Name()})
	k.sealer = newSealWriter(k.ctx, k.v, k.keyID, id, f)
	return k.sealer, nil
}

func (k *keepSink) end() error {
	f := k.cur
	k.cur = nil
	if err := k.sealer.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: temporary file: %v", ErrOutDir, pathless(err))
	}
	return nil
}

func (k *keepSink) abort() {
	if k.cur != nil {
		k.cur.Close()
		k.cur = nil
	}
	k.cleanup()
}

func (k *keepSink) cleanup() {
	for _, f := range k.files {
		_ = os.Remove(f.path)
	}
}

// store puts the sealed files into the store as blobs, inside tx.
func (k *keepSink) store(ctx context.Context, tx store.Tx, expires time.Time, infos []FileInfo) error {
	for i, f := range k.files {
		fh, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("%w: temporary file: %v", ErrOutDir, pathless(err))
		}
		_, err = tx.PutBlob(ctx, store.Blob{ID: f.blobID, Kind: store.BlobExportFile, PersonKeyID: k.keyID,
			Name: f.name, ExpiresAt: expires}, fh)
		fh.Close()
		if err != nil {
			return err
		}
		infos[i].BlobID = f.blobID
	}
	return nil
}

// multiSink fans one file out to several sinks.
type multiSink []sink

func (m multiSink) begin(name string) (io.Writer, error) {
	ws := make([]io.Writer, 0, len(m))
	for _, s := range m {
		w, err := s.begin(name)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return io.MultiWriter(ws...), nil
}

func (m multiSink) end() error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.end())
	}
	return errors.Join(errs...)
}

func (m multiSink) abort() {
	for _, s := range m {
		s.abort()
	}
}

// countingWriter counts and hashes what passes through.
type countingWriter struct {
	w io.Writer
	n int64
	h hashWriter
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func newCountingWriter(w io.Writer) *countingWriter {
	return &countingWriter{w: w, h: sha256.New()}
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

func (c *countingWriter) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// decode reads every CSV of the archive and writes it, re-encoded, to s. Each row
// is checked: its field count (exportfile), and its documented typed columns
// (Record). It returns the files written and the archive's warnings.
//
// A row for which leaveOut (when set) reports true is not written and is
// counted in FileInfo.LeftOut.
func decode(ctx context.Context, a *exportfile.Archive, s sink, leaveOut func(exportfile.Row) bool, progress func(files int, rows int64)) ([]FileInfo, []string, error) {
	var infos []FileInfo
	var warnings []string
	used := map[string]bool{manifestName: true}
	var total int64
	for f, err := range a.Files() {
		if err != nil {
			return nil, nil, err
		}
		name := safeName(f.Name, used)
		header, err := f.Header()
		if err != nil {
			return nil, nil, err
		}
		w, err := s.begin(name)
		if err != nil {
			return nil, nil, err
		}
		cw := newCountingWriter(w)
		out := csv.NewWriter(cw)
		if err := out.Write(header); err != nil {
			return nil, nil, err
		}
		info := FileInfo{Name: name, Kind: f.Kind}
		for row, err := range f.Rows() {
			if err != nil {
				return nil, nil, err
			}
			if _, err := row.Record(); err != nil {
				return nil, nil, err
			}
			if leaveOut != nil && leaveOut(row) {
				info.LeftOut++
				continue
			}
			if err := out.Write(row.Fields()); err != nil {
				return nil, nil, err
			}
			info.Rows++
			total++
			if total%10000 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
				if progress != nil {
					progress(len(infos)+1, total)
				}
			}
		}
		out.Flush()
		if err := out.Error(); err != nil {
			return nil, nil, err
		}
		if err := s.end(); err != nil {
			return nil, nil, err
		}
		info.Bytes, info.SHA256 = cw.n, cw.sum()
		infos = append(infos, info)
		for _, w := range f.Warnings() {
			warnings = append(warnings, warningText(w))
		}
		if progress != nil {
			progress(len(infos), total)
		}
	}
	for _, w := range a.Warnings() {
		warnings = append(warnings, warningText(w))
	}
	return infos, warnings, nil
}

// warningText formats a decoding warning for the store, the manifest and the
// terminal. A file name that does not look like one is not repeated. Column
// names need no such care: exportfile names a column that does not look like
// one by its position (a file without a header line makes its first data row
// the "column names", which would put a recipient's email into the job's
// record).
func warningText(w exportfile.Warning) string {
	s := path.Base(strings.ReplaceAll(w.File, "\\", "/"))
	if !plainFileName(s) {
		s = "(a file with an unusual name)"
	}
	if w.Column != "" {
		s += fmt.Sprintf(" column %q", w.Column)
	}
	return s + ": " + w.Message
}

// plainFileName reports whether s is a short name of [A-Za-z0-9_.-].
func plainFileName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// limitedRows returns a filter that reports the rows naming a person under an
// active restriction or objection (by the blind index of the row's contact id,
// external id or email), or nil when nobody is: those people are left out of
// the files the product writes or keeps.
func limitedRows(ctx context.Context, st store.Store, v *vault.Vault) (func(exportfile.Row) bool, error) {
	refs, err := st.ActiveLimitRefs(ctx)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	set := make(map[string]bool, len(refs))
	for _, r := range refs {
		set[string(r)] = true
	}
	cols := []struct {
		col  string
		kind vault.IndexKind
	}{{exportfile.ColUserID, vault.KindContactID}, {exportfile.ColUserExternalID, vault.KindExternalID}, {exportfile.ColEmail, vault.KindEmail}}
	return func(row exportfile.Row) bool {
		for _, c := range cols {
			val, ok := row.Get(c.col)
			if !ok || val == "" {
				continue
			}
			if idx, err := v.BlindIndex(c.kind, val); err == nil && set[string(idx)] {
				return true
			}
		}
		return false
	}, nil
}
