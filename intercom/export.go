package intercom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// CreateContentExport starts a content data export of the outbound messages sent
// between from and to (whole days, inclusive). This is workspace-wide engagement
// statistics, not a per-person export. Only one job may be active per workspace: a
// second answers ErrRateLimited. It is never retried after the request may have
// reached Intercom (ErrUnknownOutcome), so no second job is started by accident.
func (c *Client) CreateContentExport(ctx context.Context, from, to time.Time) (DataExport, error) {
	var d DataExport
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return d, fmt.Errorf("%w: the export range needs a start before its end", ErrValidation)
	}
	body := struct {
		After  int64 `json:"created_at_after"`
		Before int64 `json:"created_at_before"`
	}{from.Unix(), to.Unix()}
	err := c.do(ctx, &call{method: "POST", path: "/export/content/data", body: body}, &d)
	return d, err
}

// GetContentExport returns the state of an export job. A failed job comes back as
// HTTP 504 with a body; it decodes like any other answer, with Status "failed".
func (c *Client) GetContentExport(ctx context.Context, jobID string) (DataExport, error) {
	var d DataExport
	if err := needID("export job id", jobID); err != nil {
		return d, err
	}
	cl := &call{method: "GET", path: "/export/content/data/" + seg(jobID), op: "/export/content/data/{job_identifier}", idempotent: true, keep504: true}
	resp, err := c.send(ctx, cl)
	if err != nil {
		return d, err
	}
	if resp.StatusCode == http.StatusGatewayTimeout {
		data, err := c.readBody(resp, cl)
		if err != nil {
			return d, err
		}
		if decodeJSON(data, resp.StatusCode, resp.Header.Get("Content-Type"), cl, &d) != nil || d.Status == "" {
			// A gateway timeout without a job body is a plain server error.
			return DataExport{}, &Error{Method: cl.method, Path: cl.opName(), Status: resp.StatusCode, Attempts: 1}
		}
		return d, nil
	}
	err = c.decode(resp, cl, &d)
	return d, err
}

// CancelContentExport cancels an export job (POST /export/cancel/{id}).
func (c *Client) CancelContentExport(ctx context.Context, jobID string) (DataExport, error) {
	var d DataExport
	if err := needID("export job id", jobID); err != nil {
		return d, err
	}
	err := c.do(ctx, &call{method: "POST", path: "/export/cancel/" + seg(jobID), op: "/export/cancel/{job_identifier}", idempotent: true}, &d)
	return d, err
}

// DownloadExport opens the download of a completed export: the download_url the job
// gave, fetched as is (Intercom hands out URLs under both /download/content/data/ and
// /download/messages/data/), with Accept: application/octet-stream. A URL on another
// host than the API's is refused (ErrForeignHost) so the token is never sent
// elsewhere. The caller reads and closes the stream; its size is not capped here. The
// content is usually gzip (sniff it: a zip or tar.gz are possible).
func (c *Client) DownloadExport(ctx context.Context, downloadURL string) (io.ReadCloser, error) {
	if downloadURL == "" {
		return nil, fmt.Errorf("%w: empty download URL (is the job complete?)", ErrValidation)
	}
	u, err := c.cfg.base.Parse(downloadURL)
	if err != nil {
		return nil, fmt.Errorf("%w: the download URL is not a URL", ErrValidation)
	}
	if err := c.sameHost(u); err != nil {
		return nil, err
	}
	cl := &call{method: "GET", abs: u, op: "{download_url}", idempotent: true, stream: true, accept: "application/octet-stream"}
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
