package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/notice"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The workers (`worker`, `serve`) send the due webhook notices every minute.
func init() {
	register(newNoticesCmd)
	registerWorkerHook(func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
		return notice.RegisterPeriodic(workers, a.Notices)
	})
}

// printNotices prints ns; mailOn says whether a mail server is configured
// (email notices go by mail), and message finds an email notice's outbox row.
func printNotices(w io.Writer, ns []store.RecipientNotice, mailOn bool, message func(store.RecipientNotice) (store.OutboxMessage, bool)) {
	if len(ns) == 0 {
		fmt.Fprintln(w, "no notices")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREQUEST\tRECIPIENT\tEVENT\tMETHOD\tSTATE\tATTEMPTS\tNOTE")
	for _, n := range ns {
		note := n.LastError
		switch n.State {
		case store.NoticeManual:
			note = "tell the recipient, then: notices done " + n.ID
			if n.Method == "email" {
				note = "email the address in the registry, then: notices done " + n.ID
				if !mailOn {
					note = "no mail server configured (INTERCOM_PRIVACY_SMTP_URL): " + note
				}
			}
		case store.NoticeQueued, store.NoticeSent, store.NoticeFailed:
			if m, ok := message(n); ok {
				note = "mail " + m.ID + " " + string(m.State)
				if m.LastError != "" {
					note += ": " + m.LastError
				}
				if n.State == store.NoticeQueued && !mailOn {
					note += " (no mail server configured: it leaves once one is)"
				}
			}
		case store.NoticeWaived:
			note = n.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", n.ID, n.RequestID, n.Recipient, n.Event, n.Method, n.State, n.Attempts, note)
	}
	tw.Flush()
}

// newNoticesCmd builds `intercom-privacy notices`.
func newNoticesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notices",
		Short: "The notices owed to the recipients of the data after an erasure (GDPR Art. 19, CCPA 7022(b))",
		Long: `When an erasure completes, every recipient in the configuration's registry that is
told of erasures gets a notice: webhook recipients are sent a signed POST by the workers
(retried with backoff; 'failed' after about 72 hours); email recipients are sent a message
through the mail outbox when a mail server is configured (state 'queued' until the server
accepts it, then 'sent'; the note names the message), and otherwise become, like manual
recipients, tasks an operator ticks off with 'notices done'. A notice that is impossible to give or
would need disproportionate effort is recorded with 'notices waive ID --reason R'. Every
outcome is an audit record; notices hold the request id and the recipient's configured
name, never the person's data.`,
	}
	var (
		af        appFlags
		requestID string
		open      bool
		asJSON    bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List notices: of one request, or the open ones (pending, queued, manual, failed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if requestID != "" {
				if err := checkRequestID(requestID); err != nil {
					return err
				}
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			var ns []store.RecipientNotice
			switch {
			case requestID != "":
				ns, err = a.Store.NoticesByRequest(ctx, requestID)
			case open:
				ns, err = a.Store.NoticesInState(ctx, 1000, store.NoticePending, store.NoticeQueued, store.NoticeManual, store.NoticeFailed)
			default:
				ns, err = a.Store.NoticesInState(ctx, 1000, store.NoticePending, store.NoticeQueued, store.NoticeManual, store.NoticeFailed,
					store.NoticeSent, store.NoticeDone, store.NoticeWaived)
			}
			if err != nil {
				return err
			}
			if asJSON {
				vs := make([]dsar.NoticeView, len(ns))
				for i, n := range ns {
					vs[i] = dsar.NoticeViewOf(n)
					if m, ok, err := notice.Message(ctx, a.Store, n); err == nil && ok {
						vs[i].MessageID, vs[i].MessageState = m.ID, string(m.State)
					}
				}
				return writeJSON(cmd.OutOrStdout(), vs)
			}
			printNotices(cmd.OutOrStdout(), ns, a.Mail != nil, func(n store.RecipientNotice) (store.OutboxMessage, bool) {
				m, ok, err := notice.Message(ctx, a.Store, n)
				return m, ok && err == nil
			})
			return nil
		},
	}
	af.add(list)
	list.Flags().StringVar(&requestID, "request", "", "only the notices of this request")
	list.Flags().BoolVar(&open, "open", false, "only the notices still waiting for something (pending, queued, manual, failed)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	settle := func(use, short string, act func(ctx context.Context, a *app.App, id string) (store.RecipientNotice, error), flags func(*cobra.Command)) *cobra.Command {
		var af appFlags
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id := args[0]
				if !strings.HasPrefix(id, "ntc_") || len(id) > 64 {
					return errors.New("not a notice id (like ntc_0123abcd...; see 'intercom-privacy notices list')")
				}
				ctx := cmd.Context()
				a, err := af.open(ctx, cliActor())
				if err != nil {
					return err
				}
				defer a.Close()
				n, err := act(ctx, a, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "notice %s to %s: %s\n", n.ID, n.Recipient, n.State)
				return nil
			},
		}
		af.add(c)
		if flags != nil {
			flags(c)
		}
		return c
	}
	var reason string
	cmd.AddCommand(list,
		settle("done ID", "Record that an operator told the recipient", func(ctx context.Context, a *app.App, id string) (store.RecipientNotice, error) {
			return a.Notices.Done(ctx, id)
		}, nil),
		settle("waive ID --reason R", "Record that telling the recipient is impossible or disproportionate (GDPR Art. 19)", func(ctx context.Context, a *app.App, id string) (store.RecipientNotice, error) {
			return a.Notices.Waive(ctx, id, reason)
		}, func(c *cobra.Command) {
			c.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit trail; no personal data)")
		}),
		settle("retry ID", "Queue a failed webhook or email notice again", func(ctx context.Context, a *app.App, id string) (store.RecipientNotice, error) {
			return a.Notices.Retry(ctx, id)
		}, nil),
	)
	var sendAF appFlags
	send := &cobra.Command{
		Use:   "send",
		Short: "Send the due webhook notices once (the workers do it every minute; for cron deployments)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := sendAF.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			var total notice.SendResult
			for {
				r, err := a.Notices.SendDue(ctx, 100)
				total.Sent, total.Retrying, total.Failed = total.Sent+r.Sent, total.Retrying+r.Retrying, total.Failed+r.Failed
				if err != nil {
					return err
				}
				if r.Sent+r.Retrying+r.Failed < 100 {
					break
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d sent, %d to retry, %d failed\n", total.Sent, total.Retrying, total.Failed)
			return nil
		},
	}
	sendAF.add(send)
	cmd.AddCommand(send)
	return cmd
}
