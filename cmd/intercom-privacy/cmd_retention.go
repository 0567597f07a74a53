package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
)

func init() {
	register(newRetentionCmd)
	registerWorkerHook(retentionWorkerHook)
}

// envRetentionBatchSize overrides the rows per delete batch.
const envRetentionBatchSize = "INTERCOM_PRIVACY_RETENTION_BATCH_SIZE"

// retentionWorkerHook schedules the retention run in `worker` and `serve`:
// the policy comes from the configuration file's retention and schedule
// sections; a policy error stops the worker from starting.
func retentionWorkerHook(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
	batch, err := envIntChecked(envRetentionBatchSize, retention.DefaultBatchSize)
	if err != nil {
		return nil, err
	}
	p, err := retentionPolicy(a, batch)
	if err != nil {
		return nil, err
	}
	r := a.Retention("worker")
	return retention.RegisterPeriodic(workers, p, r)
}

// validateConfig checks the sections of the configuration that config does not
// parse itself (retention and schedule), for app.Settings.ValidateConfig.
func validateConfig(c *config.Config) error {
	_, err := retention.FromConfig(c)
	return err
}

// retentionPolicy reads the policy from the application's configuration and
// applies the batch size of the command line or the environment.
func retentionPolicy(a *app.App, batch int) (retention.Policy, error) {
	p, err := a.RetentionPolicy()
	if err != nil {
		return retention.Policy{}, err
	}
	if batch < 1 || batch > retention.MaxBatchSize {
		return retention.Policy{}, usagef("--batch-size (or %s) %d: want a whole number from 1 to %d", envRetentionBatchSize, batch, retention.MaxBatchSize)
	}
	p.BatchSize = batch
	return p, nil
}

// newRetentionCmd builds `intercom-privacy retention`.
func newRetentionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Enforce the retention policy: run it, show it, and place or release legal holds",
		Long: `retention deletes what the local store keeps past its maximum age, per category:

  contact_cache       cached Intercom contacts          (default 30d)
  conversation_cache  cached conversations and parts    (default 90d)
  webhook_events      stored webhook notifications      (default 30d)
  export_files        Data Export downloads             (default 7d)
  access_packages     access-request packages           (default 7d)
  audit               audit records                     (default 7y; never below 24 months,
                      never removed automatically: 'audit prune')
  request_records     finished privacy requests: the    (default 24mo; never below 24 months,
                      request, its steps and notices     CCPA Regs §7101)
  suppression_list    keyed HMACs of erased people's    (default off: kept)
                      identifiers, so sync skips them

Request records and suppression entries are pseudonymised personal data (keyed
HMACs, Intercom ids, identifiers encrypted under the request's own key). A
request is removed with its keys once it finished longer ago than its age,
unless a legal hold names it, a notice to a recipient is open or an erasure
exception it applied still keeps an object; each batch is recorded by a
requests.pruned audit record signed in the same transaction.

The policy is the retention: and schedule: sections of the configuration file
(--config or INTERCOM_PRIVACY_CONFIG), for example:

  retention:
    contact_cache: 14d
    audit: 7y
  schedule:
    cron: "0 3 * * *"          # daily at 03:00 (the default)
    timezone: Europe/Dublin    # the default is UTC

Rows are deleted in batches, each in its own short transaction, so the service
keeps writing while a run works. Data under a legal hold (a person or a privacy
request) is never deleted by a run. Every run is recorded with its counts, in
the store and the audit trail; a run that was killed stays "running" until the
next run marks it "interrupted" and finishes its work.

'intercom-privacy worker' (and 'serve') run the policy on its schedule.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRetentionRunCmd(), newRetentionShowCmd(), newRetentionHoldCmd())
	return cmd
}

func newRetentionRunCmd() *cobra.Command {
	var (
		af         appFlags
		dry, asJS  bool
		batch      int
		staleAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Delete what is past its age now (or count it with --dry-run)",
		Long: `run enforces the retention policy once and prints what it deleted per category.

