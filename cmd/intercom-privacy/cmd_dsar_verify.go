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
	return changeCmd("verify ID --verified-by HOW", "Record the requester's identity as verified for a request still received, and queue it",
		`verify records how the requester's identity was verified for a request that is
still "received", and queues it for a worker. 'dsar access' and 'dsar erase' do
this when they file a request; use verify when filing stopped before it (the
command was killed, or the database was unavailable at that moment).

How it was verified is recorded in the audit trail: it must not contain personal
data (no names, e-mail addresses or numbers).`,
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
