package messages

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Reminders tells the operators (mail.operators) of the open requests whose
// deadline is within Days: one message per request, operator and due date
// (a resumed or repeated run writes nothing more; an extension brings a new
// reminder for the new date). Messages carry the request's reference, type,
// law, state and dates, never the person's identifiers. A run reads the due
// dates in [now, now + Days), every page of them: the requests already
// overdue were reminded while their date neared (the console lists them as
// overdue), and however many there are they do not push the ones due soon
// out of the run.
type Reminders struct {
	Store     store.Store
	Messages  *Service
	Operators []string
	// Days before the due date (0: 3).
	Days int
	Now  func() time.Time
	// Page is how many requests a run reads at a time (0: 1,000); a run
	// reads every page.
	Page int
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
	f := store.RequestFilter{States: open, DueFrom: now, DueBefore: now.AddDate(0, 0, cmp.Or(r.Days, 3)), Limit: cmp.Or(r.Page, 1000)}
	n := 0
	for {
		rs, err := r.Store.ListRequests(ctx, f)
		if err != nil {
			return n, err
		}
		for _, req := range rs {
			k, err := r.remind(ctx, req)
			n += k
			if err != nil {
				return n, err
			}
		}
		if len(rs) < f.Limit {
			break
		}
		f.After = new(store.CursorAfter(rs[len(rs)-1]))
	}
	return n, nil
}

// remind writes req's reminders, one per operator, in one transaction, and
// returns how many were new (counted afresh if the transaction runs again).
func (r *Reminders) remind(ctx context.Context, req store.Request) (int, error) {
	d, j, err := r.Messages.Base(req)
	if err != nil {
		return 0, err
	}
	n := 0
	err = r.Store.InTx(ctx, func(tx store.Tx) error {
		n = 0
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
		return 0, err
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
