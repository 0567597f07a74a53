package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Path is where the server mounts Handler.
const Path = "/webhooks/intercom"

// DefaultMaxBody is the default limit on a notification body: 1 MiB.
const DefaultMaxBody = 1 << 20

// Sink receives each verified, parsed notification. Accept must be
// idempotent on n.ID (delivery is at least once): it reports duplicate
// true, and stores nothing, for an id it has already accepted, and it
// returns only once the notification is durably stored (the handler
// acknowledges it then). An error matching ErrUnavailable (an
// *UnavailableError) means it could not take the notification now and
// stored nothing: the handler answers 503 with Retry-After. Any other
// non-nil error makes the handler answer 500 so that Intercom delivers
// again. Errors are logged, so they must not contain personal data. raw is the body as
// received (it holds personal data; a Sink keeps it only minimised or
// encrypted). n.ID is empty for a ping; a Sink should acknowledge it
// without storing.
type Sink interface {
	Accept(ctx context.Context, n Notification, raw []byte) (duplicate bool, err error)
}

// ErrUnavailable: the sink cannot take a notification now (too many waiting
// to be stored, or the database busy) and stored nothing; delivering it
// again later will work.
var ErrUnavailable = errors.New("webhook: receiver busy, deliver again later")

// UnavailableError is the error a Sink returns to have the handler answer 503
// with a Retry-After header. It matches ErrUnavailable.
type UnavailableError struct {
	// RetryAfter is sent in whole seconds, at least 1.
	RetryAfter time.Duration
	// Err is the cause (logged, never served).
	Err error
}

func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return ErrUnavailable.Error()
	}
	return ErrUnavailable.Error() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// retryAfterSeconds is the Retry-After value of err: its RetryAfter rounded up
// to whole seconds, at least 1.
func retryAfterSeconds(err error) string {
	d := time.Second
	var ue *UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > d {
		d = ue.RetryAfter
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, n Notification, raw []byte) (bool, error)

// Accept calls f.
func (f SinkFunc) Accept(ctx context.Context, n Notification, raw []byte) (bool, error) {
	return f(ctx, n, raw)
}

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Secret is the app's client secret, the HMAC key. Without it every
	// request is refused with 500 (fail closed).
	Secret []byte
	// MaxBody is the largest body accepted (0: DefaultMaxBody); larger
	// bodies get 413.
	MaxBody int64
	// Sink receives accepted notifications. Without it every request is
	// refused with 500.
	Sink Sink
	// AppID, when set, is the workspace's id_code (GET /me app.id_code).
	// Webhook subscriptions belong to an app, and an app installed in
	// several workspaces receives all their notifications: one whose
	// app_id differs is acknowledged with 200 {"status":"ignored"} and
	// never reaches the sink (a 4xx would only make Intercom retry).
	AppID string
	// Logger receives one line per request: outcome, topic, notification
	// id, never the body (nil: no logging).
	Logger *slog.Logger
}

// Handler returns the http.Handler for POST /webhooks/intercom. It answers:
//
//   - 405 for any method but POST;
//   - 415 when a Content-Type is given and is not JSON (application/json
//     or any +json type);
//   - 413 when the body is larger than MaxBody (it reads at most
//     MaxBody+1 bytes);
//   - 401 when the signature is missing, malformed or wrong;
//   - 400 when the body cannot be read or is not a valid notification;
//   - 503 with Retry-After when the sink answers ErrUnavailable (it stored
//     nothing and cannot take more now), so that Intercom redelivers later;
//   - 500 when no secret or sink is configured or the sink fails otherwise,
//     so that Intercom redelivers;
//   - 200 when the sink accepted the notification, or already had it;
//   - 200 {"status":"ignored"} when AppID is set and differs.
//
// Only a verified, well-formed notification reaches the sink; every
// rejection has no side effect.
func Handler(opts HandlerOptions) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{opts: opts, log: log}
}

type handler struct {
	opts HandlerOptions
	log  *slog.Logger
}

func (h *handler) reject(w http.ResponseWriter, r *http.Request, code int, reason string, err error) {
	attrs := []any{slog.Int("status", code), slog.String("reason", reason)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	level := slog.LevelWarn
	if code >= 500 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "webhook rejected", attrs...)
	http.Error(w, http.StatusText(code)+": "+reason, code)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "only POST is accepted", nil)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			h.reject(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json", nil)
			return
		}
	}
	if len(h.opts.Secret) == 0 || h.opts.Sink == nil {
		h.reject(w, r, http.StatusInternalServerError, "webhook receiver not configured", ErrNoSecret)
		return
	}
	if r.ContentLength > h.opts.MaxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "body larger than "+strconv.FormatInt(h.opts.MaxBody, 10)+" bytes", nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBody+1))
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "could not read the body", nil)
		return
	}
	if int64(len(body)) > h.opts.MaxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "body larger than "+strconv.FormatInt(h.opts.MaxBody, 10)+" bytes", nil)
		return
	}
	if err := Verify(h.opts.Secret, body, r.Header.Get(SignatureHeader)); err != nil {
		if errors.Is(err, ErrNoSecret) {
			h.reject(w, r, http.StatusInternalServerError, "webhook receiver not configured", err)
			return
		}
		h.reject(w, r, http.StatusUnauthorized, "signature check failed", err)
		return
	}
	n, err := Parse(body)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "not a valid notification", err)
		return
	}
	if h.opts.AppID != "" && n.AppID != h.opts.AppID {
		h.log.WarnContext(r.Context(), "webhook ignored: notification for another workspace", slog.String("topic", string(n.Topic)), slog.String("id", n.ID))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ignored"}`+"\n")
		return
	}
	dup, err := h.opts.Sink.Accept(r.Context(), n, body)
	if errors.Is(err, ErrUnavailable) {
		h.log.WarnContext(r.Context(), "webhook deferred: receiver busy", slog.String("topic", string(n.Topic)), slog.String("id", n.ID), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", retryAfterSeconds(err))
		http.Error(w, "Service Unavailable: too many notifications waiting to be stored; deliver again later", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "webhook sink failed", slog.String("topic", string(n.Topic)), slog.String("id", n.ID), slog.String("error", err.Error()))
		http.Error(w, "Internal Server Error: could not store the notification; deliver again", http.StatusInternalServerError)
		return
	}
	h.log.InfoContext(r.Context(), "webhook accepted", slog.String("topic", string(n.Topic)), slog.String("id", n.ID), slog.Bool("duplicate", dup))
	w.Header().Set("Content-Type", "application/json")
	if dup {
		io.WriteString(w, `{"status":"duplicate"}`+"\n")
		return
	}
	io.WriteString(w, `{"status":"accepted"}`+"\n")
}
