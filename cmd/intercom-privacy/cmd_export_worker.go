package main

import (
	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/export"
)

// The workers (`worker`, `serve`) destroy the keys of export jobs whose kept files
// retention has deleted, so backup copies of those files become unreadable.
func init() { registerWorkerHook(exportWorkerHook) }

func exportWorkerHook(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
	s, err := a.Export()
	if err != nil {
		return nil, err
	}
	return export.RegisterWorkers(workers, s), nil
}
