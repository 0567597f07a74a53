package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// newDsarVerifyCmd builds `dsar verify ID`: record the requester's identity as
// verified for a request left "received" (a process stopped between filing
// and verifying, or an earlier --verified-by was refused), and queue it.
func newDsarVerifyCmd() *cobra.Command {
	var verifiedBy string
	return changeCmd("verify ID --verified-by HOW", "Record the requester's identity as verified (or raise a low-level verification), and queue it",
		`verify records how the requester's identity was verified for a request that is
still "received", and queues it for a worker. 'dsar access' and 'dsar erase' do
this when they file a request; use verify when filing stopped before it (the
command was killed, or the database was unavailable at that moment).

How it was verified is recorded in the audit trail: it must not contain personal
data (no names, e-mail addresses or numbers).

The method sets the verification level (CCPA Regs §7062): a method that is the
e-mail link or code alone ("email_link", "email code") is a reasonable degree
of certainty (low); any other method you state (a second data point checked
against Intercom, a code sent to the contact's phone, a signed declaration) is
your check by hand, a reasonably high degree (high). Under CCPA an access
request at the low level gets the categories of data only (§7024). Run verify
on a request the public form verified at the low level to raise it to high.`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&verifiedBy, "verified-by", "", "how the requester's identity was verified (required; recorded in the audit trail; no personal data)")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if verifiedBy == "" {
				return store.Request{}, usagef("--verified-by is required: say how the identity was verified")
			}
			if err := checkAuditText("--verified-by", audit.FieldReason, verifiedBy); err != nil {
				return store.Request{}, err
			}
			r, err := a.DSAR.Verify(ctx, id, verifiedBy)
			if err != nil {
				return r, err
			}
			if err := a.Enqueue(ctx, r.ID); err != nil {
				return r, fmt.Errorf("request %s verified; queueing it failed (a worker queues it on start): %w", r.ID, err)
			}
			return r, nil
		})
}
