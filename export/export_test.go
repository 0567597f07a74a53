package export_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/exportfile"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// checkDir checks the job's directory is complete: a manifest naming every CSV,
// each CSV parsing with the recorded row count and digest, no staging left.
func checkDir(t *testing.T, res export.Result) int64 {
	t.Helper()
	if res.Dir == "" {
		t.Fatal("no directory in the result")
	}
	b, err := os.ReadFile(filepath.Join(res.Dir, "manifest.json"))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var m export.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.JobIdentifier != res.Job || len(m.Files) != len(res.Files) || len(m.Files) == 0 {
		t.Fatalf("manifest %+v does not match result %+v", m, res)
	}
	var rows int64
	for _, f := range m.Files {
		data, err := os.ReadFile(filepath.Join(res.Dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s does not parse: %v", f.Name, err)
		}
		if int64(len(recs)-1) != f.Rows {
			t.Fatalf("%s: %d rows, manifest says %d", f.Name, len(recs)-1, f.Rows)
		}
		if !slices.Equal(recs[0], exportfile.ReceiptColumns) {
			t.Fatalf("%s: header %v", f.Name, recs[0])
		}
		rows += f.Rows
	}
	parent := filepath.Dir(res.Dir)
	for _, e := range entries(t, parent) {
		if strings.Contains(e, ".partial") || strings.Contains(e, ".zip") {
			t.Fatalf("left behind in the output directory: %s", e)
		}
	}
	return rows
}

func TestRunFormatsAndSpellings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format sandbox.ExportFormat
		status sandbox.ExportStatus
		want   exportfile.Format
	}{
		{"targz-completed", sandbox.FormatTarGz, sandbox.ExportCompleted, exportfile.FormatTarGz},
		{"zip-complete", sandbox.FormatZip, sandbox.ExportComplete, exportfile.FormatZip},
		{"gzipcsv-complete", sandbox.FormatGzipCSV, sandbox.ExportComplete, exportfile.FormatGzipCSV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range storetest.Backends(t) {
				t.Run(b.Name, func(t *testing.T) {
					h := newHarness(t, b, sandbox.Options{ExportFormat: tc.format, ExportStatus: tc.status})
					out := t.TempDir()
					var phases []export.Phase
					p := h.params(out)
					p.Progress = func(s export.Status) { phases = append(phases, s.Phase) }
					res, err := h.service(h.app).Run(context.Background(), p)
					if err != nil {
						t.Fatal(err)
					}
					if res.Outcome != export.OutcomeDownloaded || res.Resumed || res.IntercomStatus != string(tc.status) {
						t.Fatalf("result %+v", res)
					}
					if rows := checkDir(t, res); rows == 0 || rows != res.Rows {
						t.Fatalf("rows %d, result says %d", rows, res.Rows)
					}
					if !slices.Contains(phases, export.PhaseWaiting) || !slices.Contains(phases, export.PhaseDownloading) {
						t.Fatalf("phases %v", phases)
					}
					m := readManifest(t, res.Dir)
					if m.Format != string(tc.want) {
						t.Fatalf("format %q, want %q", m.Format, tc.want)
					}
					j, err := h.service(h.app).Get(context.Background(), res.Job)
					if err != nil || j.State != export.StateDownloaded || j.Rows != res.Rows {
						t.Fatalf("stored job %+v, %v", j, err)
					}
					if h.created() != 1 {
						t.Fatalf("%d jobs created", h.created())
					}
					// One audit record per recorded state: created, in progress,
					// completed, downloaded (with counts).
					reasons := h.exportAudit(res.Job)
					if len(reasons) != 4 || !strings.HasPrefix(reasons[0], "created") || reasons[1] != "status in_progress" ||
						!strings.HasPrefix(reasons[2], "completed at Intercom") || !strings.HasPrefix(reasons[3], "downloaded") {
						t.Fatalf("audit reasons %q", reasons)
					}
					h.verifyAudit()
				})
			}
		})
	}
}

