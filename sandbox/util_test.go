package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

type regexpT = regexp.Regexp

func regexpMust(s string) *regexp.Regexp  { return regexp.MustCompile(s) }
func errorsIs(err, target error) bool     { return errors.Is(err, target) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// newReceiver starts a webhook receiver and returns its URL.
func newReceiver(t *testing.T, f func(body []byte, sig, ua string)) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f(b, r.Header.Get("X-Hub-Signature"), r.Header.Get("User-Agent"))
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