With --dry-run it counts what a run would delete and deletes nothing; the dry run
is recorded all the same. It refuses to start while another run is alive (one
that sent a heartbeat less than --stale-after ago); a run older than that which
is still marked running belonged to a process that died: this run marks it
interrupted and deletes what it left.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if staleAfter < time.Second {
				return usagef("--stale-after %v: want at least 1s (the default is %v)", staleAfter, retention.DefaultStaleAfter)
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			p, err := retentionPolicy(a, batch)
			if err != nil {
				return err
			}
			r := a.Retention(cliActor())
			r.StaleAfter = staleAfter
			opts := retention.RunOptions{DryRun: dry}
			clearProgress := func() {}
			if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				// Progress on a terminal only, overwritten in place.
				last := time.Time{}
				opts.Progress = func(c retention.Category, n int64) {
					if time.Since(last) >= 200*time.Millisecond {
						last = time.Now()
						fmt.Fprintf(f, "\r\033[K%s: %s rows", c, retention.FormatCount(n))
					}
				}
				clearProgress = func() { fmt.Fprint(f, "\r\033[K") }
			}
			res, err := r.Run(ctx, p, opts)
			clearProgress()
			if res.RunID != "" {
				if asJS {
					if werr := writeJSON(cmd.OutOrStdout(), res); werr != nil && err == nil {
						err = werr
					}
				} else {
					printRetentionRun(cmd.OutOrStdout(), res)
				}
			}
			return err
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&dry, "dry-run", false, "count what would be deleted; delete nothing (the dry run is recorded)")
	f.BoolVar(&asJS, "json", false, "print the result as JSON")
	f.IntVar(&batch, "batch-size", envInt(envRetentionBatchSize, retention.DefaultBatchSize),
		fmt.Sprintf("rows deleted per transaction, 1 to %d (env %s)", retention.MaxBatchSize, envRetentionBatchSize))
	f.DurationVar(&staleAfter, "stale-after", retention.DefaultStaleAfter, "a run marked running with no heartbeat for this long is taken for dead")
	return cmd
}

func printRetentionRun(w io.Writer, res retention.RunResult) {
	kind := "run"
	verb := "deleted"
	if res.DryRun {
		kind, verb = "dry run", "would delete"
	}
	for _, id := range res.Interrupted {
		fmt.Fprintf(w, "run %s was left running by a process that stopped: marked interrupted; this run finished its work\n", id)
	}
	fmt.Fprintf(w, "retention %s %s: %s (%d active legal hold(s) honoured)\n", kind, res.RunID, res.State, res.ActiveHolds)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CATEGORY\tMAX AGE\tCUTOFF\t%s\n", strings.ToUpper(verb))
	for _, c := range res.Categories {
		printRetentionCategory(tw, c)
	}
	fmt.Fprintf(tw, "total\t\t\t%s\n", retention.FormatCount(res.Total))
	tw.Flush()
}

func printRetentionCategory(tw io.Writer, c retention.CategoryResult) {
	if c.Note != "" {
		fmt.Fprintf(tw, "%s\t%s\t-\t%s\n", c.Category, c.Age, c.Note)
		return
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Category, c.Age, c.Cutoff.Format(time.RFC3339), retention.FormatCount(c.Deleted))
}

// retentionShowView is the output of `retention show --json`.
type retentionShowView struct {
	Policy   retentionPolicyView        `json:"policy"`
	NextRun  time.Time                  `json:"next_run"`
	WouldRun []retention.CategoryResult `json:"next_run_would_delete"`
	Runs     []retentionRunView         `json:"runs"`
	Holds    []retention.Hold           `json:"active_legal_holds"`
}

type retentionPolicyView struct {
	Ages      map[string]string `json:"ages"`
	Cron      string            `json:"cron"`
	Timezone  string            `json:"timezone"`
	BatchSize int               `json:"batch_size"`
}