func readManifest(t *testing.T, dir string) export.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m export.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKeepAndWriteKept(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	svc := h.service(h.app)
	p := h.params("")
	p.Keep = true
	p.TempDir = t.TempDir()
	res, err := svc.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != export.OutcomeKept || res.Rows == 0 || len(res.Files) == 0 {
		t.Fatalf("result %+v", res)
	}
	if d := res.ExpiresAt.Sub(h.clock.Now()); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Fatalf("kept for %v, want 7 days", d)
	}
	if left := entries(t, p.TempDir); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	for _, f := range res.Files {
		if f.BlobID == "" {
			t.Fatalf("file %s has no blob", f.Name)
		}
		rc, err := svc.OpenKept(context.Background(), f.BlobID)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil || int64(len(recs)-1) != f.Rows {
			t.Fatalf("kept %s: %d records, %v", f.Name, len(recs), err)
		}
	}
	out := t.TempDir()
	dir, err := svc.WriteKept(context.Background(), res.Job, out)
	if err != nil {
		t.Fatal(err)
	}
	res.Dir = dir
	checkDir(t, res)
	if reasons := h.exportAudit(res.Job); reasons[len(reasons)-1] != "kept files written out" {
		t.Fatalf("writing kept files out is not audited: %q", reasons)
	}
	// Past its expiry a kept file is refused even before retention deletes it.
	h.clock.Advance(8 * 24 * time.Hour)
	if _, err := svc.OpenKept(context.Background(), res.Files[0].BlobID); !errors.Is(err, export.ErrNotKept) {
		t.Fatalf("expired kept file: %v", err)
	}
	h.verifyAudit()
}

func TestKeepAndOutDir(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportFormat: sandbox.FormatZip})
	p := h.params(t.TempDir())
	p.Keep = true
	res, err := h.service(h.app).Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != export.OutcomeDownloaded || res.Files[0].BlobID == "" {
		t.Fatalf("result %+v", res)
	}
	checkDir(t, res)
}

func TestNoData(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	out := t.TempDir()
	p := h.params(out)
	p.Since, p.Until = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2001, 1, 2, 0, 0, 0, 0, time.UTC)
	res, err := h.service(h.app).Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != export.OutcomeNoData || res.Dir != "" || len(res.Files) != 0 {
		t.Fatalf("result %+v", res)
	}
	if e := entries(t, out); len(e) != 0 {
		t.Fatalf("output directory holds %v", e)
	}
	if h.downloads.Load() != 0 {
		t.Fatal("downloaded a no_data job")
	}
	h.verifyAudit()
}

func TestFailedJob(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{ExportStatus: sandbox.ExportFailed})
			out := t.TempDir()
			res, err := h.service(h.app).Run(context.Background(), h.params(out))
			var ee *export.Error
			if !errors.Is(err, export.ErrJobFailed) || !errors.As(err, &ee) || ee.State != export.StateFailed || ee.Job != res.Job {
				t.Fatalf("err %v, result %+v", err, res)
			}
			if res.Outcome != export.OutcomeFailed {
				t.Fatalf("outcome %s", res.Outcome)
			}
			if e := entries(t, out); len(e) != 0 {
				t.Fatalf("output directory holds %v", e)
			}
			h.verifyAudit()
		})
	}
}

func TestTimeoutCancels(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: time.Hour})
	out := t.TempDir()
	p := h.params(out)
	p.Timeout = 150 * time.Millisecond
	var canceling bool
	p.Progress = func(s export.Status) { canceling = canceling || s.Phase == export.PhaseCanceling }
	res, err := h.service(h.app).Run(context.Background(), p)
	if !errors.Is(err, export.ErrTimeout) || res.Outcome != export.OutcomeTimedOut || !canceling {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if h.canceled() != 1 {
		t.Fatalf("%d cancels", h.canceled())
	}
	j, err := h.service(h.app).Get(context.Background(), res.Job)
	if err != nil || j.State != export.StateTimedOut || j.Status != "canceled" {
		t.Fatalf("stored %+v %v", j, err)
	}
	h.verifyAudit()
}

