package main

import (
	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/tagintake"
)

// The workers (`worker`, `serve`) post the replies to people in Intercom
// when intake.intercom.reply_as is comment (app.Replies).
func init() {
	registerWorkerHook(func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
		if a.Replies == nil {
			return nil, nil
		}
		return tagintake.RegisterPeriodic(workers, a.Replies)
	})
}
