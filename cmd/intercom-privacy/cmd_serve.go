package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/serve"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
	"github.com/intercom-privacy/intercom-privacy/web/api"
	"github.com/intercom-privacy/intercom-privacy/web/console"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

func init() { register(newServeCmd) }

// Environment variables of `serve`.
const (
	envServeAddr = "INTERCOM_PRIVACY_ADDR"
	envAppID     = "INTERCOM_APP_ID"
)

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
		webhookQueue  int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (Intercom webhooks, health, metrics) and the job workers",
		Long: `serve listens on --addr and answers:

  POST /webhooks/intercom  Intercom webhook notifications, signed with the app's
                           client secret (INTERCOM_CLIENT_SECRET, or a file named
                           by INTERCOM_CLIENT_SECRET_FILE; required: the server
                           refuses to start without it)
  GET  /livez              200 while the process answers (liveness: a database
                           outage never fails it)
  GET  /readyz             200 when ready, else 503 with the conditions not met:
                           database reachable, migrations current, keysets
                           open, job workers started (without --no-workers);
                           503 from the moment a stop begins
  GET  /healthz            the same as /readyz (older name)
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

Notifications arriving together are stored in one transaction (group commit)
by one writer, and each is acknowledged only once that transaction committed.
When more than --webhook-queue notifications are waiting to be stored, or one
waited 2 s without being started, the receiver answers 503 with Retry-After
(nothing stored; Intercom delivers it again), never 500.

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

serve listens before it opens the database. A PostgreSQL server that cannot
be reached is tried again (1s, 2s, ... up to 30s apart, one log line each
time) while /livez answers 200 and /readyz 503; notifications arriving
meanwhile are answered 500, and Intercom delivers them again. A migration
another process is running is waited for. Other start-up failures (no master
key, keysets not initialised, a schema newer than this binary) stop serve at
once with the reason.

Ctrl-C or SIGTERM turns /readyz to 503, stops accepting connections, and lets
running requests and jobs finish for up to --stop-timeout; jobs still running
then are cancelled and handed back to the queue (taken up again at once by
another worker, the attempt not counted), which may take up to 15s more. Give
an orchestrator a grace period longer than --stop-timeout plus 15s.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkServeFlags(maxBody, applyInterval, stopWait); err != nil {
				return err
			}
			if webhookQueue < 1 {
				return fmt.Errorf("--webhook-queue %d: want a positive number of notifications (the default is %d)", webhookQueue, groupcommit.DefaultQueueSize)
			}
			if !noWorkers {
				if err := o.validate(); err != nil {
					return err
				}
				if err := checkTempDir(); err != nil {
					return err
				}
			}
			secret, err := clientSecret()
			if err != nil {
				return err
			}
			settings, err := af.settings("server")
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), cmd.ErrOrStderr(), serveOptions{
				settings: settings, workers: o, secret: secret, addr: addr, appID: appID, maxBody: maxBody,
				noWorkers: noWorkers, applyInterval: applyInterval, stopWait: stopWait, webhookQueue: webhookQueue,
				web: webMounts(),
			})
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
	f.IntVar(&webhookQueue, "webhook-queue", groupcommit.DefaultQueueSize, "notifications waiting to be stored beyond which webhooks are answered 503 with Retry-After")
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

// runServe runs serve until ctx ends: listen first, then open the application
// (waiting for the database), then start the applier and the workers (package
// serve); then stop in order.
func runServe(ctx context.Context, errw io.Writer, so serveOptions) error {
	o := serve.Options{
		Settings: so.settings, Secret: so.secret, Addr: so.addr, AppID: so.appID, MaxBody: so.maxBody,
		ApplyInterval: so.applyInterval, StopWait: so.stopWait, WebhookQueue: so.webhookQueue, Out: errw,
		Concurrency: so.workers.Concurrency, Web: so.web,
		Monitor: func(a *app.App, m *server.Metrics) (*scan.Monitor, error) {
			mon, err := newMonitor(a)
			if mon != nil {
				// Its claims on the parts it sends name this worker (--id).
				mon.Redactor.Lease.Holder = so.workers.ID
				instrumentMonitor(mon, m)
			}
			return mon, err
		},
	}
	if !so.noWorkers {
		wo := so.workers
		wo.StopGrace = so.stopWait
		o.StartWorkers = func(ctx context.Context, a *app.App) (*jobs.Queue, int, error) { return startWorkers(ctx, a, wo) }
	}
	p, err := serve.New(o)
	if err != nil {
		return err
	}
	if err := p.Run(ctx); err != nil {
		_ = p.Close()
		return err
	}
	select {
	case <-ctx.Done():
	case <-p.Done():
	}
	return p.Close()
}

// authenticator builds the web layer's authentication middleware on the open
// application: it turns a session cookie or a bearer token into the
// authz.Principal of the request's context (package web/auth sets it). While
// it is nil, serve mounts no web surface: the API never serves anonymous
// callers.
var authenticator func(a *app.App) (func(http.Handler) http.Handler, error)

// webMounts are the web surfaces serve mounts beside the webhook: the sign-in
// pages under /auth/ (web/auth), the REST API under /api/v1/ (web/api) and the
// console under / (web/console), the last two behind the authentication
// middleware.
func webMounts() []serve.Mount {
	// The public request form needs no sign-in; it is served once a mail
	// server is configured (it mails the verification link).
	mounts := []serve.Mount{{Pattern: "/privacy/", Build: newIntakeHandler}}
	if authenticator == nil {
		return mounts
	}
	return append(mounts, authMount(), serve.Mount{Pattern: api.Prefix, Build: func(a *app.App) (http.Handler, error) {
		authn, err := authenticator(a)
		if err != nil {
			return nil, err
		}
		return api.New(a, api.Options{Authenticate: authn, Logger: a.Logger})
	}}, serve.Mount{Pattern: "/", Build: func(a *app.App) (http.Handler, error) {
		authn, err := authenticator(a)
		if err != nil {
			return nil, err
		}
		o, err := console.FromApp(a)
		if err != nil {
			return nil, err
		}
		h, err := console.New(o)
		if err != nil {
			return nil, err
		}
		return authn(h), nil
	}})
}

// newIntakeHandler builds the public pages (web/intake) on the open
// application; without a mail server they answer 404 with a sentence saying
// why, since no link could be mailed.
func newIntakeHandler(a *app.App) (http.Handler, error) {
	if a.Mail == nil || a.PublicURL == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "The privacy request form is not enabled here (it needs INTERCOM_PRIVACY_SMTP_URL and INTERCOM_PRIVACY_PUBLIC_URL).", http.StatusNotFound)
		}), nil
	}
	h, err := intake.New(intake.Options{
		Store: a.Store, Vault: a.Vault, DSAR: a.DSAR, Outbox: a.Outbox, Templates: a.Messages.Templates, Config: a.Config,
		PublicURL: a.PublicURL, Lang: a.Config.Mail.Language, Logger: a.Logger, Now: a.Settings.Now,
		Matches: intakeMatcher(a), Contacts: intakeContacts(a), Kick: a.KickMail,
		Filed: func(ctx context.Context, r store.Request) {
			if err := a.Enqueue(ctx, r.ID); err != nil {
				a.Logger.Warn("a verified request could not be queued; a worker queues it when it starts", "request_id", r.ID, "error", err.Error())
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return h.Handler(), nil
}

// intakeMatcher counts the Intercom contacts of an address once its owner
// proved they read its mail (the evidence of the verification level); nil
// without Intercom.
func intakeMatcher(a *app.App) func(ctx context.Context, email string) (int, error) {
	if a.Intercom == nil {
		return nil
	}
	return func(ctx context.Context, email string) (int, error) {
		res, err := a.DSAR.Resolve(ctx, dsar.Identifiers{Emails: []string{email}})
		if err != nil {
			return 0, err
		}
		return res.Found(), nil
	}
}

// intakeContacts returns the Intercom contacts of an address, for the
// person's step to the higher verification level; nil without Intercom.
func intakeContacts(a *app.App) func(ctx context.Context, email string) ([]intercom.Contact, error) {
	if a.Intercom == nil {
		return nil
	}
	return func(ctx context.Context, email string) ([]intercom.Contact, error) {
		res, err := a.DSAR.Resolve(ctx, dsar.Identifiers{Emails: []string{email}})
		if err != nil {
			return nil, err
		}
		var out []intercom.Contact
		for _, m := range res.Matches {
			if m.Contact != nil {
				out = append(out, *m.Contact)
			}
		}
		return out, nil
	}
}

// serveOptions are serve's checked flags and settings.
type serveOptions struct {
	settings      app.Settings
	workers       workerOptions
	secret        string
	addr, appID   string
	maxBody       int64
	noWorkers     bool
	applyInterval time.Duration
	stopWait      time.Duration
	webhookQueue  int
	// web are the handlers mounted beside the webhook (the API, the console).
	web []serve.Mount
}