// TestResumeAfterCrash stops a run mid-poll (as a killed process would) and runs
// again from another App on the same store: the same job is resumed, never a
// second one created.
func TestResumeAfterCrash(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{ExportDuration: 2 * time.Second})
			out := t.TempDir()
			p := h.params(out)
			first, err := h.runUntilWaiting(p)
			if !errors.Is(err, context.Canceled) || first.Job == "" {
				t.Fatalf("first run: %v %+v", err, first)
			}
			j, err := h.service(h.app).Get(context.Background(), first.Job)
			if err != nil || !export.Resumable(j.State) {
				t.Fatalf("after the crash the job is %+v %v", j, err)
			}
			second, err := h.service(h.open()).Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if !second.Resumed || second.Job != first.Job || second.Outcome != export.OutcomeDownloaded {
				t.Fatalf("second run %+v", second)
			}
			if h.created() != 1 || len(h.sb.Stats().Repeated(sandbox.EffectExportCreated)) != 0 {
				t.Fatalf("%d jobs created", h.created())
			}
			checkDir(t, second)
			h.verifyAudit()
		})
	}
}

// TestResumeAfterCrashMidDownload: the process dies while the files are being
// written (a staging directory with a half file is left behind); the next run
// resumes the same job, removes the debris and writes the files whole.
func TestResumeAfterCrashMidDownload(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportFormat: sandbox.FormatGzipCSV})
	out := t.TempDir()
	release := make(chan struct{})
	h.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasPrefix(r.URL.Path, "/download/") {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	p := h.params(out)
	p.Progress = func(s export.Status) {
		if s.Phase == export.PhaseDownloading {
			time.AfterFunc(100*time.Millisecond, cancel)
		}
	}
	first, err := h.service(h.app).Run(ctx, p)
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v %+v", err, first)
	}
	if e := entries(t, out); len(e) != 0 {
		t.Fatalf("an interrupted download left %v", e)
	}
	// A SIGKILL would not have cleaned up: leave the debris a killed process leaves.
	stale := filepath.Join(out, "."+export.DirName(first.Job, p.Since.UTC().Truncate(24*time.Hour), p.Until.UTC().Truncate(24*time.Hour))+".partial")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "receipts.csv"), []byte("user_id,em"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.setFault(nil)
	p.Progress = nil
	second, err := h.service(h.open()).Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Resumed || second.Job != first.Job || h.created() != 1 {
		t.Fatalf("second run %+v, %d created", second, h.created())
	}
	checkDir(t, second)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale staging directory still there: %v", err)
	}
}

// TestQueuedSecondJob: two exports of different ranges at once through this tool;
// the second waits, queued behind the first, and both complete.
func TestQueuedSecondJob(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: 1500 * time.Millisecond})
	out := t.TempDir()
	started := make(chan string, 1)
	pa := h.params(out)
	var once sync.Once
	pa.Progress = func(s export.Status) {
		if s.Phase == export.PhaseWaiting {
			once.Do(func() { started <- s.Job })
		}
	}
	var wg sync.WaitGroup
	var resA export.Result
	var errA error
	wg.Add(1)
	go func() {
		defer wg.Done()
		resA, errA = h.service(h.app).Run(context.Background(), pa)
	}()
	jobA := <-started
	pb := h.params(out)
	pb.Since = pb.Since.AddDate(0, 0, 1)
	var mu sync.Mutex
	var behind []string
	pb.Progress = func(s export.Status) {
		if s.Phase == export.PhaseQueued {
			mu.Lock()
			behind = append(behind, s.Behind)
			mu.Unlock()
		}
	}
	resB, errB := h.service(h.open()).Run(context.Background(), pb)
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("A: %v, B: %v", errA, errB)
	}
	if resA.Job != jobA || resB.Job == jobA || resA.Outcome != export.OutcomeDownloaded || resB.Outcome != export.OutcomeDownloaded {
		t.Fatalf("A %+v, B %+v", resA, resB)
	}
	if len(behind) == 0 || behind[0] != jobA {
		t.Fatalf("B was not queued behind A: %v", behind)
	}
	if h.created() != 2 {
		t.Fatalf("%d jobs created", h.created())
	}
	// The sandbox never answered 429: the store kept the second from trying.
	if n := h.sb.Stats().Endpoints["POST /export/content/data"].Status[429]; n != 0 {
		t.Fatalf("%d creates refused", n)
	}
	h.verifyAudit()
}

