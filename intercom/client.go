package intercom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client calls Intercom's REST API. It is safe for concurrent use; all goroutines of
// one Client share its rate-limit budget. Create it with New.
type Client struct {
	cfg     resolved
	limiter *limiter
	stats   struct {
		requests, retries, rateLimited, serverErrors, transportErrors atomic.Int64
	}
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Client{cfg: r, limiter: newLimiter(r.share, r.window)}, nil
}

// BaseURL returns the API base URL the client sends requests to.
func (c *Client) BaseURL() string { return c.cfg.base.String() }

// Version returns the Intercom-Version the client pins.
func (c *Client) Version() string { return c.cfg.version }

// Stats counts what the client did since it was created.
type Stats struct {
	// Requests is the number of HTTP attempts sent.
	Requests int64
	// Retries is the number of attempts that repeated an earlier one.
	Retries int64
	// RateLimited is the number of 429 answers received (and waited out).
	RateLimited int64
	// ServerErrors is the number of 5xx answers received.
	ServerErrors int64
	// TransportErrors is the number of attempts without an HTTP answer.
	TransportErrors int64
	// Throttled is the total time callers waited for the rate-limit budget.
	Throttled time.Duration
}

// Stats returns counters of the client's activity.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:        c.stats.requests.Load(),
		Retries:         c.stats.retries.Load(),
		RateLimited:     c.stats.rateLimited.Load(),
		ServerErrors:    c.stats.serverErrors.Load(),
		TransportErrors: c.stats.transportErrors.Load(),
		Throttled:       c.limiter.throttled(),
	}
}

// call describes one API operation.
type call struct {
	method string
	// path is relative to the base URL ("/contacts/abc"); or, when abs is set, abs is
	// the full URL to GET (a "next" link or a download URL, already host-checked).
	path string
	// op is the path template named in errors and logs ("/contacts/{contact_id}"), so
	// that no identifier (an external_id may be an e-mail address) reaches them.
	op    string
	abs   *url.URL
	query url.Values
	body  any
	// idempotent requests are retried after 5xx, timeouts and dropped connections.
	idempotent bool
	accept     string
	// stream keeps the response body open past the per-request timeout: the timeout
	// then bounds the wait for the response headers only (downloads).
	stream bool
	// keep504 returns a 504 answer to the caller instead of retrying it (a failed
	// export job comes back as 504 with a body).
	keep504 bool
}

// target returns the URL of the call. Path segments built from ids are escaped
// with seg, so the path is already in its escaped form.
func (c *Client) target(cl *call) (*url.URL, error) {
	if cl.abs != nil {
		return cl.abs, nil
	}
	u, err := url.Parse(strings.TrimRight(c.cfg.base.String(), "/") + cl.path)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot build the request URL", ErrValidation)
	}
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	return u, nil
}

// seg escapes one path segment (an id), so an id can never add path elements.
func seg(id string) string { return url.PathEscape(id) }

// opName is the operation named in errors and logs: a path template, never ids.
func (cl *call) opName() string {
	switch {
	case cl.op != "":
		return cl.op
	case cl.abs != nil:
		return "{url}"
	}
	return cl.path
}

// send performs the call with throttling and retries and returns a response with a
// 2xx status (or 504 when keep504 is set). The caller closes its body.
func (c *Client) send(ctx context.Context, cl *call) (*http.Response, error) {
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot encode the request body: %v", ErrValidation, err)
		}
		payload = b
	}
	u, err := c.target(cl)
	if err != nil {
		return nil, err
	}
	retries, limited := 0, 0
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		release, err := c.limiter.acquire(ctx)
		if err != nil {
			return nil, err
		}
		resp, wrote, err := c.attempt(ctx, cl, u, payload)
		if attempt > 1 {
			c.stats.retries.Add(1)
		}
		c.stats.requests.Add(1)
		if err != nil {
			release(nil, 0)
			c.stats.transportErrors.Add(1)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !cl.idempotent && wrote {
				return nil, &UnknownOutcomeError{Method: cl.method, Path: cl.opName(), Err: transportError(err)}
			}
			if retries >= c.cfg.maxRetries {
				return nil, fmt.Errorf("intercom: %s %s: %w after %d attempts", cl.method, cl.opName(), transportError(err), attempt)
			}
			d := backoff(retries)
			retries++
			c.cfg.logger.DebugContext(ctx, "intercom: retrying after a transport error", "method", cl.method, "path", cl.opName(), "attempt", attempt, "delay", d)
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		release(resp.Header, resp.StatusCode)
		status := resp.StatusCode
		switch {
		case status >= 200 && status < 300:
			return resp, nil
		case status == http.StatusGatewayTimeout && cl.keep504:
			return resp, nil
		case status == http.StatusTooManyRequests:
			c.stats.rateLimited.Add(1)
			apiErr := c.readError(resp, cl, attempt)
			if limited >= c.cfg.max429 || jobLimit(resp.Header, apiErr) {
				return nil, apiErr
			}
			limited++
			if ra, ok := retryAfter(resp.Header); ok {
				c.limiter.block(ra)
			} else if !c.limiter.blockForReset(resp.Header) {
				// No usable reset (none sent, or a clock skew puts it in the past).
				c.limiter.block(backoff(limited - 1))
			}
			c.cfg.logger.DebugContext(ctx, "intercom: rate limited, waiting for the window to reset", "method", cl.method, "path", cl.opName(), "attempt", attempt)
			continue
		case status >= 500 || status == http.StatusRequestTimeout:
			if status >= 500 {
				c.stats.serverErrors.Add(1)
			}
			apiErr := c.readError(resp, cl, attempt)
			if !cl.idempotent {
				return nil, &UnknownOutcomeError{Method: cl.method, Path: cl.opName(), Status: status, Err: apiErr}
			}
			if retries >= c.cfg.maxRetries {
				return nil, apiErr
			}
			d := backoff(retries)
			if ra, ok := retryAfter(resp.Header); ok && ra > d {
				d = min(ra, 60*time.Second)
			}
			retries++
			c.cfg.logger.DebugContext(ctx, "intercom: retrying after a server error", "method", cl.method, "path", cl.opName(), "status", status, "attempt", attempt, "delay", d)
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, c.readError(resp, cl, attempt)
		}
	}
}

