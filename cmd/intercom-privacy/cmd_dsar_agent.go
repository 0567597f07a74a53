package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// newDsarAgentCmd builds `dsar agent`: the signed permission of an
// authorised agent (CCPA Regs §7063) who filed a request on the public form.
func newDsarAgentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Review the signed permission of an authorised agent who filed a request (CCPA §7063)",
		Long: `A request filed on the public form by an authorised agent carries the permission
the person signed. The person still confirms the request from their own address;
the work waits until the permission is accepted. 'dsar show' says the request
came from an agent and where the permission stands.`,
	}
	var note string
	accept := changeCmd("accept ID", "Accept the agent's signed permission (the work goes on)",
		`accept records that the permission shows the person authorised the agent; the
request's work starts (it waited for this). The decision is in the audit trail.`, nil,
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			r, err := a.DSAR.DecideAgent(ctx, id, true, "")
			var filed *dsar.FiledError
			if errors.As(err, &filed) {
				return r, fmt.Errorf("permission of %s accepted; queueing the request failed (a worker queues it on start): %w", id, filed.Err)
			}
			return r, err
		})
	refuse := changeCmd("refuse ID [--note TEXT]", "Refuse the agent's signed permission (the request is denied, §7063 letter)",
		`refuse records that the permission does not show the person authorised the
agent: the request is denied, and the person is told why (CCPA Regs §7063(a))
and that they can make the request themselves.`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&note, "note", "", "a sentence added to the denial letter (no personal data)")
		},
		func(ctx context.Context, a *app.App, id string) (store.Request, error) {
			if err := checkAuditText("--note", audit.FieldDenialReason, note); err != nil {
				return store.Request{}, err
			}
			return a.DSAR.DecideAgent(ctx, id, false, note)
		})
	cmd.AddCommand(accept, refuse, newDsarAgentPermissionCmd())
	return cmd
}

func newDsarAgentPermissionCmd() *cobra.Command {
	var (
		af  appFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "permission ID --out FILE",
		Short: "Write the agent's signed permission to a file (audited)",
		Long: `permission decrypts the signed permission an authorised agent uploaded and
writes it to FILE (created, mode 0600; an existing file is not replaced). The
download is recorded in the audit trail.`,
		Args: requestIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("--out FILE is required")}
			}
			ctx := cmd.Context()
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			mt, doc, err := a.DSAR.AgentDocument(ctx, args[0])
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := f.Write(doc); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %d bytes)\n", out, mt, len(doc))
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	return cmd
}
