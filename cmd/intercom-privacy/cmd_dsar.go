package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

func init() { register(newDsarCmd) }

// newDsarCmd builds `intercom-privacy dsar`: file, follow and answer data subject
// requests.
func newDsarCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dsar",
		Short: "File, run and follow access and erasure requests (GDPR Art. 15/17, CCPA)",
		Long: `dsar handles data subject requests: 'access' and 'erase' file a request (and
record the requester's identity as verified), 'list' and 'show' follow them with
their legal deadlines, 'verify', 'extend', 'deny' and 'cancel' change them, and 'package'
writes out an access package.

Requests run as durable jobs: run 'intercom-privacy worker' next to them, or give
--wait to run the request in this process. A request resumes where it stopped after
a crash, and never repeats a deletion that succeeded.

No command prints the person's identifiers: requests are shown by id, with counts
and Intercom contact ids. Request records are pseudonymised personal data: they
hold a keyed HMAC of the person's identifier, Intercom contact ids, dates and
outcome counts, and the identifiers themselves encrypted under the request's own
key. That key is destroyed when an erasure completes, and for an access request
once the dispute window after the answer is over (requests.dispute_window,
default 30 days); the record itself is kept as the proof of the answer.`,
	}
	cmd.AddCommand(newDsarFileCmd("access"), newDsarFileCmd("erase"), newDsarListCmd(), newDsarShowCmd(),
		newDsarExtendCmd(), newDsarDenyCmd(), newDsarCancelCmd())
	cmd.AddCommand(newDsarPackageCmd(), newDsarVerifyCmd(), newDsarPlanCmd(), newDsarApproveCmd(), newDsarRejectCmd(), newDsarAgentCmd())
	cmd.AddCommand(rightsCommands()...)
	return cmd
}

// ---- access / erase ----

