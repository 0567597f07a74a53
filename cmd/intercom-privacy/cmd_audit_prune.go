package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// auditRetentionMonths is the policy's audit retention in whole months,
// rounded so that it never keeps records shorter than the policy says.
func auditRetentionMonths(a retention.Age) int {
	switch a.Unit {
	case retention.Years:
		return 12 * a.N
	case retention.Months:
		return a.N
	case retention.Weeks:
		return (7*a.N + 27) / 28
	case retention.Days:
		return (a.N + 27) / 28
	case retention.Hours:
		return (a.N + 28*24 - 1) / (28 * 24)
	}
	return audit.DefaultRetentionMonths
}

// pruneJSON is the --json form of audit prune.
type pruneJSON struct {
	DryRun  bool            `json:"dry_run"`
	Plan    audit.PrunePlan `json:"plan"`
	Records int64           `json:"records"`
	Removed int64           `json:"removed"`
	Record  int64           `json:"prune_record,omitempty"`
}

func newAuditPruneCmd() *cobra.Command {
	var (
		af      appFlags
		before  string
		dryRun  bool
		asJSON  bool
		witness string
	)
	cmd := &cobra.Command{
		Use:   "prune --before DATE [--dry-run]",
		Short: "Remove audit records older than the audit retention, under a signed prune record",
		Long: `prune removes the oldest audit records, those before DATE (YYYY-MM-DD, UTC),
when the audit retention of the configuration allows it (retention.audit: 7 years
by default, never below 24 months). Records younger than the retention are
refused, whatever DATE says.

The records removed run from the first stored one to the last checkpoint signed
before DATE, so the records that remain still start at a signed hash. In one
transaction, prune appends an audit.pruned record naming the range, the hash of
the last record removed and the retention applied, removes the records, and signs
a checkpoint (witnessed as every checkpoint is). audit verify accepts a missing
beginning only under such a record; the database's append-only guard lets a
delete through only for records a prune covers.

The whole chain is verified first (with the witness when one is given) and
nothing is removed from a chain that does not verify. --dry-run says what would
be removed and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if before == "" {
				return errors.New("--before DATE is required (YYYY-MM-DD)")
			}
			b, err := time.Parse(time.DateOnly, before)
			if err != nil {
				return fmt.Errorf("--before %s: want a date as YYYY-MM-DD", shownArg(before))
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			pol, err := retention.FromConfig(a.Config)
			if err != nil {
				return err
			}
			months := auditRetentionMonths(pol.Age(retention.Audit))
			pub, id := a.Vault.AuditPublicKey()
			keys := audit.Keyring{{KeyID: id, Key: pub}}
			var opts audit.VerifyOptions
			if witness != "" {
				wl, err := readWitnessFile(witness, keys)
				if err != nil {
					return err
				}
				opts.Witness = &wl
			}
			rep, err := audit.VerifyWith(ctx, a.Store, keys, opts)
			if err != nil {
				return err
			}
			if rep.Break != nil {
				return fmt.Errorf("audit prune: nothing removed: the audit chain does not verify (record %d: %s); run `audit verify` and investigate first: %w",
					rep.Break.Seq, rep.Break.Kind, brokenChainError{rep.Break})
			}
			plan, err := audit.PlanPrune(ctx, a.Store, keys, b, time.Now(), months)
			if err != nil {
				return err
			}
			res := pruneJSON{DryRun: dryRun, Plan: plan, Records: plan.Records()}
			if !dryRun && plan.Records() > 0 {
				if res.Record, res.Removed, err = runPrune(cmd, a, plan); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, res)
			}
			switch {
			case plan.Records() == 0:
				fmt.Fprintf(out, "nothing to remove: no signed checkpoint before %s (audit retention %d months; records before %s may be removed)\n",
					b.Format(time.DateOnly), months, plan.Cutoff.Format(time.DateOnly))
			case dryRun:
				fmt.Fprintf(out, "dry run: would remove records %d to %d (%d records, the last signed %s) under a %d-month audit retention; nothing changed\n",
					plan.FromSeq, plan.ToSeq, plan.Records(), plan.CheckpointTime.Format(time.RFC3339), months)
			default:
				fmt.Fprintf(out, "removed records %d to %d (%d records) under a %d-month audit retention; prune record %d signed\n",
					plan.FromSeq, plan.ToSeq, res.Removed, months, res.Record)
			}
			return nil
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&before, "before", "", "remove records before this date (YYYY-MM-DD, UTC); refused when it is inside the audit retention")
	f.BoolVar(&dryRun, "dry-run", false, "say what would be removed; change nothing")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.StringVar(&witness, "witness", defaultWitnessFile(), "witness log to verify against before pruning (default: "+audit.EnvWitness+" when it names a file)")
	return cmd
}

// runPrune removes the planned records in one transaction and witnesses the
// prune's checkpoint.
func runPrune(cmd *cobra.Command, a *app.App, plan audit.PrunePlan) (int64, int64, error) {
	ctx := cmd.Context()
	var rec audit.Record
	var n int64
	err := a.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		rec, n, err = a.Chain.Prune(ctx, tx, plan, cliActor())
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return rec.Seq, n, a.FinishRun(ctx)
}