// attempt sends one HTTP request bounded by the per-request timeout. wrote reports
// whether the request was written to the connection (so a non-idempotent request
// may have been carried out).
func (c *Client) attempt(ctx context.Context, cl *call, u *url.URL, payload []byte) (resp *http.Response, wrote bool, err error) {
	var actx context.Context
	var cancel context.CancelFunc
	var timer *time.Timer
	if cl.stream {
		actx, cancel = context.WithCancel(ctx)
		timer = time.AfterFunc(c.cfg.timeout, cancel)
	} else {
		actx, cancel = context.WithTimeout(ctx, c.cfg.timeout)
	}
	var wroteFlag atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { wroteFlag.Store(true) },
	}
	actx = httptrace.WithClientTrace(actx, trace)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u.String(), body)
	if err != nil {
		cancel()
		// A *url.Error quotes the URL, whose path may hold an external id (an e-mail
		// address) or a download signature: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, false, fmt.Errorf("%w: cannot build the request: %v", ErrValidation, err)
	}
	req.Header.Set("Authorization", "Bearer "+string(c.cfg.token))
	req.Header.Set("Intercom-Version", c.cfg.version)
	req.Header.Set("User-Agent", c.cfg.userAgent)
	accept := cl.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err = c.cfg.httpClient.Do(req)
	if timer != nil && err == nil && !timer.Stop() {
		// The timeout fired as the headers arrived: treat it as a timeout.
		resp.Body.Close()
		cancel()
		return nil, true, context.DeadlineExceeded
	}
	if err != nil {
		cancel()
		return nil, wroteFlag.Load(), err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, true, nil
}

// cancelBody releases the attempt's timeout context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// jobLimit reports whether a 429 is a job limit (one content export at a time, five
// reporting exports) rather than the call-rate window: the window still has calls
// left, or the message names pending jobs. Waiting for the window would not help.
func jobLimit(h http.Header, err error) bool {
	if rem, ok := headerInt(h, "X-RateLimit-Remaining"); ok && rem > 0 {
		return true
	}
	var ae *Error
	return errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.Message), "pending")
}

// retryAfter parses a Retry-After header (seconds or HTTP date).
func retryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 60*time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 60*time.Second), true
	}
	return 0, false
}

// transportError strips the URL (which may carry ids or a download signature) from
// a *url.Error and classifies timeouts.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("request timed out: %w", err)
	}
	return fmt.Errorf("connection failed: %w", err)
}

// safeContentType keeps the media type of a Content-Type header (no parameters),
// capped in length, for error messages.
func safeContentType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = "unparsable"
	}
	if len(mt) > 64 {
		mt = mt[:64]
	}
	return mt
}

// readBody reads a response body up to the size cap and closes it.
func (c *Client) readBody(resp *http.Response, cl *call) ([]byte, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	if int64(len(data)) > c.cfg.maxBody {
		e := malformed(cl, resp.StatusCode, resp.Header.Get("Content-Type"), len(data), "")
		e.TooLarge = true
		return nil, e
	}
	if err != nil {
		return nil, malformed(cl, resp.StatusCode, resp.Header.Get("Content-Type"), len(data), "body cut short: "+transportError(err).Error())
	}
	return data, nil
}

// malformed describes an unusable response by the operation, status, media type and
// size, and reason, which must not quote the body.
func malformed(cl *call, status int, contentType string, size int, reason string) *MalformedResponseError {
	return &MalformedResponseError{Method: cl.method, Path: cl.opName(), Status: status,
		ContentType: safeContentType(contentType), Size: int64(size), Reason: reason}
}

