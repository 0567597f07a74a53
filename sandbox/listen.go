package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listener is a sandbox serving on a TCP address.
type Listener struct {
	// Server is the sandbox being served.
	Server *Server
	// URL is the base URL clients use (INTERCOM_API_URL), e.g. http://127.0.0.1:8081.
	URL string
	ln  net.Listener
	hs  *http.Server
}

// Listen generates the workspace for opts and listens on addr (":0" picks a port). Call
// Serve to answer requests.
func Listen(addr string, opts Options) (*Listener, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listening on %s: %w", addr, err)
	}
	return &Listener{Server: s, URL: "http://" + ln.Addr().String(), ln: ln,
		hs: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Serve answers requests until ctx is done, then shuts down gracefully (at most 5 s).
func (l *Listener) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- l.hs.Serve(l.ln) }()
	select {
	case err := <-errc:
		_ = l.Server.Close()
		return fmt.Errorf("sandbox: serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.hs.Shutdown(sctx)
	_ = l.Server.Close()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: serving: %w", err)
	}
	if err != nil {
		return fmt.Errorf("sandbox: shutting down: %w", err)
	}
	return nil
}

// ListenAndServe serves a sandbox for opts on addr until ctx is done.
func ListenAndServe(ctx context.Context, addr string, opts Options) error {
	l, err := Listen(addr, opts)
	if err != nil {
		return err
	}
	return l.Serve(ctx)
}