func newDsarFileCmd(kind string) *cobra.Command {
	var (
		af                                    appFlags
		emails, phones, externalIDs, contacts []string
		jurisdiction, channel, verifiedBy     string
		receivedAt                            string
		both, wait, asJSON, fileNew, dryRun   bool
		timeout                               time.Duration
	)
	what := map[string]string{
		"access": "an access request (GDPR Art. 15 copy, CCPA right to know): builds the access package",
		"erase":  "an erasure request (GDPR Art. 17, CCPA delete): deletes the person in Intercom and here",
	}[kind]
	cmd := &cobra.Command{
		Use:   kind + " (--email E | --phone P | --external-id X | --contact-id ID)...",
		Short: "File " + what,
		Long: "File " + what + `.

The identifiers are repeatable and may be mixed. Archived Intercom contacts cannot
be found by search: give their Intercom id with --contact-id.

The request is stored with its legal clock and its identifiers encrypted. With
--verified-by HOW the requester's identity is recorded as verified (how, in the
audit trail) and the request is queued for a worker; without it the request is
filed as received and waits until someone verifies it ('dsar verify ID
--verified-by HOW', or the person following the link of the public form). With --wait this process runs it to its end and shows progress; it runs
only this request, never another one in the queue.

Running the same command again (after Ctrl-C, a crash, or a lost terminal) does
not file a second request: it finds the open request of the same type for the
same person (through the keyed hash of the identifier, no plain value is looked
up), says so, and carries on with it. A request left by a process that was killed
is taken over once its claim expires (2 minutes). --new files a separate request.

If Intercom refuses the access token, or a permission the request needs, --wait
stops with the reason and what to fix (exit code 5); the request is kept, and the
workers retry it until it is fixed.` + map[string]string{
			"access": `

The access package (a zip: data.json with its schema, CSV files, report.html,
supplementary.json, manifest.json) is stored encrypted for 7 days; write it out
with 'dsar package ID --out FILE'.`,
			"erase": `

An erasure deletes the person's tickets (erasure.delete_tickets, default true), their
conversations where configured (erasure.delete_conversations, with
erasure.retain_metrics), and every contact in Intercom; purges this tool's store;
destroys the person's keys; adds keyed hashes of the identifiers to the
suppression list; and verifies by asking Intercom again. Intercom keeps deleted
contacts recoverable for 7 days before they are gone for good.`}[kind],
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			typ := store.RequestAccess
			if kind == "erase" {
				typ = store.RequestErasure
			}
			if both {
				typ = store.RequestAccessErasure
			}
			j, err := deadline.ParseJurisdiction(jurisdiction)
			if err != nil {
				return usagef("--jurisdiction: %w", err)
			}
			// Checked before anything is filed: a value the audit trail refuses
			// would leave a request filed but not verified.
			if err := checkAuditText("--verified-by", audit.FieldReason, verifiedBy); err != nil {
				return err
			}
			if wait && verifiedBy == "" {
				return usagef("--wait runs the request now, which needs the requester's identity verified: add --verified-by HOW (for example \"email reply from the address on file\")")
			}
			received, err := parseReceived(receivedAt, time.Now())
			if err != nil {
				return usagef("--received-at: %w", err)
			}
			if timeout < 0 {
				return usagef("--timeout %v: want 0 (no limit) or a positive duration", timeout)
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			if dryRun {
				return dryRunErasure(cmd, a, j, dsar.Identifiers{Emails: emails, Phones: phones, ExternalIDs: externalIDs, ContactIDs: contacts}, asJSON)
			}
			if wait {
				if err := a.RequireIntercom(); err != nil {
					return err
				}
			}
			ids := dsar.Identifiers{Emails: emails, Phones: phones, ExternalIDs: externalIDs, ContactIDs: contacts}
			r, attached, err := a.DSAR.File(ctx, dsar.Filing{
				Submission: dsar.Submission{Type: typ, Jurisdiction: j, Channel: channel, ReceivedAt: received, Identifiers: ids},
				VerifiedBy: verifiedBy, New: fileNew,
			})
			if err != nil {
				return fileError(err)
			}
			if attached && !asJSON {
				fmt.Fprintf(cmd.ErrOrStderr(), "an open %s request for this person exists: %s (%s, filed %s); carrying on with it instead of filing another (--new files a separate one)\n",
					r.Type, r.ID, r.State, r.ReceivedAt.Format("2006-01-02 15:04"))
			}
			out := cmd.OutOrStdout()
			if !wait {
				if asJSON {
					return writeJSON(out, a.DSAR.ViewOf(r))
				}
				if r.State == store.StateReceived {
					fmt.Fprintf(out, "filed %s: %s, %s, due %s; received, identity not verified\n", r.ID, r.Type, r.Jurisdiction, r.DueAt.Format("2006-01-02"))
					fmt.Fprintf(out, "it runs once verified: intercom-privacy dsar verify %s --verified-by HOW\n", r.ID)
					return nil
				}
				fmt.Fprintf(out, "filed %s: %s, %s, due %s; identity verified by %s\n", r.ID, r.Type, r.Jurisdiction,
					r.DueAt.Format("2006-01-02"), cmp.Or(verifiedBy, "an earlier verification"))
				fmt.Fprintln(out, "queued: run `intercom-privacy worker` to process it, or file with --wait")
				return nil
			}
			if !asJSON && !attached {
				fmt.Fprintf(cmd.ErrOrStderr(), "filed %s (%s, %s, due %s); running it now\n", r.ID, r.Type, r.Jurisdiction, r.DueAt.Format("2006-01-02"))
			}
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			if err := runInProcess(ctx, a, []string{r.ID}, cmd.ErrOrStderr()); err != nil {
				return err
			}
			r, err = a.DSAR.Get(ctx, r.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(out, a.DSAR.ViewOf(r))
			}
			return printShow(ctx, out, a, r)
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&emails, "email", nil, "the person's email address (repeatable)")
	f.StringArrayVar(&phones, "phone", nil, "the person's phone number (repeatable)")
	f.StringArrayVar(&externalIDs, "external-id", nil, "the person's external id, your own user id in Intercom (repeatable)")
	f.StringArrayVar(&contacts, "contact-id", nil, "an Intercom contact id; the only way to find archived contacts (repeatable)")
	f.StringVar(&jurisdiction, "jurisdiction", "gdpr", "the law whose clock applies: gdpr or uk_gdpr (one calendar month, +2), ccpa (10 business days to acknowledge, 45 days, +45), a US state us_va, us_co, us_ct, us_ut, us_tx, us_or, us_mt, us_ia (90 days), us_de, us_nh, us_ne, us_nj, us_tn, us_mn, us_md, us_in, us_ky, us_ri (45 days, +45), lgpd (15 days) or pipeda (30 days, +30)")
	f.StringVar(&channel, "channel", "email", "how the request was made: email, web_form, api, intercom_ticket, intercom_conversation, phone, mail, in_person, cli")
	f.StringVar(&receivedAt, "received-at", "", "when the request reached you, if not now: 2006-01-02 or RFC 3339; the legal clock starts there")
	f.StringVar(&verifiedBy, "verified-by", "", "how the requester's identity was verified (recorded in the audit trail; no personal data); without it the request is filed as received, not verified")
	other := map[string]string{"access": "erasure", "erase": "access"}[kind]
	f.BoolVar(&both, "both", false, "file access and erasure together: the access package is built first, then the person is erased (the "+other+" part)")
	f.BoolVar(&wait, "wait", false, "run the request in this process until it ends, showing progress on a terminal")
	f.BoolVar(&asJSON, "json", false, "print the request as JSON")
	f.DurationVar(&timeout, "timeout", 0, "with --wait, give up waiting after this long (0: no limit; the request keeps its progress)")
	f.BoolVar(&fileNew, "new", false, "file a new request even if an open one of the same type exists for this person (by default the command attaches to it)")
	if kind == "erase" {
		f.BoolVar(&dryRun, "dry-run", false, "file nothing: show what the erasure would delete, keep and purge (searches and reads Intercom only)")
	}
	return cmd
}

// dryRunErasure prints what an erasure of ids under the law j would do,
// filing nothing.
func dryRunErasure(cmd *cobra.Command, a *app.App, j deadline.Jurisdiction, ids dsar.Identifiers, asJSON bool) error {
	if err := a.RequireIntercom(); err != nil {
		return err
	}
	p, err := a.DSAR.DryRunErasureUnder(cmd.Context(), j, ids)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), p)
	}
	printPlan(cmd.OutOrStdout(), p)
	return nil
}

