package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

func init() { register(newServeCmd) }

// Environment variables of `serve`.
const (
	envServeAddr = "INTERCOM_PRIVACY_ADDR"
	envAppID     = "INTERCOM_APP_ID"
)

// maxOpenRequestsCounted caps the privacy requests /metrics counts per state.
const maxOpenRequestsCounted = 100000

// newServeCmd builds `intercom-privacy serve`.
func newServeCmd() *cobra.Command {
	var (
		af            appFlags
		o             workerOptions
		addr          string
		appID         string
		maxBody       int64
		noWorkers     bool
		applyInterval time.Duration
		stopWait      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (Intercom webhooks, health, metrics) and the job workers",
		Long: `serve listens on --addr and answers:

  POST /webhooks/intercom  Intercom webhook notifications, signed with the app's
                           client secret (INTERCOM_CLIENT_SECRET, or a file named
                           by INTERCOM_CLIENT_SECRET_FILE; required: the server
                           refuses to start without it)
  GET  /healthz            200 "ok" while the database answers, else 503
  GET  /metrics            counters in the Prometheus text format: notifications
                           accepted, duplicate and rejected by reason, HTTP
                           requests by route and status, webhook events applied,
                           open privacy requests by state

A notification is verified (X-Hub-Signature, constant time), stored minimised
(notification id, topic and contact id; the payload is dropped) and
de-duplicated by its id. contact.deleted and contact.archived purge the contact
from the local store at once; contact created, updated, unarchived and merged
topics are applied in the background: the contact is fetched from Intercom and
its allow-listed copy (see ` + "`sync contacts`" + `) updated, unless the person is
suppressed. Other topics are stored and acknowledged.

When the configuration's scan.monitor.mode is report, redact or redact+note,
new customer messages (conversation.user.created, conversation.user.replied;
teammates' too with scan.monitor.admin_topics) are scanned as they arrive, and a
message holding a finding of scan.monitor.types (default card, password, secret)
is redacted in Intercom within seconds; redact+note also posts an internal note
(written by scan.monitor.note_admin_id) telling the team why the message
disappeared. ` + scan.DeletedNotice + ` A notification delivered twice
redacts once. /metrics then also shows findings by type, redactions by outcome
and the delay from a message's created_at to its redaction.

serve also runs the job workers of ` + "`worker`" + ` (privacy requests, the retention
schedule and every other registered job) unless --no-workers is given.
Ctrl-C or SIGTERM stops accepting connections, lets running requests and jobs
finish (up to --stop-timeout), and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkServeFlags(maxBody, applyInterval, stopWait); err != nil {
				return err
			}
			if !noWorkers {
				if err := o.validate(); err != nil {
					return err
				}
			}
			secret, err := clientSecret()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, "server")
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.RequireIntercom(); err != nil {
				return err
			}
			syncer := newSyncer(a, "webhook")
			applier := contactsync.NewApplier(syncer)
			applier.Interval = applyInterval
			monitor, err := newMonitor(a)
			if err != nil {
				return err
			}
			var sink webhook.Sink = &contactsync.WebhookSink{Syncer: syncer, Wake: applier.Wake}
			if monitor != nil {
				sink = monitor.Wrap(sink)
			}
			srv, err := server.New(server.Options{
				Secret: []byte(secret), AppID: appID, MaxBody: maxBody, Logger: a.Logger,
				Sink:            sink,
				Health:          func(ctx context.Context) error { _, err := a.Store.SchemaVersion(ctx); return err },
				Gauges:          requestGauges(a),
				ShutdownTimeout: stopWait,
			})
			if err != nil {
				return err
			}
			m := srv.Metrics()
			applier.OnResult = func(r contactsync.ApplyResult, _ error) {
				for _, c := range []struct {
					label string
					n     int
				}{{"stored", r.Stored}, {"purged", r.Purged}, {"skipped", r.Skipped}, {"failed", r.Failed}, {"deferred", r.Deferred}} {
					if c.n > 0 {
						m.Add(server.MetricWebhookApplied, int64(c.n), [2]string{"result", c.label})
					}
				}
			}
			errw := cmd.ErrOrStderr()
			if monitor != nil {
				instrumentMonitor(monitor, m)
			}
			var q *jobs.Queue
			if !noWorkers {
				queue, n, err := startWorkers(ctx, a, o)
				if err != nil {
					return err
				}
				q = queue
				defer queue.Close()
				fmt.Fprintf(errw, "serve: workers running on %s (%d concurrent jobs, %d open request(s) queued)\n", queue.Backend(), o.Concurrency, n)
			}
			var wg sync.WaitGroup
			actx, stopApplier := context.WithCancel(ctx)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = applier.Run(actx)
			}()
			if monitor != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = monitor.Run(actx)
				}()
				fmt.Fprintf(errw, "serve: new messages are scanned (scan.monitor.mode %s)\n", monitor.Mode)
			}
			serveErr := srv.ListenAndServe(ctx, addr, func(bound net.Addr) {
				fmt.Fprintf(errw, "serve: listening on http://%s (webhooks at %s); Ctrl-C to stop\n", bound, webhook.Path)
			})
			stopApplier()
			wg.Wait()
			var stopErr error
			if q != nil {
				fmt.Fprintln(errw, "serve: stopping; waiting for running jobs to finish")
				sctx, cancel := context.WithTimeout(context.Background(), stopWait)
				if err := q.Stop(sctx); err != nil {
					stopErr = fmt.Errorf("serve: stop the workers: %w (unfinished jobs are retried by the next worker)", err)
				}
				cancel()
			}
			if serveErr != nil {
				return serveErr
			}
			if stopErr != nil {
				return stopErr
			}
			fmt.Fprintln(errw, "serve: stopped")
			return nil
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envString(envServeAddr, "127.0.0.1:8080"), "host:port to listen on (env "+envServeAddr+"); port 0 picks a free one")
	f.StringVar(&appID, "app-id", envString(envAppID, ""), "the workspace's id_code (GET /me app.id_code; env "+envAppID+"): notifications for another workspace are acknowledged and ignored; empty accepts every app_id")
	f.Int64Var(&maxBody, "max-body", webhook.DefaultMaxBody, "largest notification body accepted, in bytes (larger: 413)")
	f.BoolVar(&noWorkers, "no-workers", false, "serve HTTP only; run the job workers elsewhere (intercom-privacy worker)")
	f.DurationVar(&applyInterval, "apply-interval", contactsync.DefaultApplyInterval, "how often stored webhook events that could not be applied yet are retried")
	o.addFlags(cmd, 30*time.Minute, "longest run of one attempt of a job")
	f.DurationVar(&stopWait, "stop-timeout", time.Minute, "how long to wait for running HTTP requests and jobs on interrupt")
	return cmd
}

// envClientSecretFile names a file holding the client secret (secret mounts).
const envClientSecretFile = "INTERCOM_CLIENT_SECRET_FILE"

// clientSecret reads the webhook signing secret from INTERCOM_CLIENT_SECRET or
// the file named by INTERCOM_CLIENT_SECRET_FILE (surrounding white space
// ignored). It never returns the secret in an error.
func clientSecret() (string, error) {
	v, file := strings.TrimSpace(os.Getenv(server.EnvClientSecret)), os.Getenv(envClientSecretFile)
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("both %s and %s are set: set only one", server.EnvClientSecret, envClientSecretFile)
	case v != "":
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", envClientSecretFile, err)
		}
		if v = strings.TrimSpace(string(b)); v == "" {
			return "", fmt.Errorf("%s names an empty file: %w", envClientSecretFile, server.ErrNoSecret)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w (or %s to a file holding it)", server.ErrNoSecret, envClientSecretFile)
}

// requestGauges counts the open privacy requests by state for /metrics.
func requestGauges(a *app.App) func(context.Context) ([]server.Gauge, error) {
	return func(ctx context.Context) ([]server.Gauge, error) {
		var out []server.Gauge
		for _, st := range []store.RequestState{store.StateReceived, store.StateVerified, store.StateInProgress} {
			rs, err := a.Store.ListRequests(ctx, store.RequestFilter{States: []store.RequestState{st}, Limit: maxOpenRequestsCounted})
			if err != nil {
				return nil, errors.Join(errors.New("count privacy requests"), err)
			}
			out = append(out, server.Gauge{Name: "intercom_privacy_requests_open",
				Help:   "Open privacy requests by state (counted up to 100000 per state).",
				Labels: [][2]string{{"state", string(st)}}, Value: int64(len(rs))})
		}
		return out, nil
	}
}
