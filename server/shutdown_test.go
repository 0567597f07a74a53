package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// blockingSink holds every notification until released, and reports whether
// the request's context was still alive when it was let go.
type blockingSink struct {
	entered  chan struct{}
	release  chan struct{}
	ctxAlive chan bool
}

func (b *blockingSink) Accept(ctx context.Context, _ webhook.Notification, _ []byte) (bool, error) {
	close(b.entered)
	<-b.release
	b.ctxAlive <- ctx.Err() == nil
	return false, nil
}

// TestShutdownFinishesRunningWebhook stops the server while a notification
// is being stored: readiness turns false, the notification is still answered
// 200 with its context intact, and Serve returns nil once it is.
func TestShutdownFinishesRunningWebhook(t *testing.T) {
	sink := &blockingSink{entered: make(chan struct{}), release: make(chan struct{}), ctxAlive: make(chan bool, 1)}
	ready := health.New(health.Options{})
	srv, err := server.New(server.Options{Secret: []byte(secret), Sink: sink, Readiness: ready})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Readiness() != ready {
		t.Fatal("Readiness() is not the checker given")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	for path, want := range map[string]int{server.PathLive: 200, server.PathReady: 200, server.PathHealth: 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s = %d before shutdown", path, resp.StatusCode)
		}
	}

	b := body("n-inflight", "contact.deleted")
	type result struct {
		code int
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+webhook.Path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(secret), b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			resc <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		resc <- result{code: resp.StatusCode}
	}()
	<-sink.entered
	cancel() // SIGTERM
	<-ready.Stopping()
	if rep := ready.Ready(context.Background()); rep.Ready || !rep.Stopping {
		t.Fatalf("readiness while draining: %+v", rep)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) with a request still running", err)
	default:
	}
	close(sink.release)
	if !<-sink.ctxAlive {
		t.Error("the running notification's context was cancelled by the shutdown")
	}
	if r := <-resc; r.err != nil || r.code != http.StatusOK {
		t.Fatalf("in-flight notification: %d %v", r.code, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get(base + server.PathLive); err == nil {
		t.Fatal("listener still open after shutdown")
	}
}

// TestShutdownTimeoutCutsStuckRequest: a request that outlives the shutdown
// timeout is cut and Serve says so.
func TestShutdownTimeoutCutsStuckRequest(t *testing.T) {
	sink := &blockingSink{entered: make(chan struct{}), release: make(chan struct{}), ctxAlive: make(chan bool, 1)}
	defer close(sink.release)
	srv, err := server.New(server.Options{Secret: []byte(secret), Sink: sink, ShutdownTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	b := body("n-stuck", "contact.deleted")
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+webhook.Path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(secret), b))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-sink.entered
	cancel()
	err = <-done
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "graceful shutdown did not finish") {
		t.Fatalf("Serve = %v, want the shutdown timeout", err)
	}
}
