package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
)

func init() { register(newScanCmd) }

// newScanRedactor builds the redactor of `scan redact` and of serve's
// continuous mode.
func newScanRedactor(a *app.App, actor string) *scan.Redactor {
	return &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: actor, Logger: a.Logger, Now: a.Settings.Now}
}

// configErr names the configuration file in an error about one of its values.
func configErr(a *app.App, field string, err error) error {
	path := a.Settings.ConfigPath
	if path == "" {
		path = "(built-in defaults)"
	}
	return fmt.Errorf("config %s: %s: %w", path, field, err)
}

// newMonitor builds serve's continuous mode from the configuration; nil when
// it is off.
func newMonitor(a *app.App) (*scan.Monitor, error) {
	mc := a.Config.Scan.Monitor
	if mc.Mode == "" || mc.Mode == "off" {
		return nil, nil
	}
	mode, err := scan.ParseMode(mc.Mode)
	if err != nil {
		return nil, configErr(a, "scan.monitor.mode", err)
	}
	types, err := scan.ParseTypes(strings.Join(mc.Types, ","))
	if err != nil {
		return nil, configErr(a, "scan.monitor.types", err)
	}
	engine, err := pii.NewEngine(pii.Options{Types: scan.ContentTypes()})
	if err != nil {
		return nil, err
	}
	m := &scan.Monitor{Store: a.Store, Intercom: a.Intercom, Redactor: newScanRedactor(a, "webhook"), Chain: a.Chain, Actor: "webhook",
		Logger: a.Logger, Engine: engine, Mode: mode, Types: types, AdminTopics: mc.AdminTopics, NoteAdminID: mc.NoteAdminID, Now: a.Settings.Now}
	if err := m.Check(); err != nil {
		return nil, configErr(a, "scan.monitor", err)
	}
	return m, nil
}

func newScanCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Find personal data and secrets in the workspace's conversations, report it, redact it in Intercom",
		Long: `scan looks for personal data and secrets (card numbers, passwords, API keys,
government ids, ...) inside the Intercom workspace's conversations.

  scan conversations   walk the conversations and record what they hold
  scan report          what was found, by type, month, author and team inbox
  scan redact          redact, in Intercom, the parts holding chosen types

Findings are stored as references only (conversation id, part id, author role,
type, confidence, validator), never the values. ` + scan.DeletedNotice,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newScanConversationsCmd(), newScanReportCmd(), newScanRedactCmd())
	return cmd
}

