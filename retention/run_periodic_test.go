package retention

import (
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func TestScheduleDefaultsAndTimeZone(t *testing.T) {
	p := Default()
	from := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	if got := p.Schedule.Next(from); !got.Equal(time.Date(2026, 7, 2, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("default next run %v, want 03:00 UTC the next day", got)
	}
	dublin, err := Parse([]byte("schedule:\n  timezone: Europe/Dublin\n  cron: \"30 3 * * *\"\n"))
	must(t, err)
	// 03:30 in Dublin in July is 02:30 UTC; in January it is 03:30 UTC.
	for _, c := range []struct{ from, want time.Time }{
		{from, time.Date(2026, 7, 2, 2, 30, 0, 0, time.UTC)},
		{time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), time.Date(2026, 1, 11, 3, 30, 0, 0, time.UTC)},
	} {
		sched, err := jobs.Cron(dublin.Schedule.Cron, dublin.Schedule.Location)
		must(t, err)
		if got := sched.Next(c.from); !got.Equal(c.want) {
			t.Errorf("River schedule from %v: %v, want %v", c.from, got, c.want)
		}
		if got := dublin.Schedule.Next(c.from); !got.Equal(c.want) {
			t.Errorf("policy schedule from %v: %v, want %v", c.from, got, c.want)
		}
	}
	if _, err := PeriodicJob(Policy{}); err == nil {
		t.Fatal("a periodic job for a zero policy")
	}
	if _, err := RegisterPeriodic(river.NewWorkers(), Default(), &Runner{}); err == nil {
		t.Fatal("registered an unconfigured runner")
	}
}

func TestPeriodicWorkerRunsOncePerScheduledTime(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.NewURL(t)
			a := openApp(t, url, newMaster(t))
			seed(t, a.Store, 4, "")
			r := runnerFor(a)
			r.Actor = "worker"
			workers := river.NewWorkers()
			pjs, err := RegisterPeriodic(workers, Default(), r)
			must(t, err)
			if len(pjs) != 1 {
				t.Fatalf("%d periodic jobs", len(pjs))
			}
			if _, err := RegisterPeriodic(workers, Default(), r); err == nil {
				t.Fatal("registered the worker twice without an error")
			}
			opts := jobs.Options{Workers: workers, PeriodicJobs: pjs, FetchPollInterval: 50 * time.Millisecond}
			q, err := jobs.Open(bg, url, opts)
			must(t, err)
			t.Cleanup(q.Close)

			// The job of one scheduled time is inserted once.
			at := now.Add(40 * 24 * time.Hour) // everything seeded is past its age
			res, err := q.Insert(bg, RunArgs{ScheduledAt: at}, nil)
			must(t, err)
			dup, err := q.Insert(bg, RunArgs{ScheduledAt: at}, nil)
			must(t, err)
			if res.UniqueSkippedAsDuplicate || !dup.UniqueSkippedAsDuplicate {
				t.Fatalf("unique per scheduled time: first skipped %v, second skipped %v", res.UniqueSkippedAsDuplicate, dup.UniqueSkippedAsDuplicate)
			}
			events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobSnoozed)
			defer cancel()
			must(t, q.Start(bg))
			t.Cleanup(func() { _ = q.Stop(bg) })
			select {
			case ev := <-events:
				if ev.Kind != river.EventKindJobCompleted || ev.Job.Kind != JobKind {
					t.Fatalf("event %s for %s: %v", ev.Kind, ev.Job.Kind, ev.Job.Errors)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the retention job did not complete")
			}
			runs, err := r.Runs(bg, 5)
			must(t, err)
			if len(runs) != 1 || runs[0].State != StateDone || runs[0].Counts["contact_cache"] != 8 {
				// at +40 days the fresh contacts (29 days old at now) are past 30 days too
				t.Fatalf("runs %+v", runs)
			}
			// The cutoffs came from the scheduled time, not the clock: the
			// conversations (90 days) seeded 89 days before now are past their
			// age at now+40d as well.
			if runs[0].Counts["conversation_cache"] != 8 {
				t.Fatalf("counts %v", runs[0].Counts)
			}

			// A live run elsewhere snoozes the scheduled job instead of failing it.
			_, err = a.Store.InsertRetentionRun(bg, store.RetentionRun{State: StateRunning,
				Counts: map[string]int64{heartbeatKey: time.Now().UnixMicro()}})
			must(t, err)
			_, err = q.Insert(bg, RunArgs{ScheduledAt: at.Add(24 * time.Hour)}, nil)
			must(t, err)
			select {
			case ev := <-events:
				if ev.Kind != river.EventKindJobSnoozed {
					t.Fatalf("event %s, want snoozed", ev.Kind)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the retention job was not snoozed")
			}
		})
	}
}
