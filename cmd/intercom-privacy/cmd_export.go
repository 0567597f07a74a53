package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intercom-privacy/intercom-privacy/export"
)

func init() { register(newExportCmd) }

// Environment defaults of the export flags.
const (
	envExportPollInterval = "INTERCOM_PRIVACY_EXPORT_POLL_INTERVAL"
	envExportTimeout      = "INTERCOM_PRIVACY_EXPORT_TIMEOUT"
)

const exportWhat = `What this exports: Intercom's content Data Export, the statistics of the
workspace's outbound messages (receipts, opens, clicks, replies, completions,
dismissals, unsubscribes, hard bounces) sent between two dates, for the WHOLE
workspace. Every row names its recipient
(Intercom user id, your external id, email, name), so the files are personal
data: keep them only as long as the export retention allows (7 days by default),
and delete them after.

What it does not export: conversation content (Intercom's API does not offer it
here), nor one person's data. To answer a person's access request use
` + "`intercom-privacy dsar access`" + `, which gathers everything Intercom and this tool
hold about that person.`

// newExportCmd builds `intercom-privacy export`.
func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Bulk Data Export: workspace-wide outbound-message statistics (not a person's data)",
		Long:  "export runs Intercom's content Data Export jobs and keeps their record.\n\n" + exportWhat,
	}
	cmd.AddCommand(newExportMessagesCmd(), newExportListCmd(), newExportFilesCmd())
	return cmd
}

// exportExitCode is the exit status of a run that ended without files for a reason
// the job's record explains (failed, cancelled, timed out, expired, unusable).
const exportExitCode = int(exitIncomplete)

// exportError gives job outcomes their own exit status.
type exportError struct{ err error }

func (e exportError) Error() string { return e.err.Error() }
func (e exportError) Unwrap() error { return e.err }
func (e exportError) ExitCode() int { return exportExitCode }

func newExportMessagesCmd() *cobra.Command {
	var (
		af                    appFlags
		since, until, out     string
		keep, asJSON, force   bool
		pollInterval, timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "messages --since YYYY-MM-DD --until YYYY-MM-DD (--out DIR | --keep)",
		Short: "Export the workspace's outbound-message statistics for a date range",
		Long: `messages creates an Intercom content Data Export job for the days from --since to
--until (inclusive, UTC), records its identifier in the store at once, polls it
every --poll-interval, cancels it if it has not finished after --timeout, then
downloads it (gzip, zip or tar.gz are all accepted), checks every CSV row, and:

  --out DIR   writes the files into DIR/intercom-export-<since>_<until>-<job>/
              with a manifest.json (row counts, SHA-256); the directory appears
              only once every file is complete, never half-written;
  --keep      keeps the files in the store, encrypted, until the export
              retention ends (retention.export_files, 7 days by default);
              ` + "`export files JOB --out DIR`" + ` writes them out later. Run again
              for a range already kept, it reuses that copy (and writes it to
              --out, if given) instead of a second job and a second copy of the
              same personal data; --force exports again.

Intercom runs one export per workspace at a time: while another runs, this one
waits, shown as "queued", and starts when the other ends. If this command is
interrupted or killed, run it again with the same dates: it resumes the same job
instead of starting another.

Outcomes: files written or kept (exit 0); "no_data" when no message was sent in
the range (exit 0, nothing written); failed (Intercom's 504), cancelled, timed out
(the job is cancelled), expired download, or an unusable download (truncated,
corrupt, malformed CSV): exit 3, nothing written, and ` + "`export list`" + ` shows
what happened.

` + exportWhat,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := exportParams(since, until, out, keep, pollInterval, timeout, time.Now())
			if err != nil {
				return usageError{err}
			}
			if force && !keep {
				return usagef("--force only applies with --keep")
			}
			p.Force = force
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.RequireIntercom(); err != nil {
				return err
			}
			svc, err := a.Export()
			if err != nil {
				return err
			}
			pr := newExportProgress(cmd.ErrOrStderr(), asJSON)
			p.Progress = pr.report
			res, err := svc.Run(ctx, p)
			pr.finish()
			if cerr := a.FinishRun(context.WithoutCancel(ctx)); cerr != nil && err == nil {
				err = cerr
			}
			if asJSON && res.Job != "" {
				if werr := writeJSON(cmd.OutOrStdout(), res); werr != nil && err == nil {
					err = werr
				}
			} else if err == nil {
				printExportResult(cmd.OutOrStdout(), res)
			}
			return exportRunError(err, res)
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "first day of the range, YYYY-MM-DD (UTC; required)")
	f.StringVar(&until, "until", "", "last day of the range, YYYY-MM-DD (UTC, inclusive, not in the future; required)")
	f.StringVar(&out, "out", "", "write the files into a new directory inside DIR")
	f.BoolVar(&keep, "keep", false, "keep the files in the store, encrypted, for the export retention (7 days by default); a copy already kept for the same range is reused")
	f.BoolVar(&force, "force", false, "with --keep, export again although a copy of the same range is kept (a second Intercom job, a second copy)")
	f.DurationVar(&pollInterval, "poll-interval", envDuration(envExportPollInterval, export.DefaultPollInterval),
		"how often to ask Intercom about the job, and to retry while queued (env "+envExportPollInterval+")")
	f.DurationVar(&timeout, "timeout", envDuration(envExportTimeout, export.DefaultTimeout),
		"cancel the job if it has not finished this long after it was created; also the longest wait in the queue (env "+envExportTimeout+")")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON (no progress display)")
	return cmd
}

