package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The rights beyond access and erasure (#12): `dsar correct`, `dsar restrict`,
// `dsar unrestrict`, `dsar object` (alias opt-out), `dsar appeal` and
// `dsar decide`. Each parses and prints; package dsar does the work.

func rightsCommands() []*cobra.Command {
	return []*cobra.Command{newDsarRightCmd("correct"), newDsarRightCmd("restrict"), newDsarRightCmd("object"),
		newDsarUnrestrictCmd(), newDsarAppealCmd(), newDsarDecideCmd()}
}

// rightKinds describe the filing commands of this file.
var rightKinds = map[string]struct {
	typ         store.RequestType
	short, long string
	aliases     []string
}{
	"correct": {store.RequestCorrection, "File a correction (GDPR Art. 16, CCPA right to correct): set fields of the person's contacts in Intercom",
		`The fields are given as --set KEY=VALUE (repeatable): name, email, phone or
custom_attributes.NAME (a custom attribute defined in the workspace and writable
through the API, with a value of its type). An empty VALUE clears the field.

Before filing, the change is shown field by field for every contact the person
has, with the value each holds now: on this terminal only, never in the record
(which keeps the field names changed, not the values). --dry-run shows it and
files nothing.

The request updates every contact of the person through PUT /contacts/{id},
reads each again to verify, refreshes this tool's copy, and tells the recipients
of the data (recipients: in the configuration). A contact already holding the new
values is not written again. Under the CCPA a correction that is more likely
inaccurate may be refused: 'dsar deny ID --correction-accurate'.`, nil},
	"restrict": {store.RequestRestriction, "File a restriction of processing (GDPR Art. 18): mark the person in Intercom and here",
		`The person's contacts get the tag rights.restriction_tag (when configured), are
unsubscribed from emails and opted out of rights.marketing_subscriptions; this
tool records the restriction: the sync and the webhooks stop updating the
person's copy, exports leave the person out, and every later request of the
person shows the restriction. The recipients of the data are told.

Lift it with 'dsar unrestrict ID' (a recorded request of its own).`, nil},
	"object": {store.RequestObjection, "File an objection or opt-out (GDPR Art. 21; CCPA opt-out of sale/sharing, limit of sensitive data; marketing)",
		`--scope says what the person objects to (comma-separated or repeated):
  marketing     unsubscribed from emails and rights.marketing_subscriptions,
                tagged rights.objection_tag when set (GDPR Art. 21(2))
  sale_sharing  tagged rights.do_not_sell_tag (CCPA §1798.120, US state opt-outs)
  sensitive     tagged rights.do_not_sell_tag (CCPA §1798.121)
  processing    tagged rights.objection_tag (GDPR Art. 21(1)) for you to weigh

Under the CCPA an opt-out is complied with within 15 business days and needs no
identity verification beyond what is reasonable: --verified-by records how
(default "not required (opt-out)"). The person is left out of exports.`, []string{"opt-out"}},
}

// newDsarRightCmd builds `dsar correct`, `dsar restrict` and `dsar object`.
func newDsarRightCmd(kind string) *cobra.Command {
	k := rightKinds[kind]
	var (
		af                                    appFlags
		emails, phones, externalIDs, contacts []string
		sets, scopes                          []string
		jurisdiction, channel, verifiedBy     string
		receivedAt                            string
		wait, asJSON, fileNew, dryRun         bool
		timeout                               time.Duration
	)
	usage := kind + " (--email E | --phone P | --external-id X | --contact-id ID)..."
	switch kind {
	case "correct":
		usage += " --set KEY=VALUE..."
	case "object":
		usage += " --scope S[,S]"
	}
	cmd := &cobra.Command{
		Use: usage, Short: k.short, Aliases: k.aliases,
		Long: k.short + ".\n\n" + k.long + `

Requests run as durable jobs ('intercom-privacy worker'), or in this process with
--wait; a request resumes where it stopped after a crash and never repeats a
change Intercom made. Running the same command again attaches to the open
request of the same type for the same person (--new files another).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			j, err := deadline.ParseJurisdiction(jurisdiction)
			if err != nil {
				return usagef("--jurisdiction: %w", err)
			}
			if err := checkAuditText("--verified-by", audit.FieldReason, verifiedBy); err != nil {
				return err
			}
			received, err := parseReceived(receivedAt, time.Now())
			if err != nil {
				return usagef("--received-at: %w", err)
			}
			if timeout < 0 {
				return usagef("--timeout %v: want 0 (no limit) or a positive duration", timeout)
			}
			var payload dsar.Payload
			switch kind {
			case "correct":
				if payload.Set, err = dsar.ParseSets(sets); err != nil {
					return usagef("--set: %w", err)
				}
			case "object":
				if payload.Scope, err = dsar.ParseScope(scopes); err != nil {
					return usagef("--scope: %w", err)
				}
			}
			ids := dsar.Identifiers{Emails: emails, Phones: phones, ExternalIDs: externalIDs, ContactIDs: contacts}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			out := cmd.OutOrStdout()
			if kind == "correct" && a.Intercom != nil {
				changes, err := a.DSAR.PreviewCorrection(ctx, ids, payload.Set)
				if err != nil {
					return err
				}
				if !asJSON {
					printChanges(out, changes)
				}
			} else if dryRun {
				return a.RequireIntercom()
			}
			if dryRun {
				fmt.Fprintln(out, "dry run: nothing filed")
				return nil
			}
			if wait {
				if err := a.RequireIntercom(); err != nil {
					return err
				}
			}
			r, attached, err := a.DSAR.File(ctx, dsar.Filing{
				Submission: dsar.Submission{Type: k.typ, Jurisdiction: j, Channel: channel, ReceivedAt: received,
					Identifiers: ids, Payload: payload},
				VerifiedBy: verifiedBy, New: fileNew,
			})
			if err != nil {
				return fileError(err)
			}
			if attached && !asJSON {
				fmt.Fprintf(cmd.ErrOrStderr(), "an open %s request for this person exists: %s (%s); carrying on with it (--new files a separate one)\n", r.Type, r.ID, r.State)
			}
			return showOrWait(ctx, cmd, a, r, wait, asJSON, timeout)
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&emails, "email", nil, "the person's email address (repeatable)")
	f.StringArrayVar(&phones, "phone", nil, "the person's phone number (repeatable)")
	f.StringArrayVar(&externalIDs, "external-id", nil, "the person's external id (repeatable)")
	f.StringArrayVar(&contacts, "contact-id", nil, "an Intercom contact id (repeatable)")
	switch kind {
	case "correct":
		f.StringArrayVar(&sets, "set", nil, "a field and its new value, KEY=VALUE: name, email, phone or custom_attributes.NAME (repeatable; an empty VALUE clears the field)")
		f.BoolVar(&dryRun, "dry-run", false, "show the change field by field and file nothing")
	case "object":
		f.StringArrayVar(&scopes, "scope", nil, "what the person objects to or opts out of: marketing, sale_sharing, sensitive, processing (comma-separated or repeated)")
	}
	defVerified := "operator"
	if kind == "object" {
		defVerified = "not required (opt-out)"
	}
	f.StringVar(&jurisdiction, "jurisdiction", "gdpr", "the law whose clock applies (as for 'dsar access')")
	f.StringVar(&channel, "channel", "email", "how the request was made: email, web_form, api, intercom_ticket, intercom_conversation, phone, mail, in_person, cli")
	f.StringVar(&receivedAt, "received-at", "", "when the request reached you, if not now: 2006-01-02 or RFC 3339")
	f.StringVar(&verifiedBy, "verified-by", defVerified, "how the requester's identity was verified (recorded; no personal data)")
	f.BoolVar(&wait, "wait", false, "run the request in this process until it ends")
	f.BoolVar(&asJSON, "json", false, "print the request as JSON (without the values shown before filing)")
	f.DurationVar(&timeout, "timeout", 0, "with --wait, give up waiting after this long (0: no limit)")
	f.BoolVar(&fileNew, "new", false, "file a new request even if an open one of the same type exists for this person")
	return cmd
}

// printChanges shows a correction field by field, with the values the contacts
// hold now: to the operator's terminal only.
func printChanges(w io.Writer, changes []dsar.FieldChange) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "no contact holds a value that differs from the correction (it will be recorded, nothing written)")
		return
	}
	fmt.Fprintln(w, "the correction changes (shown here only; the record keeps field names):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range changes {
		fmt.Fprintf(tw, "  %s\t%s\t%q\t->\t%q\n", c.ContactID, c.Field, c.Old, c.New)
	}
	tw.Flush()
}

// showOrWait prints a filed (verified and queued) request, or runs it here
// (--wait) and shows how it ended.
func showOrWait(ctx context.Context, cmd *cobra.Command, a *app.App, r store.Request, wait, asJSON bool, timeout time.Duration) error {
	var err error
	out := cmd.OutOrStdout()
	if !wait {
		if asJSON {
			return writeJSON(out, a.DSAR.ViewOf(r))
		}
		fmt.Fprintf(out, "filed %s: %s, %s, due %s\n", r.ID, r.Type, r.Jurisdiction, r.DueAt.Format("2006-01-02"))
		fmt.Fprintln(out, "queued: run `intercom-privacy worker` to process it, or give --wait")
		return nil
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := runInProcess(ctx, a, []string{r.ID}, cmd.ErrOrStderr()); err != nil {
		return err
	}
	if r, err = a.DSAR.Get(ctx, r.ID); err != nil {
		return err
	}
	if asJSON {
		v, err := a.DSAR.ShowRequest(ctx, r)
		if err != nil {
			return err
		}
		return writeJSON(out, v)
	}
	return printShow(ctx, out, a, r)
}

// newDsarUnrestrictCmd builds `dsar unrestrict ID`.
func newDsarUnrestrictCmd() *cobra.Command {
	var (
		af              appFlags
		channel, reason string
		wait, asJSON    bool
		timeout         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "unrestrict RESTRICTION-ID",
		Short: "Lift a restriction of processing (GDPR Art. 18(3)): a recorded request of its own",
		Long: `unrestrict files the lifting of a completed restriction as a request linked to
it: its tag comes off the contacts it marked and the email opt-out it set is
cleared (subscription opt-outs stay: opting the person back in would record a
consent they never gave), and the local restriction ends, so the sync, the
webhooks and the exports include the person again. GDPR Art. 18(3): tell the
person before the restriction is lifted. --reason records why (no personal data).`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkAuditText("--reason", audit.FieldReason, reason); err != nil {
				return err
			}
			if timeout < 0 {
				return usagef("--timeout %v: want 0 (no limit) or a positive duration", timeout)
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := a.DSAR.LiftRestriction(ctx, args[0], channel)
			if err != nil {
				return err
			}
			if r, err = a.DSAR.Verify(ctx, r.ID, "lifted by the operator: "+reason); err != nil {
				return fmt.Errorf("lifting %s filed but not verified (record it with 'dsar verify %s --verified-by HOW'): %w", r.ID, r.ID, err)
			}
			if a.DSAR.Enqueue != nil {
				if err := a.DSAR.Enqueue(ctx, r.ID); err != nil {
					return fmt.Errorf("lifting %s filed; queueing it failed (a worker queues it on start): %w", r.ID, err)
				}
			}
			return showOrWait(ctx, cmd, a, r, wait, asJSON, timeout)
		},
	}
	af.add(cmd)
	f := cmd.Flags()
	f.StringVar(&channel, "channel", "cli", "how the lifting was decided or asked for")
	f.StringVar(&reason, "reason", "restriction ground ended", "why the restriction is lifted (recorded; no personal data)")
	f.BoolVar(&wait, "wait", false, "run the lifting in this process until it ends")
	f.BoolVar(&asJSON, "json", false, "print the request as JSON")
	f.DurationVar(&timeout, "timeout", 0, "with --wait, give up waiting after this long (0: no limit)")
	return cmd
}

// newDsarAppealCmd builds `dsar appeal ID`.
func newDsarAppealCmd() *cobra.Command {
	var (
		af                  appFlags
		channel, receivedAt string
		asJSON              bool
	)
	cmd := &cobra.Command{
		Use:   "appeal ID",
		Short: "File the person's appeal of the answer to a request (US state laws)",
		Long: `appeal files an appeal of a completed or denied request, linked to it, under the
same law, due within the law's appeal period (e.g. Virginia 60 days, Colorado 45
+60). Laws without an appeal process (GDPR, UK GDPR, CCPA, Utah, LGPD, PIPEDA)
refuse it and name the authority the person may complain to instead. Decide it
with 'dsar decide APPEAL-ID --uphold|--reverse --reason R'.`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			received, err := parseReceived(receivedAt, time.Now())
			if err != nil {
				return usagef("--received-at: %w", err)
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := a.DSAR.Appeal(ctx, args[0], channel, received)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), a.DSAR.ViewOf(r))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "filed appeal %s of %s (%s), due %s; decide it with 'dsar decide %s --uphold|--reverse --reason R'\n",
				r.ID, r.LinkedRequestID, r.Jurisdiction, r.DueAt.Format("2006-01-02"), r.ID)
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVar(&channel, "channel", "email", "how the appeal was made")
	cmd.Flags().StringVar(&receivedAt, "received-at", "", "when the appeal reached you, if not now: 2006-01-02 or RFC 3339")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the appeal as JSON")
	return cmd
}

// newDsarDecideCmd builds `dsar decide APPEAL-ID`.
func newDsarDecideCmd() *cobra.Command {
	var (
		uphold, reverse bool
		reason          string
	)
	return changeCmd("decide APPEAL-ID (--uphold | --reverse) --reason R", "Record the decision on an appeal, with its reason",
		`decide completes an appeal: --uphold keeps the original decision, --reverse
grants the appeal (then file the request again, or do what was refused). The
reason is shown to the person and must not contain personal data. The answer
names the authority the person may contact (for the US states, the Attorney
General); 'dsar show APPEAL-ID' prints it.`,
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&uphold, "uphold", false, "the original decision stands")
			cmd.Flags().BoolVar(&reverse, "reverse", false, "the appeal is granted")
			cmd.Flags().StringVar(&reason, "reason", "", "the reason for the decision (required; shown to the person)")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if uphold == reverse {
				return store.Request{}, usagef("give exactly one of --uphold and --reverse")
			}
			if err := checkAuditText("--reason", audit.FieldReason, reason); err != nil {
				return store.Request{}, err
			}
			decision := dsar.AppealUpheld
			if reverse {
				decision = dsar.AppealReversed
			}
			return a.DSAR.DecideAppeal(ctx, id, decision, reason)
		})
}

// rightsLines are the lines `dsar show` adds for the rights of #12: the
// restrictions and objections in force for the person, the request a linked
// one is about, and an appeal's decision with the authority.
func rightsLines(ctx context.Context, a *app.App, r store.Request) []string {
	var out []string
	if r.LinkedRequestID != "" {
		out = append(out, fmt.Sprintf("about\t%s", r.LinkedRequestID))
	}
	if ls, err := a.DSAR.Limits(ctx, r); err == nil {
		for _, l := range ls {
			if l.Kind == store.LimitRestriction {
				out = append(out, fmt.Sprintf("RESTRICTED\tprocessing restricted since %s by %s (GDPR Art. 18): store only", l.Since.Format("2006-01-02"), l.RequestID))
			} else {
				out = append(out, fmt.Sprintf("objection\t%s since %s by %s", strings.ReplaceAll(l.Scope, ",", ", "), l.Since.Format("2006-01-02"), l.RequestID))
			}
		}
	}
	if r.Type == store.RequestAppeal && len(r.Outcome) > 0 {
		var o dsar.AppealOutcome
		if json.Unmarshal(r.Outcome, &o) == nil {
			out = append(out, "decision	"+o.Decision+": "+o.Reason, "authority	"+o.Complaint)
		}
	}
	if r.Type == store.RequestCorrection && r.State == store.StateCompleted {
		if steps, err := a.Store.Steps(ctx, r.ID); err == nil {
			if fs := dsar.ChangedFields(steps); len(fs) > 0 {
				out = append(out, "corrected\t"+strings.Join(fs, ", "))
			}
		}
	}
	return out
}
