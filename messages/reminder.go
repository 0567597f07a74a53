package messages

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Reminders tells the operators (mail.operators) of the open requests whose
// deadline is within Days: one message per request, operator and due date
// (a resumed or repeated run writes nothing more; an extension brings a new
// reminder for the new date). Messages carry the request's reference, type,
// law, state and dates, never the person's identifiers.
type Reminders struct {
	Store     store.Store
	Messages  *Service
	Operators []string
	// Days before the due date (0: 3).
	Days int
	Now  func() time.Time
}

// Run writes the reminders due now and returns how many it wrote.
func (r *Reminders) Run(ctx context.Context) (int, error) {
	if len(r.Operators) == 0 {
		return 0, nil
	}
	now := time.Now().UTC()
	if r.Now != nil {
		now = r.Now().UTC()
	}
	open := []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}
	rs, err := r.Store.ListRequests(ctx, store.RequestFilter{States: open, DueBefore: now.AddDate(0, 0, cmp.Or(r.Days, 3)), Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, req := range rs {
		if dsar.Finished(req.State) {
			continue
		}
		d, j, err := r.Messages.Base(req)
		if err != nil {
			return n, err
		}
		err = r.Store.InTx(ctx, func(tx store.Tx) error {
			for i, to := range r.Operators {
				ok, err := r.Messages.Send(ctx, tx, DeadlineReminder, j, d, to,
					fmt.Sprintf("%s/reminder/%s/%d", req.ID, d.DueAt.UTC().Format("20060102"), i))
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReminderJobKind is the River job kind of the daily reminders.
const ReminderJobKind = "deadline_reminders"

// ReminderArgs are the arguments of a deadline_reminders job: the day.
type ReminderArgs struct {
	Day string `json:"day"`
}

// Kind implements river.JobArgs.
func (ReminderArgs) Kind() string { return ReminderJobKind }

// InsertOpts makes the job unique by its day.
func (ReminderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 5}
}

type reminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	r *Reminders
}

func (w *reminderWorker) Work(ctx context.Context, _ *river.Job[ReminderArgs]) error {
	_, err := w.r.Run(ctx)
	return err
}

// RegisterReminders adds the hourly check (unique per day) to workers.
func RegisterReminders(workers *river.Workers, r *Reminders) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &reminderWorker{r: r}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return ReminderArgs{Day: time.Now().UTC().Format("2006-01-02")}, nil
	}, &river.PeriodicJobOpts{ID: ReminderJobKind, RunOnStart: true})}, nil
}