// exportParams validates the flags into export.Params.
func exportParams(since, until, out string, keep bool, poll, timeout time.Duration, now time.Time) (export.Params, error) {
	var p export.Params
	if since == "" || until == "" {
		return p, usagef("--since and --until are required (YYYY-MM-DD)")
	}
	s, err := export.ParseDate(since)
	if err != nil {
		return p, usagef("--since: %w", err)
	}
	u, err := export.ParseDate(until)
	if err != nil {
		return p, usagef("--until: %w", err)
	}
	if s.After(u) {
		return p, usagef("--since %s is after --until %s", since, until)
	}
	today := now.UTC().Format(time.DateOnly)
	if until > today {
		return p, usagef("--until %s is in the future (today is %s, UTC)", until, today)
	}
	if out == "" && !keep {
		return p, errors.New("say where the files go: --out DIR, --keep (in the store, encrypted), or both")
	}
	if poll <= 0 {
		return p, usagef("--poll-interval %s: must be positive", poll)
	}
	if timeout <= 0 {
		return p, usagef("--timeout %s: must be positive", timeout)
	}
	return export.Params{Since: s, Until: u, OutDir: out, Keep: keep, PollInterval: poll, Timeout: timeout}, nil
}

// exportRunError gives job outcomes exit status 3, and says how to resume a job
// that was left open.
func exportRunError(err error, res export.Result) error {
	var ee *export.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return exportError{err}
	case res.Job != "" && res.Outcome == "":
		return fmt.Errorf("%w; job %s stays recorded: run the same command (same --since and --until) to resume it", err, res.Job)
	}
	return err
}

func printExportResult(w io.Writer, r export.Result) {
	resumed := ""
	if r.Resumed {
		resumed = " (resumed)"
	}
	if r.Reused {
		resumed = " (the copy already kept for this range; no new Intercom job, no second copy: --force exports again)"
	}
	switch r.Outcome {
	case export.OutcomeNoData:
		fmt.Fprintf(w, "job %s%s: no message was sent from %s to %s; nothing to download\n", r.Job, resumed, r.Since, r.Until)
		return
	case export.OutcomeDownloaded:
		fmt.Fprintf(w, "job %s%s: %d file(s), %d row(s) written to %s\n", r.Job, resumed, len(r.Files), r.Rows, r.Dir)
	case export.OutcomeKept:
		fmt.Fprintf(w, "job %s%s: %d file(s), %d row(s) kept in the store, encrypted\n", r.Job, resumed, len(r.Files), r.Rows)
	}
	for _, f := range r.Files {
		fmt.Fprintf(w, "  %-40s %-12s %8d rows\n", f.Name, f.Kind, f.Rows)
	}
	if r.Files != nil && r.Files[0].BlobID != "" {
		exp := "never (retention off)"
		if !r.ExpiresAt.IsZero() {
			exp = r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "kept until %s; write them out with `intercom-privacy export files %s --out DIR`\n", exp, r.Job)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintln(w, "these files hold personal data (recipients' emails and names): delete them when done")
}

// exportProgress shows a run's progress: one rewritten line on a terminal, one
// line per change of phase otherwise, nothing with --json.
type exportProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	quiet    bool
	last     string
	dirty    bool
}