// TestQueuedBehindForeignJob: a job this tool does not know (another integration)
// holds the slot: create answers 429, and the run waits and retries.
func TestQueuedBehindForeignJob(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: time.Second})
	now := h.clock.Now()
	if _, err := h.app.Intercom.CreateContentExport(context.Background(), now.AddDate(0, -1, 0), now); err != nil {
		t.Fatal(err)
	}
	p := h.params(t.TempDir())
	queued := 0
	p.Progress = func(s export.Status) {
		if s.Phase == export.PhaseQueued {
			queued++
		}
	}
	res, err := h.service(h.app).Run(context.Background(), p)
	if err != nil || res.Outcome != export.OutcomeDownloaded {
		t.Fatalf("%v %+v", err, res)
	}
	if queued == 0 || h.sb.Stats().Endpoints["POST /export/content/data"].Status[429] == 0 {
		t.Fatalf("never queued (%d)", queued)
	}
}

func TestQueueTimeout(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: time.Hour})
	now := h.clock.Now()
	if _, err := h.app.Intercom.CreateContentExport(context.Background(), now.AddDate(0, -1, 0), now); err != nil {
		t.Fatal(err)
	}
	p := h.params(t.TempDir())
	p.Timeout = 100 * time.Millisecond
	_, err := h.service(h.app).Run(context.Background(), p)
	if !errors.Is(err, export.ErrQueueTimeout) {
		t.Fatalf("err %v", err)
	}
	if h.created() != 1 {
		t.Fatalf("%d created", h.created())
	}
}

// hijackAfter runs the sandbox, then drops the connection without an answer: the
// request took effect but the client never heard.
func hijackAfter(method, path string) fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != method || r.URL.Path != path {
			return false
		}
		next.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
}

func TestCreateOutcomeUnknown(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: time.Second})
	h.setFault(hijackAfter("POST", "/export/content/data"))
	p := h.params(t.TempDir())
	res, err := h.service(h.app).Run(context.Background(), p)
	var ee *export.Error
	if !errors.Is(err, export.ErrCreateUnknown) || !errors.As(err, &ee) || ee.State != export.StateCreateUnknown {
		t.Fatalf("err %v", err)
	}
	if res.Outcome != export.OutcomeUnknown || h.created() != 1 {
		t.Fatalf("result %+v, %d created", res, h.created())
	}
	j, err := h.service(h.app).Get(context.Background(), res.Job)
	if err != nil || j.State != export.StateCreateUnknown {
		t.Fatalf("stored %+v %v", j, err)
	}
	// The next run is queued behind the orphan job, then creates its own.
	h.setFault(nil)
	queued := false
	p.Progress = func(s export.Status) { queued = queued || s.Phase == export.PhaseQueued }
	res2, err := h.service(h.app).Run(context.Background(), p)
	if err != nil || res2.Outcome != export.OutcomeDownloaded || !queued || h.created() != 2 {
		t.Fatalf("%v %+v queued=%v created=%d", err, res2, queued, h.created())
	}
	h.verifyAudit()
}

