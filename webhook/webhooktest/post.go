package webhooktest

import (
	"bytes"
	"net/http"
	"net/http/httptest"

	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Post delivers body to h as Intercom does (POST webhook.Path, Content-Type
// application/json, X-Hub-Signature sig, none when sig is empty), without a
// network, and returns the recorded answer.
func Post(h http.Handler, body []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(webhook.SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