// fileError words dsar.File's errors for the command line: an open request
// filed with other identifiers is a usage error (the operator decides), a
// request filed but not verified or not queued says what to do next.
func fileError(err error) error {
	var open *dsar.OpenRequestError
	var filed *dsar.FiledError
	switch {
	case errors.As(err, &open):
		r := open.Request
		return usagef("an open %s request for this person exists (%s, %s), filed with other identifiers: "+
			"let it finish (dsar show %s), cancel it, or give --new to file a separate request", r.Type, r.ID, r.State, r.ID)
	case errors.As(err, &filed) && filed.Stage == "verify":
		return fmt.Errorf("request %s filed but not verified (record it with 'dsar verify %s --verified-by HOW'): %w", filed.Request.ID, filed.Request.ID, filed.Err)
	case errors.As(err, &filed):
		return fmt.Errorf("request %s filed; queueing it failed (a worker queues it on start): %w", filed.Request.ID, filed.Err)
	}
	return err
}

// runInProcess runs the requests in ids in this process, one after the other, to
// their end (or until ctx ends), showing progress on w when w is a terminal and
// one line per step otherwise. It runs only these requests, never another queued
// one: each is run directly under its lease (dsar.Service.RunWith), while its
// River job stays queued for the workers, so a process killed here leaves the
// request to a worker, or to the same command run again, once the lease expires.
//
// A request held by another worker is waited for; a request left by a process that
// died is taken over when its lease expires (dsar.DefaultLeaseTTL). A paused request
// (Intercom refused the token or a permission) ends the wait with a *waitPausedError
// (exit code exitPaused) saying why and how to fix it; the workers keep retrying it.
// Other failures are retried here with a capped backoff, each reported once.
func runInProcess(ctx context.Context, a *app.App, ids []string, w io.Writer) error {
	if err := a.RequireIntercom(); err != nil {
		return err
	}
	defer a.StartCheckpointer(ctx)() // signs and witnesses the audit tail; last checkpoint on return
	p := newProgressPrinter(w)
	defer p.finish()
	for _, id := range ids {
		if err := runOneInProcess(ctx, a, id, p); err != nil {
			return err
		}
	}
	return nil
}

