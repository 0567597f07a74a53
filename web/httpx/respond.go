package httpx

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/users"
)

// ErrorPage renders a surface's HTML error page: the status, a heading and a
// message (both already safe to show: Describe wrote them).
type ErrorPage func(w http.ResponseWriter, r *http.Request, status int, heading, message string)

// Internal error page's words: nothing of the error itself is shown.
const (
	internalHeading = "Internal error"
	internalMessage = "Something went wrong on our side; nothing you did caused it. Try again, and tell an administrator if it keeps happening."
)

// Describe returns what a page shows for err: its kind from Table, a
// heading (the Explain heading, else the kind's title) and a message (the
// error's own when the kind shows details or Explain wrote it, else the
// kind's title). A 5xx other than 503 that Explain did not word gets a fixed
// text.
func Describe(err error) (k Kind, heading, message string) {
	k = KindOf(err)
	var ke *kindError
	if errors.As(err, &ke) && ke.show {
		return k, cmpOr(ke.heading, k.Title), ke.msg
	}
	if k.Status >= 500 && k.Status != http.StatusServiceUnavailable {
		return k, internalHeading, internalMessage
	}
	if k.ShowDetail {
		return k, k.Title, err.Error()
	}
	return k, k.Title, k.Title
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Respond answers err from Table, as the client asked: a page surface
// (page not nil) answers a browser with its HTML error page and a client
// whose Accept ranks JSON above HTML (an API client, a script) with
// application/problem+json; with page nil it is always a problem. The status
// is the same either way. A 503 carries Retry-After: 5, a throttled sign-in
// the time left; a 5xx is logged through log (the redacting logger) with the
// route, never shown.
func Respond(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, page ErrorPage) {
	k, heading, msg := Describe(err)
	if k.Status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", slog.String("route", r.Pattern), slog.String("error", logText(err)))
	}
	var te *users.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(max(int(te.RetryAfter.Round(time.Second)/time.Second), 1)))
	case k.Status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(5))
	}
	if page != nil && !PrefersJSON(r) {
		page(w, r, k.Status, heading, msg)
		return
	}
	p := Problem{Type: ProblemBase + k.Name, Title: k.Title, Status: k.Status}
	if msg != k.Title && msg != internalMessage {
		p.Detail = msg
	}
	WriteProblem(w, p)
}

// logText is what a failure logs: an Explain error's cause when it has one.
func logText(err error) string {
	var ke *kindError
	if errors.As(err, &ke) && ke.err != nil {
		return ke.err.Error()
	}
	return err.Error()
}

// PrefersJSON reports whether the request's Accept header ranks a JSON type
// (application/json, application/problem+json, any application/*+json) above
// text/html. No Accept header, */* or an equal rank prefer HTML: a page
// surface answers a browser by default.
func PrefersJSON(r *http.Request) bool {
	html, json := -1.0, -1.0
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		switch {
		case mt == "text/html" || mt == "application/xhtml+xml":
			html = max(html, q)
		case mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")):
			json = max(json, q)
		}
	}
	return json > 0 && json > html
}