// replaceDownload serves body instead of the sandbox's download.
func replaceDownload(body func(orig []byte) []byte) fault {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if !strings.HasPrefix(r.URL.Path, "/download/") {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return true
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body(rec.Body.Bytes()))
		return true
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = "receipts_20260101_000000.csv"
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func receiptRow(extra ...string) string {
	row := make([]string, len(exportfile.ReceiptColumns))
	for i := range row {
		row[i] = ""
	}
	row[0], row[3], row[10], row[6], row[11] = "c1", "a@example.com", "r1", "8000", "1700000000"
	return strings.Join(append(row, extra...), ",") + "\n"
}

func TestBadDownloads(t *testing.T) {
	header := strings.Join(exportfile.ReceiptColumns, ",") + "\n"
	for _, tc := range []struct {
		name   string
		body   func([]byte) []byte
		reason string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "truncated"},
		{"corrupt", func(b []byte) []byte {
			c := bytes.Clone(b)
			for i := 20; i < len(c)-8 && i < 60; i++ {
				c[i] ^= 0x5a
			}
			return c
		}, "corrupt"},
		{"bad-quoting", func([]byte) []byte { return gz(header + receiptRow() + `c2,,-1,"b@example.com,x` + "\n") }, "bad_quoting"},
		{"field-count", func([]byte) []byte { return gz(header + receiptRow() + "c2,x\n") }, "field_count"},
		{"missing-column", func([]byte) []byte { return gz("user_id,name\nc1,x\n") }, "missing_column"},
		{"bad-timestamp", func([]byte) []byte {
			return gz(header + strings.Replace(receiptRow(), "1700000000", "yesterday", 1))
		}, "bad_value"},
		{"not-an-archive", func([]byte) []byte { return []byte{0, 1, 2, 3, 4, 5, 6, 7, 0xff} }, "unknown_format"},
		{"empty", func([]byte) []byte { return nil }, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportFormat: sandbox.FormatGzipCSV})
			h.setFault(replaceDownload(tc.body))
			out := t.TempDir()
			p := h.params(out)
			p.Keep = true
			p.TempDir = t.TempDir()
			res, err := h.service(h.app).Run(context.Background(), p)
			var ee *export.Error
			if !errors.Is(err, export.ErrBadDownload) || !errors.As(err, &ee) || ee.Reason != tc.reason {
				t.Fatalf("err %v", err)
			}
			if res.Outcome != export.OutcomeBad {
				t.Fatalf("result %+v", res)
			}
			if e := entries(t, out); len(e) != 0 {
				t.Fatalf("output directory holds %v", e)
			}
			if e := entries(t, p.TempDir); len(e) != 0 {
				t.Fatalf("temp directory holds %v", e)
			}
			if n := h.downloads.Load(); n != export.DefaultDownloadAttempts {
				t.Fatalf("%d download attempts", n)
			}
			j, _ := h.service(h.app).Get(context.Background(), res.Job)
			if j.State != export.StateBadDownload || j.Reason != tc.reason {
				t.Fatalf("stored %+v", j)
			}
			if strings.Contains(err.Error(), "example.com") {
				t.Fatalf("error holds data: %v", err)
			}
			h.verifyAudit()
		})
	}
}

// TestTransientTruncation: a download cut once, then whole, succeeds.
func TestTransientTruncation(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	var n int
	var mu sync.Mutex
	h.setFault(replaceDownload(func(b []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n == 1 {
			return b[:len(b)/3]
		}
		return b
	}))
	res, err := h.service(h.app).Run(context.Background(), h.params(t.TempDir()))
	if err != nil || res.Outcome != export.OutcomeDownloaded {
		t.Fatalf("%v %+v", err, res)
	}
	checkDir(t, res)
}