func runOneInProcess(ctx context.Context, a *app.App, id string, p *progressPrinter) error {
	backoff := time.Second
	lastNote := ""
	note := func(s string) {
		if s != lastNote {
			p.note(s)
			lastNote = s
		}
	}
	for attempt := 1; ; attempt++ {
		err := a.DSAR.RunWith(ctx, id, dsar.RunOptions{Progress: p.report})
		var paused *dsar.PausedError
		wait := backoff
		switch {
		case err == nil:
			r, err := a.DSAR.Get(ctx, id)
			if err != nil {
				return err
			}
			if dsar.Finished(r.State) {
				return nil
			}
			// not finished (should not happen): look again after the backoff
		case errors.As(err, &paused):
			pause, _, perr := a.DSAR.Paused(context.WithoutCancel(ctx), id)
			if perr != nil || pause.Reason == "" {
				pause = dsar.Pause{Reason: paused.Reason}
			}
			return &waitPausedError{id: id, pause: pause}
		case errors.Is(err, dsar.ErrAwaitingApproval):
			return fmt.Errorf("%s waits for a second privacy officer to approve it (erasure.approval): approve it with 'dsar approve %s' as someone other than its filer, or in the console; a worker then runs it", id, id)
		case errors.Is(err, dsar.ErrLeaseHeld):
			l, _ := a.DSAR.LeaseOf(ctx, id)
			until := l.Until.Sub(time.Now()).Round(time.Second)
			note(fmt.Sprintf("%s is claimed by worker %s (until %s, unless renewed): waiting; a claim left by a process that died is taken over when it expires",
				id, l.Owner, l.Until.Local().Format("15:04:05")))
			wait = min(max(until/2, time.Second), 10*time.Second)
		case ctx.Err() != nil:
			return fmt.Errorf("stopped waiting (%w); %s keeps its progress: run the same command again, or let a worker finish it", context.Cause(ctx), id)
		default:
			note(fmt.Sprintf("attempt %d of %s failed, retrying in %s: %v", attempt, id, backoff, err))
			backoff = min(backoff*2, 30*time.Second)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("stopped waiting (%w); %s keeps its progress: run the same command again, or let a worker finish it", context.Cause(ctx), id)
			case <-t.C:
			}
		}
	}
}

// waitPausedError ends `--wait` when the request is paused: the reason and the fix,
// and the exit code exitPaused. The request stays queued; the workers retry it.
type waitPausedError struct {
	id    string
	pause dsar.Pause
}

func (e *waitPausedError) Error() string {
	return fmt.Sprintf("request %s is paused (%s): %s; it is kept and a worker resumes it once that is fixed (or run the same command again)",
		e.id, e.pause.Reason, e.pause.Fix())
}

func (e *waitPausedError) ExitCode() int { return int(exitPaused) }

// progressPrinter shows run progress: one rewritten line on a terminal, one line
// per finished step otherwise.
type progressPrinter struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	dirty    bool
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w}
	if f, ok := w.(*os.File); ok {
		p.terminal = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progressPrinter) report(pr dsar.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		line := fmt.Sprintf("%s  %-22s %s", pr.RequestID, pr.Step, pr.State)
		if pr.Total > 0 {
			line = fmt.Sprintf("%s  %-22s %d/%d", pr.RequestID, pr.Step, pr.Done, pr.Total)
		}
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.dirty = true
		return
	}
	if pr.State == "done" {
		fmt.Fprintf(p.w, "%s  step %s done\n", pr.RequestID, pr.Step)
	}
}