// parseDate reads a --since/--until value: RFC 3339 or YYYY-MM-DD (UTC).
func parseDate(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s: want a date as 2006-01-02 or 2006-01-02T15:04:05Z", flag)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newScanConversationsCmd() *cobra.Command {
	var (
		af                  appFlags
		since, until, types string
		restart, asJSON     bool
		parallel            int
		workerID            string
	)
	cmd := &cobra.Command{
		Use:   "conversations",
		Short: "Scan the workspace's conversations (incremental after the first run; resumes a killed run)",
		Long: `conversations searches the conversations updated between --since and --until,
fetches each in full (8 at a time, under the client's shared rate budget) and runs
the PII engine on every part: HTML bodies, subjects and attachment names.
Attachments themselves are not downloaded. Intercom returns only the 500 most
recent parts of a conversation: the older parts are not scanned, and the report
says how many.

Without --since a run continues from where the last finished run ended (every
conversation on the first run). A run that was stopped or killed is resumed by
the next one: the conversations it scanned are skipped by their updated_at.
--restart abandons it instead. Progress (done/total, rate, time left) is shown
when the output is a terminal.

Tickets are scanned too: their attributes (title, description and every other
text attribute, file attributes' names) are searched by updated_at in the same
window and recorded as findings of kind ticket_attribute. Intercom has no
redaction for an attribute: the report lists them for a person to edit.

One scan runs at a time: a run holds a lease in the database (renewed every 15
s, lost one minute after its process stops renewing). A second run, from
any process, is refused with the holder's --worker-id; if that process was
killed, the next run after its lease expired resumes its work.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseDate("--since", since)
			if err != nil {
				return err
			}
			to, err := parseDate("--until", until)
			if err != nil {
				return err
			}
			ts, err := scan.ParseTypes(types)
			if err != nil {
				return fmt.Errorf("--types: %w", err)
			}
			if parallel < 1 || parallel > 64 {
				return fmt.Errorf("--parallel %d: want 1 to 64", parallel)
			}
			if !workerIDOK(workerID) {
				return usagef("--worker-id (or INTERCOM_PRIVACY_WORKER_ID): want 1 to 255 of A-Z a-z 0-9 _ . - (a host or process name, never a person's)")
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.RequireIntercom(); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			opts := scan.ScanOptions{Since: from, Until: to, Types: ts, Restart: restart}
			if !asJSON && isTerminal(out) {
				var last time.Time
				opts.Progress = func(p scan.Progress) {
					if time.Since(last) < 200*time.Millisecond && p.Done < p.Total {
						return
					}
					last = time.Now()
					fmt.Fprintf(out, "\r\033[Kscan: %d/%d conversations, %.1f/s, %s left", p.Done, p.Total, p.Rate(), p.Remaining().Round(time.Second))
				}
			}
			s := &scan.Scanner{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: cliActor(), Logger: a.Logger, Parallelism: parallel, Now: a.Settings.Now,
				Lease: scan.LeaseOptions{Holder: workerID}}
			res, err := s.Run(ctx, opts)
			if opts.Progress != nil {
				fmt.Fprintln(out)
			}
			if err != nil {
				return err
			}
			if cerr := a.Checkpoint(ctx); cerr != nil {
				return cerr
			}
			if asJSON {
				return writeJSON(out, res)
			}
			r := res.Run
			resumed := ""
			if res.Resumed {
				resumed = " (resumed)"
			}
			fmt.Fprintf(out, "scan %s%s: %d conversation(s) updated %s to %s: %d scanned, %d unchanged, %d failed; %d finding(s)\n",
				r.ID, resumed, r.Total, dateOrStart(r.WindowFrom), r.WindowTo.Format(time.RFC3339), r.Scanned, r.Unchanged, r.Failed, res.Findings)
			if res.Truncated > 0 {
				fmt.Fprintf(out, "  %d conversation(s) have more than 500 parts: their older parts could not be scanned\n", res.Truncated)
			}
			if res.AttachmentOnly > 0 {
				fmt.Fprintf(out, "  %d part(s) hold attachments only: only the file names were scanned\n", res.AttachmentOnly)
			}
			if r.Failed > 0 {
				fmt.Fprintln(out, "  conversations that failed are tried again by the next run")
			}
			fmt.Fprintln(out, "see `intercom-privacy scan report`")
			return nil
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "scan conversations updated at or after this date (default: where the last run ended)")
	f.StringVar(&until, "until", "", "scan conversations updated at or before this date (default: now)")
	f.StringVar(&types, "types", "", "comma-separated types to look for, e.g. card,iban,password,secret (default: every content type)")
	f.BoolVar(&restart, "restart", false, "abandon an unfinished run instead of resuming it")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.IntVar(&parallel, "parallel", scan.DefaultParallelism, "conversations fetched at once")
	f.StringVar(&workerID, "worker-id", envString("INTERCOM_PRIVACY_WORKER_ID", scan.DefaultHolder()), "name of this process in the scan's lease (env INTERCOM_PRIVACY_WORKER_ID; default host-pid)")
	return cmd
}

func dateOrStart(t time.Time) string {
	if t.IsZero() {
		return "from the start"
	}
	return "from " + t.Format(time.RFC3339)
}

func newScanReportCmd() *cobra.Command {
	var (
		af             appFlags
		format, outArg string
		appID          string
		top            int
		force          bool
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report what the scans found (counts and ids only, never a value)",
		Long: `report prints the totals by type, how many conversations hold card numbers,
passwords or secrets, the counts by month, author role and team inbox, the
conversations with the most findings (ids, and links to the Intercom inbox when
the workspace's app id is known), what redaction would do, and what could not
be scanned. --format html writes a self-contained page (no script, no request
to anything).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" && format != "html" {
				return fmt.Errorf("--format %q: want table, json or html", format)
			}
			if top < 1 || top > 1000 {
				return fmt.Errorf("--top %d: want 1 to 1000", top)
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if appID == "" && a.Intercom != nil {
				if me, err := a.Intercom.Me(ctx); err == nil {
					appID = me.App.IDCode
				}
			}
			rep, err := scan.BuildReport(ctx, a.Store, scan.ReportOptions{AppID: appID, Top: top, Now: a.Settings.Now})
			if err != nil {
				return err
			}
			write := rep.WriteTable
			switch format {
			case "json":
				write = rep.WriteJSON
			case "html":
				write = rep.WriteHTML
			}
			if outArg != "" {
				return writeOutFile("--out", outArg, force, write)
			}
			return write(cmd.OutOrStdout())
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "table, json or html")
	f.StringVar(&outArg, "out", "", "write the report to this file instead of standard output")
	f.BoolVar(&force, "force", false, "overwrite --out if it exists")
	f.StringVar(&appID, "app-id", envString(envAppID, ""), "the workspace's id_code for inbox links (env "+envAppID+"; asked from Intercom when unset)")
	f.IntVar(&top, "top", 10, "how many conversations the top list holds")
	return cmd
}

func newScanRedactCmd() *cobra.Command {
	var (
		af                  appFlags
		types, author       string
		dryRun, yes, asJSON bool
		workerID            string
	)
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Redact, in Intercom, the conversation parts holding the chosen types",
		Long: `redact asks Intercom (POST /conversations/redact) to redact every part, and every
opening message (the conversation's source), that the scans found holding a
finding of --types (default card,password,secret), optionally only those written
by --author.

` + scan.DeletedNotice + ` It cannot be undone.

Every part is redacted exactly once: its redaction is recorded in the audit
trail (ids only) before the request and after it; a run that is stopped or
killed is resumed by the next; a part Intercom already redacted counts as done;
a part Intercom refuses (conversation_part_not_redactable) is recorded as such.
A token without the permission to redact stops the run with the permission to
grant, and nothing is marked done. One run redacts at most
scan.max_redactions_per_run parts of the configuration (default 100) unless
--yes is given. Run with --dry-run first.

One redaction run sends at a time: a run holds a lease in the database, and a
second one, from any process, is refused with the holder's --worker-id (a dry
run takes none). Redactions proposed through the console wait for a second
person's approval: this command leaves parts awaiting a decision, or rejected,
alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := scan.ParseTypes(types)
			if err != nil {
				return fmt.Errorf("--types: %w", err)
			}
			if ts == nil {
				return errors.New("--types: name at least one type, e.g. card,password,secret")
			}
			roles, err := scan.ParseRoles(author)
			if err != nil {
				return fmt.Errorf("--author: %w", err)
			}
			if !workerIDOK(workerID) {
				return usagef("--worker-id (or INTERCOM_PRIVACY_WORKER_ID): want 1 to 255 of A-Z a-z 0-9 _ . - (a host or process name, never a person's)")
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if !dryRun {
				if err := a.RequireIntercom(); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			opts := scan.RedactOptions{Types: ts, AuthorRoles: roles, DryRun: dryRun, Yes: yes, Max: a.Config.Scan.MaxRedactionsPerRun}
			r := newScanRedactor(a, cliActor())
			r.Lease.Holder = workerID
			res, err := r.Run(ctx, opts)
			if !dryRun {
				if cerr := a.Checkpoint(context.WithoutCancel(ctx)); cerr != nil && err == nil {
					err = cerr
				}
			}
			if asJSON {
				if werr := writeJSON(out, res); werr != nil && err == nil {
					err = werr
				}
				return err
			}
			printRedactResult(out, res)
			return err
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&types, "types", "card,password,secret", "comma-separated types whose parts are redacted")
	f.StringVar(&author, "author", "", "only parts written by: customer, teammate or bot (comma-separated; default all)")
	f.BoolVar(&dryRun, "dry-run", false, "list what would be redacted; change nothing")
	f.BoolVar(&yes, "yes", false, "redact every chosen part, past the configured maximum per run")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.StringVar(&workerID, "worker-id", envString("INTERCOM_PRIVACY_WORKER_ID", scan.DefaultHolder()), "name of this process in the redaction lease (env INTERCOM_PRIVACY_WORKER_ID; default host-pid)")
	return cmd
}

func printRedactResult(w io.Writer, r scan.RedactResult) {
	if r.DryRun {
		fmt.Fprintf(w, "dry run: %d part(s) would be redacted in Intercom:\n", len(r.Planned))
		for _, x := range r.Planned {
			fmt.Fprintf(w, "  conversation %s %s %s (by %s): %s\n", x.ConversationID, x.PartKind, x.PartID, x.AuthorRole, strings.ToLower(x.Types))
		}
		fmt.Fprintln(w, scan.DeletedNotice)
	} else {
		fmt.Fprintf(w, "redaction: %d redacted, %d already redacted, %d not redactable, %d gone, %d failed\n",
			r.Counts[store.RedactionDone], r.Counts[store.RedactionAlready], r.Counts[store.RedactionNotRedactable],
			r.Counts[store.RedactionGone], r.Counts[store.RedactionFailed])
	}
	if r.Busy > 0 {
		fmt.Fprintf(w, "%d part(s) were being redacted by another process (serve's continuous mode) and were left to it\n", r.Busy)
	}
	if r.Remaining > 0 {
		fmt.Fprintf(w, "%d more part(s) are left for another run (the maximum per run is set by scan.max_redactions_per_run; --yes lifts it)\n", r.Remaining)
	}
}

// Metrics of the continuous mode.
const (
	metricScanFindings  = "intercom_privacy_scan_findings_total"
	metricScanRedaction = "intercom_privacy_scan_redactions_total"
	metricScanDelay     = "intercom_privacy_scan_redaction_delay_seconds"
)

// instrumentMonitor counts the continuous mode's findings and redactions on m.
func instrumentMonitor(mon *scan.Monitor, m *server.Metrics) {
	delay := m.Histogram(metricScanDelay, "Delay from a message's created_at to its redaction in Intercom, in seconds.",
		[]float64{0.5, 1, 2, 5, 10, 30, 60, 300, 3600})
	mon.OnFinding = func(typ string) { m.Add(metricScanFindings, 1, [2]string{"type", typ}) }
	mon.OnRedaction = func(x store.Redaction, d time.Duration) {
		m.Add(metricScanRedaction, 1, [2]string{"state", string(x.State)})
		if x.State == store.RedactionDone && d > 0 {
			delay.Observe(d.Seconds())
		}
	}
}
