package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Job is an export job as recorded in the store, with its outcome decoded. It holds
// no personal data.
type Job struct {
	// Job is Intercom's job_identifier (or "unknown_..." for a create whose
	// outcome is unknown).
	Job string `json:"job_identifier"`
	// Since and Until are the range's first and last day (YYYY-MM-DD, UTC).
	Since string `json:"since"`
	Until string `json:"until"`
	// State is the recorded state (State* constants).
	State string `json:"state"`
	// CreatedAt is when the job was recorded; UpdatedAt its last change.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Status is Intercom's last status, as spelled by Intercom.
	Status string `json:"intercom_status,omitempty"`
	// Reason says why a job ended without files (a class, no data).
	Reason string `json:"reason,omitempty"`
	// Dir is the name of the directory the files were written to, inside the
	// output directory given then.
	Dir string `json:"dir,omitempty"`
	// Files are the job's files; those with a BlobID are kept in the store.
	Files []FileInfo `json:"files,omitempty"`
	// Rows counts the data rows of all files.
	Rows int64 `json:"rows"`
	// ExpiresAt is when kept files expire (zero: not kept, or retention off).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Warnings are decoding oddities, without data.
	Warnings []string `json:"warnings,omitempty"`
}

func jobOf(j store.ExportJob) Job {
	o := decodeOutcome(j.Outcome)
	return Job{Job: j.JobIdentifier, Since: j.Since.UTC().Format(time.DateOnly), Until: j.Until.UTC().Format(time.DateOnly),
		State: j.State, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, Status: o.IntercomStatus, Reason: o.Reason,
		Dir: o.Dir, Files: o.Files, Rows: o.Rows, ExpiresAt: o.ExpiresAt, Warnings: o.Warnings}
}

// Jobs lists the recorded export jobs, oldest first.
func (s *Service) Jobs(ctx context.Context) ([]Job, error) {
	js, err := s.Store.ExportJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(js))
	for _, j := range js {
		out = append(out, jobOf(j))
	}
	return out, nil
}

// Get returns one recorded job.
func (s *Service) Get(ctx context.Context, job string) (Job, error) {
	j, err := s.Store.GetExportJob(ctx, job)
	if errors.Is(err, store.ErrNotFound) {
		return Job{}, fmt.Errorf("%w: export job %s", ErrNotFound, shownJob(job))
	}
	if err != nil {
		return Job{}, err
	}
	return jobOf(j), nil
}

// OpenKept opens a kept file (by its blob id) and returns its CSV as a stream,
// decrypted segment by segment; the stream fails with ErrSealed if the file was
// altered or cut short. An expired file (past its expiry, even if retention has
// not deleted it yet) is refused with ErrNotKept. The content is personal data.
func (s *Service) OpenKept(ctx context.Context, blobID string) (io.ReadCloser, error) {
	b, err := s.Store.GetBlob(ctx, blobID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: kept file %s (deleted by retention, or never kept)", ErrNotKept, blobID)
	}
	if err != nil {
		return nil, err
	}
	if b.Kind != store.BlobExportFile {
		return nil, fmt.Errorf("%w: blob %s is not an export file", ErrNotKept, blobID)
	}
	if !b.ExpiresAt.IsZero() && !s.now().Before(b.ExpiresAt) {
		return nil, fmt.Errorf("%w: kept file %s expired at %s", ErrNotKept, blobID, b.ExpiresAt.UTC().Format(time.RFC3339))
	}
	rc, err := s.Store.OpenBlob(ctx, blobID)
	if err != nil {
		return nil, err
	}
	keyID := b.PersonKeyID
	u := newUnsealReader(rc, blobID, func(aad vault.AAD, ct []byte) ([]byte, error) {
		return s.Vault.Decrypt(ctx, keyID, aad, ct)
	})
	u.closeFn = rc.Close
	return u, nil
}

