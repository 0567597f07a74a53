package sandbox

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// exportExpiry is how long a completed export can be downloaded.
const exportExpiry = 48 * time.Hour

type exportJob struct {
	id         string
	n          int
	created    time.Time
	after      int64
	before     int64
	canceledAt time.Time
	canceled   bool
	noData     bool // no receipts in the range: the job finishes as no_data
}

type exportJSON struct {
	JobIdentifier     string `json:"job_identifier"`
	Status            string `json:"status"`
	DownloadURL       string `json:"download_url"`
	DownloadExpiresAt string `json:"download_expires_at"`
}

func timeUTC(t int64) time.Time { return time.Unix(t, 0).UTC() }

// jobState is the job's status at now: pending for the first half of ExportDuration,
// in_progress for the second, then completed or complete (per Options.ExportStatus),
// no_data when no message was sent in the range, or failed.
func (s *Server) jobState(j *exportJob, now time.Time) (status string, done time.Time) {
	if j.canceled {
		return "canceled", time.Time{}
	}
	d := s.opts.ExportDuration
	elapsed := now.Sub(j.created)
	switch {
	case elapsed < d/2:
		return "pending", time.Time{}
	case elapsed < d:
		return "in_progress", time.Time{}
	}
	done = j.created.Add(d)
	if j.noData && s.opts.ExportStatus != ExportFailed {
		return "no_data", done
	}
	switch s.opts.ExportStatus {
	case ExportFailed:
		return "failed", done
	case ExportComplete:
		return "complete", done
	case ExportCompleted:
		return "completed", done
	}
	if j.n%2 == 1 {
		return "complete", done
	}
	return "completed", done
}

func (s *Server) renderJob(r *http.Request, j *exportJob) (int, exportJSON) {
	status, done := s.jobState(j, s.opts.Now())
	out := exportJSON{JobIdentifier: j.id, Status: status}
	switch status {
	case "failed":
		return http.StatusGatewayTimeout, out
	case "complete", "completed":
		// Intercom still hands out download URLs under the legacy messages path.
		prefix := "/download/content/data/"
		if j.n%2 == 1 {
			prefix = "/download/messages/data/"
		}
		out.DownloadURL = baseURL(r) + prefix + j.id
		out.DownloadExpiresAt = strconv.FormatInt(done.Add(exportExpiry).Unix(), 10)
	}
	return http.StatusOK, out
}