func TestUnexpectedColumnsWarn(t *testing.T) {
	header := strings.Join(exportfile.ReceiptColumns, ",") + ",surprise\n"
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	h.setFault(replaceDownload(func([]byte) []byte { return gz(header + receiptRow("x")) }))
	res, err := h.service(h.app).Run(context.Background(), h.params(t.TempDir()))
	if err != nil || res.Rows != 1 || len(res.Warnings) == 0 {
		t.Fatalf("%v %+v", err, res)
	}
	if !strings.Contains(strings.Join(res.Warnings, ";"), "surprise") {
		t.Fatalf("warnings %v", res.Warnings)
	}
}

func TestExpiredDownload(t *testing.T) {
	t.Run("past-download-expires-at", func(t *testing.T) {
		h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: 2 * time.Second})
		p := h.params(t.TempDir())
		first, _ := h.runUntilWaiting(p)
		h.clock.Advance(49 * time.Hour)
		res, err := h.service(h.app).Run(context.Background(), p)
		if !errors.Is(err, export.ErrExpired) || res.Job != first.Job || res.Outcome != export.OutcomeExpired {
			t.Fatalf("%v %+v", err, res)
		}
		if h.downloads.Load() != 0 {
			t.Fatal("fetched an expired download")
		}
	})
	t.Run("download-404", func(t *testing.T) {
		h := newHarness(t, storetest.SQLite(), sandbox.Options{})
		h.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			if !strings.HasPrefix(r.URL.Path, "/download/") {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusGone)
			io.WriteString(w, `{"type":"error.list","errors":[{"code":"not_found","message":"Object not found."}]}`)
			return true
		})
		out := t.TempDir()
		res, err := h.service(h.app).Run(context.Background(), h.params(out))
		if !errors.Is(err, export.ErrExpired) || res.Outcome != export.OutcomeExpired {
			t.Fatalf("%v %+v", err, res)
		}
		if e := entries(t, out); len(e) != 0 {
			t.Fatalf("output directory holds %v", e)
		}
	})
}

