package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/export"
)

// shredView is the output of `keys shred --json`.
type shredView struct {
	// Packages is what dsar.ShredExpiredPackages did.
	Packages dsar.ShredResult `json:"access_packages"`
	// Exports is what export.Service.ShredKeys did.
	Exports export.ShredResult `json:"exports"`
}

// newKeysShredCmd builds `intercom-privacy keys shred`: the workers' hourly key
// destruction, run once, for deployments that run commands from cron instead of
// a worker.
func newKeysShredCmd() *cobra.Command {
	var (
		af   appFlags
		asJS bool
	)
	cmd := &cobra.Command{
		Use:   "shred",
		Short: "Destroy the keys of expired access packages and of deleted export files now",
		Long: `shred does once what 'intercom-privacy worker' (and 'serve') do every hour:

  - every access package past its expiry is deleted together with the key it is
    encrypted under, and the key of every package already deleted (by a retention
    run or an erasure) is destroyed, so that copies in backups become unreadable;
    a package under a legal hold is kept;
  - the key of every finished Data Export job whose kept files are all gone is
    destroyed, for the same reason.

Each destruction commits with its audit record. Running it again destroys nothing
more, and it is safe while workers run. Deployments without a worker should run it
from cron after 'retention run'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			// Built before anything is destroyed: a configuration error stops
			// the command before it has done half its work.
			es, err := a.Export()
			if err != nil {
				return err
			}
			v, err := runShred(ctx, a, es)
			// Sign what was destroyed, as every run does at its end (also
			// after a failure or Ctrl-C: the destructions before it committed).
			if cerr := a.FinishRun(context.WithoutCancel(ctx)); cerr != nil && err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if asJS {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			printShred(cmd.OutOrStdout(), v)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJS, "json", false, "print the counts as JSON")
	return cmd
}

// runShred destroys the keys of expired access packages, then those of deleted
// export files.
func runShred(ctx context.Context, a *app.App, es *export.Service) (shredView, error) {
	var v shredView
	var err error
	if v.Packages, err = a.DSAR.ShredExpiredPackages(ctx); err != nil {
		return v, fmt.Errorf("access packages: %w", err)
	}
	if v.Exports, err = es.ShredKeys(ctx); err != nil {
		return v, fmt.Errorf("export keys: %w", err)
	}
	return v, nil
}

func printShred(w io.Writer, v shredView) {
	p := v.Packages
	fmt.Fprintf(w, "access packages: %d expired package(s) deleted; %d package key(s) and %d request key(s) destroyed\n",
		p.PackagesDeleted, p.PackageKeysDestroyed, p.RequestKeysDestroyed)
	fmt.Fprintf(w, "exports: %d key(s) checked, %d destroyed\n", v.Exports.Checked, v.Exports.Destroyed)
}
