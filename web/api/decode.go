package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// fieldName is a JSON member name fit to repeat in an error: short, lower
// case, no value a person could have typed there by mistake.
var fieldName = regexp.MustCompile(`^[a-z_]{1,40}$`)

// decodeJSON reads one JSON object of at most max bytes from body into v:
// unknown members, trailing data, a wrong type and a body over the limit are
// refused with a problem that names the member (when it is one of ours or
// looks like one), never a value.
func decodeJSON(body io.Reader, max int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return httpx.Errorf(httpx.KindMalformed, "the request body could not be read")
	}
	if int64(len(data)) > max {
		return httpx.Errorf(httpx.KindTooLarge, fmt.Sprintf("the body is larger than %d bytes", max))
	}
	return decodeBytes(data, v)
}

// decodeBytes is decodeJSON on a body already read (the fuzz target).
func decodeBytes(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return httpx.Errorf(httpx.KindMalformed, "the body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return httpx.Errorf(httpx.KindMalformed, "the body holds more than one JSON value")
	}
	return nil
}

func malformed(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return httpx.Errorf(httpx.KindMalformed, fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		if typ.Field != "" && fieldName.MatchString(strings.ReplaceAll(typ.Field, ".", "_")) {
			return httpx.Errorf(httpx.KindMalformed, fmt.Sprintf("%s: want a %s", typ.Field, typ.Type))
		}
		return httpx.Errorf(httpx.KindMalformed, "the body is not a JSON object of the expected shape")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return httpx.Errorf(httpx.KindMalformed, "the body ends in the middle of a JSON value")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if fieldName.MatchString(name) {
			return httpx.Errorf(httpx.KindMalformed, "unknown member "+name)
		}
		return httpx.Errorf(httpx.KindMalformed, "the body has a member this route does not take")
	}
	return httpx.Errorf(httpx.KindMalformed, "the body is not a JSON object of the expected shape")
}

// readJSON decodes the request's JSON body into v, checking its media type.
func (h *Handler) readJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return httpx.Errorf(httpx.KindUnsupportedMedia, "send the body as application/json")
		}
	}
	return decodeJSON(r.Body, h.max, v)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