// errorEnvelope is Intercom's error.list.
type errorEnvelope struct {
	Type      string `json:"type"`
	RequestID String `json:"request_id"`
	Errors    []struct {
		Code    String `json:"code"`
		Message String `json:"message"`
		Field   String `json:"field"`
	} `json:"errors"`
}

// readError turns a non-2xx response into an error. The body is parsed for the
// error.list envelope only; nothing else of it is kept.
func (c *Client) readError(resp *http.Response, cl *call, attempts int) error {
	e := &Error{Method: cl.method, Path: cl.opName(), Status: resp.StatusCode, Attempts: attempts}
	if id := resp.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 {
		e.RequestID = id
	}
	// Error bodies are small; read at most 64 KiB of them.
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var env errorEnvelope
	if json.Unmarshal(data, &env) == nil {
		if env.RequestID != "" && len(env.RequestID) <= 64 {
			e.RequestID = string(env.RequestID)
		}
		if len(env.Errors) > 0 {
			e.Code = capMessage(string(env.Errors[0].Code))
			e.Message = capMessage(scrubMessage(string(env.Errors[0].Message)))
			e.Field = capMessage(string(env.Errors[0].Field))
		}
	}
	if resp.StatusCode == http.StatusGone || e.Code == "contact_merged" {
		return &MergedError{CanonicalID: parseCanonicalLink(resp.Header.Get("Link")), Err: e}
	}
	return e
}

// do sends the call and decodes a JSON answer into out (when out is not nil).
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	err := c.retryBadID(ctx, cl, func() error {
		resp, err := c.send(ctx, cl)
		if err != nil {
			return err
		}
		return c.decode(resp, cl, out)
	})
	if err == nil {
		c.noteMalformed(ctx, cl, out)
	}
	return err
}

// decode reads and decodes a JSON response body into out.
func (c *Client) decode(resp *http.Response, cl *call, out any) error {
	data, err := c.readBody(resp, cl)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return decodeJSON(data, resp.StatusCode, resp.Header.Get("Content-Type"), cl, out)
}

// decodeJSON decodes data into out, describing any failure without quoting data.
func decodeJSON(data []byte, status int, contentType string, cl *call, out any) error {
	bad := func(reason string) error { return malformed(cl, status, contentType, len(data), reason) }
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return bad("empty body where JSON was expected")
	}
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "text/plain") {
		return bad("expected JSON, got " + mt + " (an error page from a proxy?)")
	}
	if trimmed[0] != '{' {
		return bad("expected a JSON object")
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		e := malformed(cl, status, contentType, len(data), describeJSONError(err))
		var ie *identifierError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ie):
			e.Field, e.Identifier = ie.field, true
			e.Reason = "identifier " + ie.field + " is missing or empty"
		case errors.As(err, &te):
			e.Field = capField(te.Field)
			e.Identifier = te.Type == reflect.TypeFor[ID]()
		}
		return e
	}
	return nil
}

// capField bounds a JSON path kept in an error.
func capField(f string) string {
	if len(f) > 100 {
		return f[:100]
	}
	return f
}

// malformedNoter is a decoded answer that kept informational fields it could not
// read (with their value as sent).
type malformedNoter interface{ malformedFields() []string }

// noteMalformed logs, without any value, the informational fields of out that
// could not be read; the workflow carries on with them unset.
func (c *Client) noteMalformed(ctx context.Context, cl *call, out any) {
	n, ok := out.(malformedNoter)
	if !ok {
		return
	}
	if fields := n.malformedFields(); len(fields) > 0 {
		slices.Sort(fields)
		c.cfg.logger.WarnContext(ctx, "intercom: informational fields could not be read; kept as sent and left unset",
			"method", cl.method, "path", cl.opName(), "fields", strings.Join(fields, ","))
	}
}

// retryBadID repeats fetch, an idempotent call, while its answer has a missing or
// malformed identifier (ErrBadIdentifier), with the same backoff and number of
// retries as a server error: a glitch passes, a lasting defect ends in a clear error
// instead of a caller acting on an object it cannot name.
func (c *Client) retryBadID(ctx context.Context, cl *call, fetch func() error) error {
	for retries := 0; ; retries++ {
		err := fetch()
		if err == nil || !cl.idempotent || !errors.Is(err, ErrBadIdentifier) || retries >= c.cfg.maxRetries {
			return err
		}
		c.cfg.logger.DebugContext(ctx, "intercom: retrying after an answer with a bad identifier", "method", cl.method, "path", cl.opName(), "attempt", retries+1)
		if err := sleep(ctx, backoff(retries)); err != nil {
			return err
		}
	}
}

// describeJSONError explains a decoding failure without quoting the input.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid or truncated JSON at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ")
		field := te.Field
		if len(field) > 100 {
			field = field[:100]
		}
		return fmt.Sprintf("field %q: expected %s, got a JSON %s", field, te.Type, kind)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "wrong type of value in the response"
}