func (p *progressPrinter) note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
	fmt.Fprintln(p.w, s)
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}

// ---- views ----

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printShow prints one request with its steps, deadline and outcome.
func printShow(ctx context.Context, w io.Writer, a *app.App, r store.Request) error {
	v, err := a.DSAR.ShowRequest(ctx, r)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "request\t%s\n", v.ID)
	fmt.Fprintf(tw, "type\t%s (%s, via %s)\n", v.Type, v.Jurisdiction, v.Channel)
	fmt.Fprintf(tw, "state\t%s\n", v.State)
	if v.Paused != "" {
		fmt.Fprintf(tw, "paused\t%s: %s\n", v.Paused, dsar.Pause{Reason: v.Paused}.Fix())
	}
	fmt.Fprintf(tw, "received\t%s\n", v.ReceivedAt.Format(time.RFC3339))
	if v.AckDueAt != nil {
		fmt.Fprintf(tw, "acknowledge by\t%s\n", v.AckDueAt.Format(time.RFC3339))
	}
	dueLine := v.Due().Format(time.RFC3339)
	if v.ExtendedDueAt != nil {
		dueLine += " (extended from " + v.DueAt.Format("2006-01-02") + ": " + v.ExtensionReason + ")"
	}
	if f := v.Flag(); f != "" {
		dueLine += "  " + f
	}
	fmt.Fprintf(tw, "due\t%s\n", dueLine)
	if v.CompletedAt != nil {
		fmt.Fprintf(tw, "finished\t%s\n", v.CompletedAt.Format(time.RFC3339))
	}
	if v.DenialReason != "" {
		fmt.Fprintf(tw, "denied\t%s\n", v.DenialReason)
	}
	if v.Agent != nil {
		line := fmt.Sprintf("filed by an authorised agent (CCPA §7063); signed permission %s, %s, %d bytes, uploaded %s", v.Agent.State, v.Agent.MediaType, v.Agent.Size, v.Agent.UploadedAt.Format(time.RFC3339))
		if v.Agent.DecidedAt != nil {
			line += fmt.Sprintf("; decided by %s at %s", v.Agent.DecidedBy, v.Agent.DecidedAt.Format(time.RFC3339))
		} else {
			line += fmt.Sprintf("; the work waits: 'dsar agent permission %s --out FILE', then 'dsar agent accept|refuse %s'", v.ID, v.ID)
		}
		fmt.Fprintf(tw, "agent\t%s\n", line)
	}
	for _, l := range rightsLines(ctx, a, r) {
		fmt.Fprintln(tw, l)
	}
	if len(v.EarlierRequests) > 0 {
		fmt.Fprintf(tw, "repeat\tthe same person filed %s within %d days before this one (GDPR Art. 12(5)): judge whether it is manifestly unfounded or excessive; to refuse, 'dsar deny %s --reason ...'\n",
			strings.Join(v.EarlierRequests, ", "), a.Config.Requests.RepeatWindowDays, v.ID)
	}
	tw.Flush()
	if len(v.Notices) > 0 {
		fmt.Fprintln(w, "\nrecipients told (GDPR Art. 19):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, n := range v.Notices {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.Recipient, n.Method, n.State, n.ID)
		}
		tw.Flush()
	}
	if len(v.Steps) > 0 {
		fmt.Fprintln(w, "\nsteps:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range v.Steps {
			fin := ""
			if s.FinishedAt != nil {
				fin = s.FinishedAt.Format("15:04:05")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, s.State, fin, countsOf(s.Detail))
		}
		tw.Flush()
	}
	if len(v.Outcome) > 0 {
		var o dsar.Outcome
		if json.Unmarshal(v.Outcome, &o) == nil {
			fmt.Fprintf(w, "\noutcome: %s\n", o.Result)
			fmt.Fprintf(w, "  %s\n", formatCounts(o.Counts))
			if len(o.Systems) > 0 {
				fmt.Fprintf(w, "  systems purged: %s\n", strings.Join(o.Systems, ", "))
			}
			if o.Result == "nothing_found" && len(o.Searched) > 0 {
				kinds := make([]string, 0, len(o.Searched))
				for k, n := range o.Searched {
					kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
				}
				slices.Sort(kinds)
				fmt.Fprintf(w, "  nothing found; identifiers searched: %s\n", strings.Join(kinds, ", "))
			}
			if o.EvidenceSHA256 != "" {
				fmt.Fprintf(w, "  verification evidence sha256: %s\n", o.EvidenceSHA256)
			}
			for _, k := range o.Kept {
				fmt.Fprintf(w, "  kept %s %s: %s\n", k.Object, k.ID, keptWhy(k))
			}
			for _, n := range o.Notices {
				if n.Text != "" {
					fmt.Fprintf(w, "  note: %s\n", n.Text)
				}
			}
			if o.Type != store.RequestAccess && slices.Contains(o.Systems, "intercom") {
				fmt.Fprintf(w, "  note: %s\n", dsar.RecoveryWindowNotice)
			}
		}
	}
	return nil
}