func TestInvalidParams(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	now := h.clock.Now()
	for name, p := range map[string]export.Params{
		"no dates": {OutDir: "x"},
		"reversed": {Since: now, Until: now.AddDate(0, 0, -1), OutDir: "x"},
		"future":   {Since: now, Until: now.AddDate(0, 0, 2), OutDir: "x"},
		"nowhere":  {Since: now, Until: now},
		"negative": {Since: now, Until: now, OutDir: "x", PollInterval: -1},
	} {
		if _, err := h.service(h.app).Run(context.Background(), p); !errors.Is(err, export.ErrInvalidParams) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if h.created() != 0 {
		t.Fatal("created a job for bad parameters")
	}
}

// TestConcurrentResumeSameJob: two runs resume the same completed job at once;
// one downloads, the other waits on its lease and reports the same outcome.
func TestConcurrentResumeSameJob(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportFormat: sandbox.FormatGzipCSV, ExportDuration: 2 * time.Second})
	out := t.TempDir()
	// Record the job, then stop (as if killed) before it completes.
	p := h.params(out)
	first, _ := h.runUntilWaiting(p)
	h.clock.Advance(2 * time.Second) // the job completes at Intercom
	// The download is held until the other run is seen waiting on its
	// lease, so the two runs overlap.
	downloading, waiting, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var downloadOnce, waitOnce sync.Once
	h.setFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if strings.HasPrefix(r.URL.Path, "/download/") {
			downloadOnce.Do(func() { close(downloading) })
			<-release
		}
		return false
	})
	p.Progress = func(s export.Status) {
		if s.Phase == export.PhaseQueued && s.Behind == first.Job {
			waitOnce.Do(func() { close(waiting) })
		}
	}
	go func() {
		deadline := time.NewTimer(testwait.Deadline)
		defer deadline.Stop()
		defer close(release)
		for _, ch := range []chan struct{}{downloading, waiting} {
			select {
			case <-ch:
			case <-deadline.C:
				t.Errorf("the two runs did not overlap within %v", testwait.Deadline)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	results := make([]export.Result, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.service(h.open()).Run(context.Background(), p)
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || results[i].Job != first.Job || results[i].Outcome != export.OutcomeDownloaded {
			t.Fatalf("run %d: %v %+v", i, errs[i], results[i])
		}
	}
	if n := h.downloads.Load(); n != 1 {
		t.Fatalf("%d downloads", n)
	}
	if h.created() != 1 {
		t.Fatalf("%d created", h.created())
	}
	checkDir(t, results[0])
	h.verifyAudit()
}

// TestLeaseLapses: a run killed mid-download holds the lease; the next run waits
// for it to lapse, then takes the download over.
func TestLeaseLapses(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportFormat: sandbox.FormatGzipCSV, ExportDuration: 2 * time.Second})
	p := h.params(t.TempDir())
	first, _ := h.runUntilWaiting(p)
	h.clock.Advance(2 * time.Second) // the job completes at Intercom
	// Plant the live lease of a process that died while downloading.
	j, err := h.app.Store.GetExportJob(context.Background(), first.Job)
	if err != nil {
		t.Fatal(err)
	}
	lapse := h.clock.Now().Add(time.Second)
	j.State = export.StateCompleted
	j.Outcome = []byte(`{"lease":{"owner":"run_dead","until":"` + lapse.UTC().Format(time.RFC3339Nano) + `"}}`)
	if err := h.app.Store.PutExportJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	var waited bool
	p.Progress = func(s export.Status) {
		waited = waited || (s.Phase == export.PhaseQueued && s.Behind == first.Job)
	}
	res, err := h.service(h.open()).Run(context.Background(), p)
	if err != nil || res.Outcome != export.OutcomeDownloaded || res.Job != first.Job {
		t.Fatalf("%v %+v", err, res)
	}
	if !waited || h.clock.Now().Before(lapse) {
		t.Fatalf("did not wait for the lease to lapse (waited=%v)", waited)
	}
	if h.downloads.Load() != 1 || h.created() != 1 {
		t.Fatalf("%d downloads, %d created", h.downloads.Load(), h.created())
	}
}

// TestWarningsHoldNoData: a file without a header makes its first row the column
// names; the warnings recorded must not repeat them (the email twice in that row
// is a "duplicate column", named by its position).
func TestWarningsHoldNoData(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	h.setFault(replaceDownload(func([]byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Name = "odd_file.csv"
		io.WriteString(w, "c1,someone@example.com,Some One,someone@example.com\nc2,other@example.com,Other Person,x\n")
		w.Close()
		return b.Bytes()
	}))
	res, err := h.service(h.app).Run(context.Background(), h.params(t.TempDir()))
	if err != nil || res.Outcome != export.OutcomeDownloaded || len(res.Warnings) == 0 {
		t.Fatalf("%v %+v", err, res)
	}
	j, _ := h.service(h.app).Get(context.Background(), res.Job)
	all := strings.Join(append(res.Warnings, j.Warnings...), "|")
	if strings.Contains(all, "example.com") || strings.Contains(all, "Some One") {
		t.Fatalf("warnings repeat data: %s", all)
	}
	if !strings.Contains(all, `column "#4"`) {
		t.Fatalf("no duplicate-column warning naming #4: %s", all)
	}
	m := readManifest(t, res.Dir)
	if b, _ := json.Marshal(m); bytes.Contains(b, []byte("example.com")) {
		t.Fatalf("manifest repeats data: %s", b)
	}
}