// createExport is POST /export/content/data. Only one job may be pending or running;
// a second answers 429.
func (s *Server) createExport(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		After  *int64 `json:"created_at_after"`
		Before *int64 `json:"created_at_before"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "created_at_after and created_at_before must be UNIX timestamps")
		return
	}
	if req.After == nil || req.Before == nil {
		writeError(w, r, http.StatusBadRequest, "parameter_not_found", "created_at_after and created_at_before are required")
		return
	}
	if *req.After > *req.Before {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "created_at_after must not be after created_at_before")
		return
	}
	now := s.opts.Now()
	ws := s.ws
	ws.mu.Lock()
	for _, j := range ws.exports {
		if st, _ := s.jobState(j, now); st == "pending" || st == "in_progress" {
			ws.mu.Unlock()
			writeError(w, r, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit of 1 pending message data export jobs")
			return
		}
	}
	ws.exportSeq++
	h := fnv.New64a()
	h.Write([]byte(ws.appID + strconv.Itoa(ws.exportSeq)))
	id := strings.ToLower(strconv.FormatUint(h.Sum64(), 36))
	j := &exportJob{id: id, n: ws.exportSeq, created: now, after: *req.After, before: *req.Before,
		noData: len(ws.receipts(*req.After, *req.Before)) == 0}
	ws.exports[id] = j
	ws.mu.Unlock()
	s.stats.effect(EffectExportCreated, id)
	_, out := s.renderJob(r, j)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) exportStatus(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	j, ok := ws.exports[r.PathValue("id")]
	var status int
	var out exportJSON
	if ok {
		status, out = s.renderJob(r, j)
	}
	ws.mu.RUnlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "The requested resource does not exist.")
		return
	}
	writeJSON(w, status, out)
}

// cancelExport is POST /export/cancel/{id}; a job that already finished is returned
// unchanged.
func (s *Server) cancelExport(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.Lock()
	j, ok := ws.exports[r.PathValue("id")]
	changed := false
	if ok {
		if st, _ := s.jobState(j, s.opts.Now()); st == "pending" || st == "in_progress" {
			j.canceled, j.canceledAt, changed = true, s.opts.Now(), true
		}
	}
	var status int
	var out exportJSON
	if ok {
		status, out = s.renderJob(r, j)
	}
	ws.mu.Unlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "The requested resource does not exist.")
		return
	}
	if changed {
		s.stats.effect(EffectExportCanceled, j.id)
	}
	writeJSON(w, status, out)
}

// receiptColumns are the receipts CSV's columns (data_export_csv in the description,
// including its misspelt first_dismisall).
var receiptColumns = []string{"user_id", "user_external_id", "company_id", "email", "name", "ruleset_id",
	"content_id", "content_type", "content_title", "ruleset_version_id", "receipt_id", "received_at",
	"series_id", "series_title", "node_id", "first_reply", "first_completion", "first_series_completion",
	"first_series_disengagement", "first_series_exit", "first_goal_success", "first_open", "first_click",
	"first_dismisall", "first_unsubscribe", "first_hard_bounce"}

// download serves a completed job's data under /download/content/data/{id} and the
// legacy /download/messages/data/{id}. Its media type is application/octet-stream: an
// Accept that excludes it was answered 406 before (acceptable).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	j, ok := ws.exports[r.PathValue("id")]
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", "The requested resource does not exist.")
		return
	}
	st, done := s.jobState(j, now)
	if (st != "complete" && st != "completed") || now.After(done.Add(exportExpiry)) {
		writeError(w, r, http.StatusNotFound, "not_found", "The requested resource does not exist.")
		return
	}
	rows := ws.receipts(j.after, j.before)
	stamp := done.UTC().Format("20060102_150405")
	name := "receipts_" + stamp + ".csv"
	var csvBuf bytes.Buffer
	cw := csv.NewWriter(&csvBuf)
	_ = cw.Write(receiptColumns)
	_ = cw.WriteAll(rows)
	var out bytes.Buffer
	switch s.opts.ExportFormat {
	case FormatZip:
		zw := zip.NewWriter(&out)
		f, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: done})
		_, _ = f.Write(csvBuf.Bytes())
		_ = zw.Close()
	case FormatGzipCSV:
		gz := gzip.NewWriter(&out)
		gz.Name = name
		_, _ = gz.Write(csvBuf.Bytes())
		_ = gz.Close()
	default:
		gz := gzip.NewWriter(&out)
		tw := tar.NewWriter(gz)
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(csvBuf.Len()), ModTime: done, Typeflag: tar.TypeReg})
		_, _ = tw.Write(csvBuf.Bytes())
		_ = tw.Close()
		_ = gz.Close()
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="message-data-export.`+j.id+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
}

// receipts derives outbound-message receipts for users with an email, deterministic
// for the workspace, received within [after, before] (whole days, inclusive). The
// caller holds the read lock.
func (ws *Workspace) receipts(after, before int64) [][]string {
	lo, hi := floorDay(after), floorDay(before)+day
	var rows [][]string
	for i, c := range ws.contactOrder {
		if ws.deleted[c.ID] || c.Email == "" || c.MergedInto != "" {
			continue
		}
		for k := 0; k < 3; k++ {
			h := fnv.New64a()
			h.Write([]byte(c.ID))
			h.Write([]byte{byte(k)})
			v := h.Sum64()
			if v%3 == 0 {
				continue
			}
			at := c.CreatedAt + int64(v>>8)%max(1, ws.anchor.Unix()-c.CreatedAt)
			if at < lo || at >= hi {
				continue
			}
			opened, clicked := "", ""
			if v%5 < 3 {
				opened = strconv.FormatInt(at+600, 10)
			}
			if v%7 == 0 {
				clicked = strconv.FormatInt(at+900, 10)
			}
			company := "-1"
			if len(c.CompanyIDs) > 0 {
				company = c.CompanyIDs[0]
			}
			rows = append(rows, []string{c.ID, c.ExternalID, company, c.Email, c.Name,
				strconv.Itoa(3000 + k), strconv.Itoa(8000 + k), "email", subjects[k], strconv.Itoa(500 + k),
				strconv.Itoa(1_000_000 + i*3 + k), strconv.FormatInt(at, 10), "-1", "", "",
				"", "", "", "", "", "", opened, clicked, "", "", ""})
		}
	}
	return rows
}