// countsOf renders the "counts" of a step's detail.
func countsOf(detail json.RawMessage) string {
	var d struct {
		Counts   map[string]int64 `json:"counts"`
		Contacts []json.RawMessage
		Skipped  string `json:"skipped"`
	}
	if json.Unmarshal(detail, &d) != nil {
		return ""
	}
	if d.Skipped != "" {
		return "skipped: " + d.Skipped
	}
	if d.Counts == nil && d.Contacts != nil {
		return fmt.Sprintf("contacts=%d", len(d.Contacts))
	}
	return formatCounts(d.Counts)
}

func formatCounts(c map[string]int64) string {
	keys := make([]string, 0, len(c))
	for k, v := range c {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.FormatInt(c[k], 10))
	}
	return strings.Join(parts, " ")
}

// parseReceived parses --received-at: empty means now (zero), a date means the
// start of that day in UTC, or an RFC 3339 time. It refuses the future.
func parseReceived(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return time.Time{}, fmt.Errorf("%s: use a date like 2026-01-31 or a time like 2026-01-31T09:30:00Z", shownArg(s))
		}
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the future", shownArg(s))
	}
	if t.Year() < 2000 {
		return time.Time{}, fmt.Errorf("%s is too far in the past", shownArg(s))
	}
	return t.UTC(), nil
}

// ---- list ----

