package main

import (
	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/scan"
)

// The workers (`worker`, `serve`) send the redactions approved in the console
// every minute (scan.RegisterApproved): approved ones only, each once.
func init() {
	registerWorkerHook(func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
		return scan.RegisterApproved(workers, newScanRedactor(a, a.Settings.Actor))
	})
}