type retentionRunView struct {
	ID         string           `json:"id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	DryRun     bool             `json:"dry_run"`
	State      string           `json:"state"`
	Counts     map[string]int64 `json:"counts"`
}

func newRetentionShowCmd() *cobra.Command {
	var (
		af    appFlags
		asJS  bool
		nRuns int
	)
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the policy in force, the last runs, the legal holds, and what the next run would delete",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			batch, err := envIntChecked(envRetentionBatchSize, retention.DefaultBatchSize)
			if err != nil {
				return err
			}
			p, err := retentionPolicy(a, batch)
			if err != nil {
				return err
			}
			r := a.Retention(cliActor())
			v, err := buildRetentionShow(ctx, r, p, nRuns)
			if err != nil {
				return err
			}
			if asJS {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			printRetentionShow(cmd.OutOrStdout(), p, v)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJS, "json", false, "print as JSON")
	cmd.Flags().IntVar(&nRuns, "runs", 10, "how many recent runs to list")
	return cmd
}

func buildRetentionShow(ctx context.Context, r *retention.Runner, p retention.Policy, nRuns int) (retentionShowView, error) {
	now := time.Now()
	next := p.Schedule.Next(now)
	v := retentionShowView{
		Policy:  retentionPolicyView{Ages: map[string]string{}, Cron: p.Schedule.Cron, BatchSize: p.BatchSize},
		NextRun: next.UTC(),
	}
	if p.Schedule.Location != nil {
		v.Policy.Timezone = p.Schedule.Location.String()
	}
	for _, c := range retention.Categories() {
		v.Policy.Ages[string(c)] = p.Age(c).String()
	}
	when := next
	if when.IsZero() {
		when = now
	}
	var err error
	if v.WouldRun, err = r.Preview(ctx, p, when); err != nil {
		return v, err
	}
	runs, err := r.Runs(ctx, nRuns)
	if err != nil {
		return v, err
	}
	v.Runs = []retentionRunView{}
	for _, x := range runs {
		v.Runs = append(v.Runs, retentionRunOf(x))
	}
	if v.Holds, err = r.Holds(ctx); err != nil {
		return v, err
	}
	return v, nil
}

func retentionRunOf(x store.RetentionRun) retentionRunView {
	j := retentionRunView{ID: x.ID, StartedAt: x.StartedAt.UTC(), DryRun: x.DryRun, State: x.State, Counts: x.Counts}
	if !x.FinishedAt.IsZero() {
		t := x.FinishedAt.UTC()
		j.FinishedAt = &t
	}
	if j.Counts == nil {
		j.Counts = map[string]int64{}
	}
	return j
}

func printRetentionShow(w io.Writer, p retention.Policy, v retentionShowView) {
	fmt.Fprintln(w, "Policy in force:")
	for line := range strings.Lines(p.String()) {
		fmt.Fprintln(w, "  "+strings.TrimSuffix(line, "\n"))
	}
	fmt.Fprintf(w, "\nNext scheduled run: %s (when a worker or the server is running)\n", v.NextRun.Format(time.RFC3339))
	fmt.Fprintln(w, "It would delete (rows past their age then, legal holds honoured, as the store is now):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CATEGORY\tMAX AGE\tCUTOFF\tWOULD DELETE")
	for _, c := range v.WouldRun {
		fmt.Fprint(tw, "  ")
		printRetentionCategory(tw, c)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nLast runs:\n")
	if len(v.Runs) == 0 {
		fmt.Fprintln(w, "  none yet")
	} else {
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RUN\tSTARTED\tSTATE\tDRY RUN\tROWS")
		for _, r := range v.Runs {
			var total int64
			for _, n := range r.Counts {
				total += n
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%v\t%s\n", r.ID, r.StartedAt.Format(time.RFC3339), r.State, r.DryRun, retention.FormatCount(total))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nActive legal holds: %d", len(v.Holds))
	if len(v.Holds) > 0 {
		fmt.Fprint(w, " (`retention hold list` shows them)")
	}
	fmt.Fprintln(w)
}

func newRetentionHoldCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hold",
		Short: "Place, release and list legal holds (data under a hold is never deleted by a retention run)",
		Long: `A legal hold stops retention runs from deleting a person's data (named by an
Intercom contact id) or a privacy request's files (access packages), until it is
released. Holds are stored by a keyed reference, never by the contact id in clear,
and every hold and release is recorded in the audit trail. The reason must not
contain personal data (no names, e-mail addresses, phone numbers): it is refused
otherwise.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newHoldAddCmd(), newHoldReleaseCmd(), newHoldListCmd())
	return cmd
}