func newDsarListCmd() *cobra.Command {
	var (
		af        appFlags
		states    []string
		types     []string
		dueWithin string
		asJSON    bool
		limit     int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List requests with their due dates, flagging those due soon or overdue",
		Long: `list prints each request's id, type, state, jurisdiction, receipt and due date
(the extended one if extended), and flags open requests that are due within seven
days ("due soon") or past their deadline ("OVERDUE").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if limit < 1 {
				return usagef("--limit %d: want at least 1 (the default is 1000)", limit)
			}
			f := store.RequestFilter{Limit: limit}
			for _, s := range states {
				st := store.RequestState(s)
				switch st {
				case store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress, store.StateCompleted, store.StateDenied, store.StateCancelled:
				default:
					return usagef("--state %s: use received, awaiting_approval, verified, in_progress, completed, denied or cancelled", shownArg(s))
				}
				f.States = append(f.States, st)
			}
			for _, s := range types {
				t := store.RequestType(s)
				if !slices.Contains(listTypes, t) {
					return usagef("--type %s: use access, erasure, access+erasure, correction, restriction, lift_restriction, objection or appeal", shownArg(s))
				}
				f.Types = append(f.Types, t)
			}
			if dueWithin != "" {
				d, err := parseDays(dueWithin)
				if err != nil {
					return usagef("--due-within: %w", err)
				}
				f.DueBefore = time.Now().Add(d)
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			ls, err := a.DSAR.List(ctx, f)
			if err != nil {
				return err
			}
			views := make([]dsar.View, 0, len(ls))
			for _, l := range ls {
				views = append(views, a.DSAR.ViewOf(l.Request))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, views)
			}
			if len(views) == 0 {
				fmt.Fprintln(out, "no requests")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSTATE\tLAW\tRECEIVED\tDUE\t")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Type, v.State, v.Jurisdiction,
					v.ReceivedAt.Format("2006-01-02"), v.Due().Format("2006-01-02"), v.Flag())
			}
			return tw.Flush()
		},
	}
	af.add(cmd)
	cmd.Flags().StringArrayVar(&states, "state", nil, "only requests in this state (repeatable): received, awaiting_approval, verified, in_progress, completed, denied, cancelled")
	cmd.Flags().StringArrayVar(&types, "type", nil, "only requests of this type (repeatable): access, erasure, access+erasure, correction, restriction, lift_restriction, objection, appeal")
	cmd.Flags().StringVar(&dueWithin, "due-within", "", "only requests due within this long, e.g. 7d or 72h")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many requests")
	return cmd
}

// listTypes are the request types `dsar list --type` accepts.
var listTypes = []store.RequestType{store.RequestAccess, store.RequestErasure, store.RequestAccessErasure, store.RequestCorrection,
	store.RequestRestriction, store.RequestLiftRestriction, store.RequestObjection, store.RequestAppeal}

// parseDays parses a Go duration or a number of days ("7d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > 3650 {
			return 0, fmt.Errorf("%s: use a number of days like 7d (at most 3650d), or a duration like 72h", shownArg(s))
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: use a number of days like 7d (at most 3650d), or a duration like 72h", shownArg(s))
	}
	return d, nil
}

// ---- show / extend / deny / cancel ----

func newDsarShowCmd() *cobra.Command {
	var (
		af     appFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a request: its steps, deadline and outcome",
		Long: `show prints a request's state, deadline, steps (with counts and Intercom ids) and
outcome. It never prints the identifiers the request was filed with.`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := a.DSAR.Get(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				v, err := a.DSAR.ShowRequest(ctx, r)
				if err != nil {
					return err
				}
				return writeJSON(cmd.OutOrStdout(), v)
			}
			return printShow(ctx, cmd.OutOrStdout(), a, r)
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// changeCmd builds a sub-command that changes one request and prints it.
func changeCmd(use, short, long string, flags func(*cobra.Command), run func(ctx context.Context, a *app.App, id string) (store.Request, error)) *cobra.Command {
	var (
		af     appFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := run(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), a.DSAR.ViewOf(r))
			}
			v := a.DSAR.ViewOf(r)
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, due %s\n", r.ID, r.State, v.Due().Format("2006-01-02"))
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the request as JSON")
	if flags != nil {
		flags(cmd)
	}
	return cmd
}

func newDsarExtendCmd() *cobra.Command {
	var (
		reason string
		by     int
	)
	return changeCmd("extend ID --reason R", "Extend a request's deadline once, with the reason given to the person",
		`extend applies the single extension the law allows, only before the original
due date: GDPR and UK GDPR up to two further months (--by 1 or 2); CCPA and the US
state laws up to 45 more days; PIPEDA up to 30 more days; LGPD allows none. The
reason is recorded and must be told to the person; it must not contain personal
data.`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "why the request needs more time (required; told to the person)")
			cmd.Flags().IntVar(&by, "by", 0, "months (GDPR, UK GDPR) or days (the others); default: the most the law allows")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if strings.TrimSpace(reason) == "" {
				return store.Request{}, usagef("--reason is required: the person must be told why")
			}
			// dsar stores the extension reason with the request and does not
			// check it: hold it to the audit trail's rule here.
			if err := checkAuditText("--reason", audit.FieldReason, reason); err != nil {
				return store.Request{}, err
			}
			return a.DSAR.Extend(ctx, id, by, reason)
		})
}

func newDsarDenyCmd() *cobra.Command {
	var (
		reason   string
		accurate bool
	)
	return changeCmd("deny ID (--reason R | --correction-accurate)", "Deny a request with its legal basis",
		`deny ends a request with a reason, the legal basis (for example "GDPR Art.
12(5) manifestly unfounded"), recorded as the CCPA §7101 denial reason. The reason
must not contain personal data. --correction-accurate refuses a correction because
the contested information is more likely than not accurate (CCPA Regulations
§7023(b)), with that reason.`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "the legal basis of the denial (required unless --correction-accurate)")
			cmd.Flags().BoolVar(&accurate, "correction-accurate", false, "refuse a correction as more likely inaccurate (CCPA 7023(b))")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if accurate {
				if reason != "" {
					return store.Request{}, usagef("give --reason or --correction-accurate, not both")
				}
				return a.DSAR.DenyCorrection(ctx, id)
			}
			if reason != "" {
				if err := checkAuditText("--reason", audit.FieldDenialReason, reason); err != nil {
					return store.Request{}, err
				}
			}
			return a.DSAR.Deny(ctx, id, reason)
		})
}

func newDsarApproveCmd() *cobra.Command {
	return changeCmd("approve ID", "Approve an erasure waiting for a second person (four eyes)",
		`approve lets an erasure that waits for approval (erasure.approval; by default
every erasure filed through the console or the API) start: it becomes verified
and is queued for a worker. The person who filed it cannot approve it. Nothing
is deleted in Intercom before the approval, which is in the audit trail.`, nil,
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			r, err := a.DSAR.Approve(ctx, id)
			var filed *dsar.FiledError
			if errors.As(err, &filed) {
				return r, fmt.Errorf("request %s approved; queueing it failed (a worker queues it on start): %w", id, filed.Err)
			}
			return r, err
		})
}

func newDsarRejectCmd() *cobra.Command {
	var reason string
	return changeCmd("reject ID --reason R", "Refuse to approve an erasure waiting for approval (back to received)",
		`reject sends an erasure waiting for approval back to received, with the reason in
the audit trail (no personal data), for the team to correct and verify again,
deny or cancel. The person who filed it cannot reject it (cancel withdraws it).`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "why the erasure is not approved (required; no personal data)")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if err := checkAuditText("--reason", audit.FieldReason, reason); err != nil {
				return store.Request{}, err
			}
			return a.DSAR.Reject(ctx, id, reason)
		})
}

func newDsarCancelCmd() *cobra.Command {
	return changeCmd("cancel ID", "Cancel a request the person withdrew (before work started)",
		`cancel withdraws a request that is received or verified; a request already in
progress cannot be cancelled (an erasure half-done must finish).`, nil,
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			return a.DSAR.Cancel(ctx, id)
		})
}

// ---- package ----

// newDsarPackageCmd builds `dsar package ID --out FILE`.
func newDsarPackageCmd() *cobra.Command {
	var (
		af      appFlags
		outPath string
		force   bool
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "package ID --out FILE",
		Short: "Write a request's access package (a zip) to a file",
		Long: `package decrypts a request's access package and writes it to FILE (mode 0600),
for delivery to the person through a secure channel. The download is recorded in
the audit trail. A package is kept only until it expires (7 days by default);
after that, run the access request again.`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			if outPath == "" {
				return usagef("--out FILE is required (the package holds personal data: it is never written to standard output)")
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			var info dsar.PackageInfo
			err = writeOutFile("--out", outPath, force, func(w io.Writer) error {
				var err error
				info, err = a.DSAR.WritePackage(ctx, args[0], w)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d bytes, sha256 %s, expires %s\n", outPath, info.Size, info.SHA256, info.ExpiresAt.Format(time.RFC3339))
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVar(&outPath, "out", "", "file to write the zip to (required; created with mode 0600)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the package's description as JSON")
	return cmd
}