// TestCanceledElsewhere: someone cancels the job in Intercom while this run polls.
func TestCanceledElsewhere(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{ExportDuration: time.Hour})
	var once sync.Once
	p := h.params(t.TempDir())
	p.Progress = func(s export.Status) {
		if s.Phase == export.PhaseWaiting {
			once.Do(func() {
				if _, err := h.app.Intercom.CancelContentExport(context.Background(), s.Job); err != nil {
					t.Error(err)
				}
			})
		}
	}
	res, err := h.service(h.app).Run(context.Background(), p)
	if !errors.Is(err, export.ErrJobCanceled) || res.Outcome != export.OutcomeCanceled {
		t.Fatalf("%v %+v", err, res)
	}
	if h.canceled() != 1 {
		t.Fatalf("%d cancels", h.canceled())
	}
}

// TestOutDirParentsNotCreated: --out DIR whose parent does not exist is refused
// before any job is created at Intercom, and nothing is created on disk; a DIR
// whose parent exists is created with mode 0700, and nothing above it.
func TestOutDirParentsNotCreated(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	base := t.TempDir()
	typo := filepath.Join(base, "exprots", "2026", "q1")
	_, err := h.service(h.app).Run(context.Background(), h.params(typo))
	if !errors.Is(err, export.ErrOutDir) || !strings.Contains(err.Error(), "parent") {
		t.Fatalf("export into a directory whose parents do not exist: %v, want ErrOutDir naming the parent", err)
	}
	if h.created() != 0 {
		t.Fatal("a job was created at Intercom although the output directory cannot be made")
	}
	if left := entries(t, base); len(left) != 0 {
		t.Fatalf("directories created anyway: %v", left)
	}
	out := filepath.Join(base, "exports")
	res, err := h.service(h.app).Run(context.Background(), h.params(out))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("output directory: %v, %v; want mode 0700", st, err)
	}
	checkDir(t, res)
	// A file where the directory should be is refused too.
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.service(h.app).Run(context.Background(), h.params(file)); !errors.Is(err, export.ErrOutDir) {
		t.Fatalf("export into a file: %v", err)
	}
}

// TestKeepReusesKeptCopy: `export messages --keep` run again for a range already
// kept used to start a second Intercom job and keep a second encrypted copy of
// the same personal data. It reuses the kept copy (and writes it out when asked)
// unless Force; an expired copy is not reused.
func TestKeepReusesKeptCopy(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	svc := h.service(h.app)
	p := h.params("")
	p.Keep = true
	p.TempDir = t.TempDir()
	first, err := svc.Run(context.Background(), p)
	if err != nil || first.Outcome != export.OutcomeKept {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	blobs := func() int {
		n := 0
		for _, j := range must(svc.Jobs(context.Background())) {
			for _, f := range j.Files {
				if f.BlobID != "" {
					n++
				}
			}
		}
		return n
	}
	kept := blobs()
	again, err := svc.Run(context.Background(), p)
	if err != nil || !again.Reused || again.Job != first.Job || again.Outcome != export.OutcomeKept || h.created() != 1 || blobs() != kept {
		t.Fatalf("second run: %+v, %v; %d jobs created, %d kept files (want the kept copy reused)", again, err, h.created(), blobs())
	}
	// With an output directory, the kept copy is written out.
	p.OutDir = t.TempDir()
	out, err := svc.Run(context.Background(), p)
	if err != nil || !out.Reused || out.Outcome != export.OutcomeDownloaded || h.created() != 1 {
		t.Fatalf("reuse with --out: %+v, %v", out, err)
	}
	checkDir(t, out)
	// Force exports again.
	p.OutDir, p.Force = "", true
	forced, err := svc.Run(context.Background(), p)
	if err != nil || forced.Reused || forced.Job == first.Job || h.created() != 2 {
		t.Fatalf("forced run: %+v, %v, %d created", forced, err, h.created())
	}
	// Past the expiry, no copy is reused.
	h.clock.Advance(8 * 24 * time.Hour)
	p.Force = false
	if late, err := svc.Run(context.Background(), p); err != nil || late.Reused || h.created() != 3 {
		t.Fatalf("run after the kept copies expired: %+v, %v, %d created", late, err, h.created())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