func newHoldAddCmd() *cobra.Command {
	var (
		af                   appFlags
		contactID, requestID string
		ticketID, convID     string
		keepContactID        string
		basis                string
		reason               string
		asJS                 bool
	)
	cmd := &cobra.Command{
		Use:   "add (--contact-id ID | --request-id ID | --ticket-id ID | --conversation-id ID | --keep-contact-id ID) [--basis B] --reason R",
		Short: "Place a legal hold on a person, a privacy request, or one ticket, conversation or contact",
		Long: `A hold on a person (--contact-id) or a request stops retention runs from deleting
their data and stops an erasure before its next DELETE; its --basis, when given, is
what the person is told.

A hold on one object (--ticket-id, --conversation-id, or --keep-contact-id for one
contact of the person; --basis required) keeps that object through an erasure, which
erases the rest: the object is not
deleted and not redacted, the plan, the outcome and the audit trail list it with
its basis, and the person is told the basis. Intercom deletes a contact's
conversations and tickets with the contact, so the person's contacts taking part
in a held ticket or conversation are kept too. Bases: ` + jurisdiction.BasisList() + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			h, err := a.Retention(cliActor()).AddHold(ctx, retention.HoldTarget{ContactID: contactID, RequestID: requestID,
				TicketID: ticketID, ConversationID: convID, KeepContactID: keepContactID, Basis: basis}, reason)
			if err != nil {
				return err
			}
			if asJS {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "legal hold %s placed on a %s; release it with `intercom-privacy retention hold release %s`\n", h.ID, h.Kind, h.ID)
			return nil
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&contactID, "contact-id", "", "the Intercom contact id of the person to hold")
	f.StringVar(&requestID, "request-id", "", "the privacy request to hold (its access packages)")
	f.StringVar(&ticketID, "ticket-id", "", "the Intercom ticket an erasure must keep (with --basis)")
	f.StringVar(&convID, "conversation-id", "", "the Intercom conversation an erasure must keep (with --basis)")
	f.StringVar(&keepContactID, "keep-contact-id", "", "one Intercom contact of the person an erasure must keep while it erases their others (with --basis)")
	f.StringVar(&basis, "basis", "", "the legal basis, told to the person (required for a hold on one object): "+jurisdiction.BasisList())
	f.StringVar(&reason, "reason", "", "why, without personal data (e.g. \"litigation hold, case 2026-17\")")
	f.BoolVar(&asJS, "json", false, "print the hold as JSON")
	return cmd
}

func newHoldReleaseCmd() *cobra.Command {
	var (
		af     appFlags
		reason string
		asJS   bool
	)
	cmd := &cobra.Command{
		Use:   "release ID",
		Short: "Release a legal hold; the next run deletes what it kept if that is past its age",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			h, err := a.Retention(cliActor()).ReleaseHold(ctx, args[0], reason)
			if err != nil {
				return err
			}
			if asJS {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "legal hold %s released\n", h.ID)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why, without personal data (default \"released\")")
	cmd.Flags().BoolVar(&asJS, "json", false, "print the released hold as JSON")
	return cmd
}

func newHoldListCmd() *cobra.Command {
	var (
		af   appFlags
		asJS bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the active legal holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			hs, err := a.Retention(cliActor()).Holds(ctx)
			if err != nil {
				return err
			}
			if asJS {
				if hs == nil {
					hs = []retention.Hold{}
				}
				return writeJSON(cmd.OutOrStdout(), hs)
			}
			if len(hs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no active legal holds")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tOBJECT\tBASIS\tREQUEST\tSINCE\tREASON")
			for _, h := range hs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Kind, dash(h.ObjectID), dash(h.Basis), dash(h.RequestID),
					h.CreatedAt.UTC().Format(time.RFC3339), h.Reason)
			}
			return tw.Flush()
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJS, "json", false, "print as JSON")
	return cmd
}

// dash shows an empty column as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
