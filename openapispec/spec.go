// Package openapispec loads Intercom's official OpenAPI description (shared with the
// project at ../shared/intercom-openapi/api.intercom.io.yaml) and validates HTTP requests
// and responses against it with kin-openapi.
//
// It exists for the conformance tests of the client (every request it sends) and of the
// sandbox (every response it serves): both are checked against Intercom's description,
// not against each other. Where the live API is known to differ from the description, the
// tests name the difference explicitly (see Deviation) rather than loosening the check.
package openapispec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvPath names an environment variable that, when set, points at the description file
// and overrides the search for ../shared.
const EnvPath = "INTERCOM_OPENAPI_SPEC"

// relPath is where the description lives relative to the directory that holds both the
// repository and shared/.
const relPath = "shared/intercom-openapi/api.intercom.io.yaml"

// ErrNotFound reports that the description file could not be found.
var ErrNotFound = errors.New("openapispec: Intercom's OpenAPI description not found (expected ../shared/intercom-openapi/api.intercom.io.yaml beside the repository, or set " + EnvPath + ")")

// Spec is a loaded description with a router. It is safe for concurrent use.
type Spec struct {
	// Doc is the parsed description.
	Doc    *openapi3.T
	router routers.Router
	// server is the base URL requests are rewritten to before routing, since the
	// description only lists Intercom's own hosts.
	server *url.URL
}

// Deviation names a documented difference between the live API and the description,
// for a method, a path template of the description, and a status (0 for any).
type Deviation struct {
	Method string
	Path   string
	Status int
	// Reason cites where the difference is documented (intercom-api-notes.md section).
	Reason string
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Find returns the path of the description file: $INTERCOM_OPENAPI_SPEC, or
// shared/intercom-openapi/api.intercom.io.yaml in the working directory or one of its
// parents (the repository's ../shared).
func Find() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%q: %v", ErrNotFound, EnvPath, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, relPath)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotFound
		}
		dir = parent
	}
}

// LoadFile parses and checks the description at path. Examples in the description are
// known to be invalid against their own schemas, so example validation is off.
func LoadFile(path string) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapispec: load %s: %w", path, err)
	}
	return fromDoc(doc, path)
}

// LoadData loads a description held in memory (an embedded document such as
// the project's own API, web/api.OpenAPI) and validates it as a whole: unlike
// Intercom's, our own document has no known defects. name is used in errors.
func LoadData(name string, data []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapispec: load %s: %w", name, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapispec: %s does not validate: %w", name, err)
	}
	return fromDoc(doc, name)
}

func fromDoc(doc *openapi3.T, path string) (*Spec, error) {
	// The description does not validate as a whole: examples are known to be invalid,
	// and schema convert_conversation_to_ticket_request has an array without items (an
	// endpoint this project does not use). The schemas used for validation below are
	// checked one operation at a time by openapi3filter, so the document is not
	// validated up front.
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapispec: router: %w", err)
	}
	if len(doc.Servers) == 0 {
		return nil, fmt.Errorf("openapispec: %s lists no servers", path)
	}
	server, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		return nil, fmt.Errorf("openapispec: the first server of %s is not a URL: %w", path, err)
	}
	return &Spec{Doc: doc, router: router, server: server}, nil
}

// Load returns the description, loaded once per test binary. It skips the test, with
// a message saying why, when ../shared is absent.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	loadOnce.Do(func() {
		path, err := Find()
		if err != nil {
			loadErr = err
			return
		}
		loaded, loadErr = LoadFile(path)
	})
	if errors.Is(loadErr, ErrNotFound) {
		tb.Skipf("skipping conformance check: %v", loadErr)
	}
	if loadErr != nil {
		tb.Fatalf("%v", loadErr)
	}
	return loaded
}

// Route finds the operation for a request, whatever host it was sent to. The returned
// route's Path is the description's template (for example /contacts/{contact_id}).
func (s *Spec) Route(req *http.Request) (*routers.Route, map[string]string, error) {
	u := *req.URL
	u.Scheme, u.Host = s.server.Scheme, s.server.Host
	r2 := req.Clone(req.Context())
	r2.URL = &u
	r2.Host = s.server.Host
	route, params, err := s.router.FindRoute(r2)
	if err != nil {
		return nil, nil, fmt.Errorf("openapispec: %s %s: no operation in the description: %w", req.Method, req.URL.Path, err)
	}
	return route, params, nil
}

func (s *Spec) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := s.Route(req)
	if err != nil {
		return nil, err
	}
	r2 := req.Clone(req.Context())
	if body != nil {
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
	} else {
		r2.Body = http.NoBody
	}
	return &openapi3filter.RequestValidationInput{
		Request:    r2,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}, nil
}

// ValidateRequest checks a request (method, path, parameters, headers, body) against
// the description. body is the request body (nil for none); req.Body is not read.
func (s *Spec) ValidateRequest(req *http.Request, body []byte) error {
	in, err := s.input(req, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		return fmt.Errorf("openapispec: request %s %s: %w", req.Method, in.Route.Path, err)
	}
	return nil
}

// ValidateResponse checks a response (status documented, headers, body schema) to req
// against the description.
func (s *Spec) ValidateResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := s.input(req, reqBody)
	if err != nil {
		return err
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return fmt.Errorf("openapispec: response %d to %s %s: %w", status, req.Method, in.Route.Path, err)
	}
	return nil
}

// Matches reports whether d applies to a request routed to template path with status.
func (d Deviation) Matches(method, path string, status int) bool {
	return d.Method == method && d.Path == path && (d.Status == 0 || d.Status == status)
}