// WriteKept writes the kept files of a job to outDir, in the job's directory
// (DirName), all at once like Run does. It returns the directory's path.
func (s *Service) WriteKept(ctx context.Context, job, outDir string) (string, error) {
	j, err := s.Store.GetExportJob(ctx, job)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: export job %s", ErrNotFound, shownJob(job))
	}
	if err != nil {
		return "", err
	}
	o := decodeOutcome(j.Outcome)
	kept := false
	for _, f := range o.Files {
		kept = kept || f.BlobID != ""
	}
	if !kept {
		return "", fmt.Errorf("%w: export job %s is %s and has no files in the store", ErrNotKept, shownJob(job), j.State)
	}
	name := DirName(j.JobIdentifier, j.Since.UTC(), j.Until.UTC())
	ds, err := newDirSink(outDir, name)
	if err != nil {
		return "", err
	}
	for _, f := range o.Files {
		if err := s.copyKept(ctx, ds, f); err != nil {
			ds.abort()
			return "", err
		}
	}
	m := Manifest{JobIdentifier: j.JobIdentifier, Since: j.Since.UTC().Format(time.DateOnly), Until: j.Until.UTC().Format(time.DateOnly),
		WrittenAt: s.now().UTC(), Files: o.Files, Warnings: o.Warnings, Note: manifestNote}
	if _, err := ds.commit(m); err != nil {
		return "", err
	}
	// Writing personal data out of the store is recorded. The files exist
	// already if this fails; the error says so.
	var rows int64
	for _, f := range o.Files {
		rows += f.Rows
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		_, err := s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(ctx), Action: audit.ActionExportJob, Outcome: audit.OutcomeSuccess,
			Reason: "kept files written out", ObjectIDs: []string{j.JobIdentifier}, Counts: map[string]int64{"files": int64(len(o.Files)), "rows": rows}})
		return err
	})
	if err != nil {
		return ds.final, fmt.Errorf("files written, but recording it in the audit trail failed: %w", err)
	}
	return ds.final, nil
}

func (s *Service) copyKept(ctx context.Context, ds *dirSink, f FileInfo) error {
	rc, err := s.OpenKept(ctx, f.BlobID)
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := ds.begin(f.Name)
	if err != nil {
		return err
	}
	cw := newCountingWriter(w)
	if _, err := io.Copy(cw, rc); err != nil {
		return err
	}
	if err := ds.end(); err != nil {
		return err
	}
	if cw.sum() != f.SHA256 {
		return fmt.Errorf("%w: %s does not match the digest recorded when it was kept", ErrSealed, f.Name)
	}
	return nil
}

// shownJob returns a job identifier fit for an error message: Intercom's job
// identifiers are short runs of letters and digits; anything else (an identifier typed
// in the wrong place) is withheld.
func shownJob(job string) string {
	if job == "" || len(job) > 64 || strings.IndexFunc(job, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return "(the id given)"
	}
	return job
}

// reuseKept finds the newest job of p's range whose files are all kept in the
// store and not expired. If there is one, it returns its result (ok true), after
// writing the files to p.OutDir when given; no Intercom job is created and no
// second copy is kept.
func (s *Service) reuseKept(ctx context.Context, p Params) (Result, bool, error) {
	js, err := s.Store.ExportJobs(ctx, StateKept, StateDownloaded)
	if err != nil {
		return Result{}, false, err
	}
	now := s.now()
	var best *store.ExportJob
	for i := range js {
		j := &js[i]
		if !j.Since.Equal(p.Since) || !j.Until.Equal(p.Until) || (best != nil && !j.UpdatedAt.After(best.UpdatedAt)) {
			continue
		}
		ok, err := s.allKept(ctx, decodeOutcome(j.Outcome), now)
		if err != nil {
			return Result{}, false, err
		}
		if ok {
			best = j
		}
	}
	if best == nil {
		return Result{}, false, nil
	}
	o := decodeOutcome(best.Outcome)
	res := Result{Job: best.JobIdentifier, Outcome: OutcomeKept, Reused: true, IntercomStatus: o.IntercomStatus,
		Since: p.Since.Format(time.DateOnly), Until: p.Until.Format(time.DateOnly),
		Files: o.Files, Rows: o.Rows, ExpiresAt: o.ExpiresAt, Warnings: o.Warnings}
	s.logger().InfoContext(ctx, "export: reusing the copy kept for this range", "job", best.JobIdentifier)
	if p.OutDir != "" {
		dir, err := s.WriteKept(ctx, best.JobIdentifier, p.OutDir)
		if err != nil {
			return res, true, err
		}
		res.Dir, res.Outcome = dir, OutcomeDownloaded
	}
	return res, true, nil
}

// allKept reports whether every file of o is kept in the store and not expired.
func (s *Service) allKept(ctx context.Context, o outcome, now time.Time) (bool, error) {
	if len(o.Files) == 0 {
		return false, nil
	}
	for _, f := range o.Files {
		if f.BlobID == "" {
			return false, nil
		}
		b, err := s.Store.GetBlob(ctx, f.BlobID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !b.ExpiresAt.IsZero() && !now.Before(b.ExpiresAt) {
			return false, nil
		}
	}
	return true, nil
}
