package app

import (
	"context"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/retention"
)

// The workflows the command line, the API and the console build on the same
// application. Each is cheap to build: they hold the App's parts, no state.

// RetentionPolicy is the retention policy in force (the configuration's
// retention and schedule sections); an invalid one is a *ConfigError naming the
// file.
func (a *App) RetentionPolicy() (retention.Policy, error) {
	p, err := retention.FromConfig(a.Config)
	if err != nil {
		return retention.Policy{}, a.configError(err)
	}
	return p, nil
}

func (a *App) configError(err error) error {
	where := a.Settings.ConfigPath
	if where == "" {
		where = "configuration"
	}
	return &ConfigError{Where: where, Err: err}
}

// Export builds the bulk Data Export workflow, with the retention policy's
// export_files age for kept downloads. It acts as the application's actor (or
// the Principal of the context of each call).
func (a *App) Export() (*export.Service, error) {
	pol, err := a.RetentionPolicy()
	if err != nil {
		return nil, err
	}
	return &export.Service{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom,
		Actor: a.Settings.Actor, Retention: &pol, Logger: a.Logger, Now: a.Settings.Now}, nil
}

// Retention builds the retention runner (runs, legal holds) acting as actor
// ("worker", "cli:<user>"; a console or API call acts as the Principal of its
// context).
func (a *App) Retention(actor string) *retention.Runner {
	return &retention.Runner{Store: a.Store, Chain: a.Chain, Vault: a.Vault, Actor: actor, Logger: a.Logger}
}

// Syncer builds the minimal contact sync acting as actor ("cli:<user>",
// "webhook").
func (a *App) Syncer(actor string) *contactsync.Syncer {
	return &contactsync.Syncer{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom,
		Config: a.Config.Sync, Actor: actor, Logger: a.Logger, Now: a.Settings.Now}
}

// enqueuer queues privacy requests for the workers. A process that runs the
// workers hands its queue over (UseQueue); any other opens one on the
// application's database at the first request and keeps it until Close.
type enqueuer struct {
	mu    sync.Mutex
	queue *jobs.Queue
	owned bool
}

// UseQueue makes the application queue requests on q (serve and worker, which
// run the workers on it) instead of opening a queue of its own. The caller
// keeps closing q, after the App.
func (a *App) UseQueue(q *jobs.Queue) {
	a.enq.mu.Lock()
	defer a.enq.mu.Unlock()
	if a.enq.owned && a.enq.queue != nil {
		a.enq.queue.Close()
	}
	a.enq.queue, a.enq.owned = q, false
}

// Enqueue queues request id for a worker (a River job on the application's
// database; unique per request, so queueing twice is harmless).
func (a *App) Enqueue(ctx context.Context, id string) error {
	a.enq.mu.Lock()
	q := a.enq.queue
	if q == nil {
		var err error
		q, err = jobs.Open(ctx, a.Settings.DatabaseURL, jobs.Options{Logger: a.Logger})
		if err != nil {
			a.enq.mu.Unlock()
			return err
		}
		a.enq.queue, a.enq.owned = q, true
	}
	a.enq.mu.Unlock()
	_, err := dsar.Enqueue(ctx, q, id)
	return err
}

// queueFor returns the queue Enqueue uses, opening one when none was given.
func (a *App) queueFor(ctx context.Context) (*jobs.Queue, error) {
	a.enq.mu.Lock()
	defer a.enq.mu.Unlock()
	if a.enq.queue == nil {
		q, err := jobs.Open(ctx, a.Settings.DatabaseURL, jobs.Options{Logger: a.Logger})
		if err != nil {
			return nil, err
		}
		a.enq.queue, a.enq.owned = q, true
	}
	return a.enq.queue, nil
}

// KickMail queues a drain of the outbox, so a message just written leaves
// now rather than at the workers' next tick. A failure is logged: the tick
// sends the message anyway.
func (a *App) KickMail(ctx context.Context) {
	if a.Mail == nil {
		return
	}
	q, err := a.queueFor(ctx)
	if err == nil {
		_, err = q.Insert(ctx, mail.DrainArgs{}, nil)
	}
	if err != nil {
		a.Logger.Warn("the outbox drain could not be queued; the workers' next tick sends the message", "error", err.Error())
	}
}

// closeQueue closes the queue the application opened itself.
func (a *App) closeQueue() {
	a.enq.mu.Lock()
	defer a.enq.mu.Unlock()
	if a.enq.owned && a.enq.queue != nil {
		a.enq.queue.Close()
	}
	a.enq.queue, a.enq.owned = nil, false
}