func newExportProgress(w io.Writer, quiet bool) *exportProgress {
	p := &exportProgress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		p.terminal = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *exportProgress) report(s export.Status) {
	if p.quiet || s.Phase == export.PhaseDone {
		return
	}
	var line string
	el := s.Elapsed.Truncate(time.Second)
	switch s.Phase {
	case export.PhaseQueued:
		line = "queued: Intercom runs one export at a time; waiting for another export to end"
		if s.Behind != "" {
			line = "queued behind job " + s.Behind + " (one export at a time)"
		}
		line += fmt.Sprintf(", %s", el)
	case export.PhaseWaiting:
		line = fmt.Sprintf("job %s: %s, %s", s.Job, s.IntercomStatus, el)
		if s.Resumed {
			line += " (resumed)"
		}
	case export.PhaseCanceling:
		line = fmt.Sprintf("job %s: timed out after %s, cancelling", s.Job, el)
	case export.PhaseDownloading:
		line = fmt.Sprintf("job %s: downloading, %d file(s), %d row(s)", s.Job, s.Files, s.Rows)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.dirty = true
		return
	}
	// Off a terminal: one line per phase (without the ticking clock).
	key := string(s.Phase) + s.Job + s.IntercomStatus + s.Behind
	if key != p.last {
		p.last = key
		fmt.Fprintln(p.w, line)
	}
}

func (p *exportProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}

func newExportListCmd() *cobra.Command {
	var (
		af     appFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the export jobs recorded in the store and what happened to each",
		Long: `list prints every content Data Export job this tool recorded: its date range, its
state (pending, in_progress, completed: still to be fetched, run messages again
with the same dates to resume; downloaded, kept, no_data; failed, canceled,
timed_out, expired, bad_download, create_unknown: ended without files) and its
files. No personal data is printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, err := a.Export()
			if err != nil {
				return err
			}
			jobs, err := svc.Jobs(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				if jobs == nil {
					jobs = []export.Job{}
				}
				return writeJSON(cmd.OutOrStdout(), jobs)
			}
			if len(jobs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no export jobs recorded")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSINCE\tUNTIL\tSTATE\tFILES\tROWS\tCREATED\tDETAIL")
			for _, j := range jobs {
				detail := j.Reason
				if j.Dir != "" {
					detail = "dir " + j.Dir
				}
				if !j.ExpiresAt.IsZero() {
					detail = strings.TrimSpace(detail + " kept until " + j.ExpiresAt.UTC().Format(time.DateOnly))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", j.Job, j.Since, j.Until, j.State, len(j.Files), j.Rows,
					j.CreatedAt.UTC().Format("2006-01-02 15:04"), detail)
			}
			return tw.Flush()
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the jobs as JSON")
	return cmd
}

func newExportFilesCmd() *cobra.Command {
	var (
		af  appFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "files JOB --out DIR",
		Short: "Write out the files of an export kept in the store (--keep)",
		Long: `files decrypts the files an export kept in the store and writes them into
DIR/intercom-export-<since>_<until>-<job>/, all at once, checking each file's
SHA-256 against the one recorded when it was kept. Files past their expiry are
refused even if the retention run has not deleted them yet.

The files are personal data (recipients' emails and names): delete them when done.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{usagef("--out DIR is required")}
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			svc, err := a.Export()
			if err != nil {
				return err
			}
			dir, err := svc.WriteKept(ctx, args[0], out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "written to %s\n", dir)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "directory to write the files into (required)")
	return cmd
}
