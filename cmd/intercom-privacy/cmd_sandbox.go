package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

func init() { register(newSandboxCmd) }

func newSandboxCmd() *cobra.Command {
	var (
		addr              string
		opts              sandbox.Options
		dropRate          float64
		export, exportFmt string
		fixtures          string
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve an imitation Intercom workspace for development, tests and demos",
		Long: `sandbox generates a deterministic Intercom workspace (contacts, conversations with
personal data in free text, tickets, notes, events) and serves Intercom's REST API for it.

The first two lines of standard output are INTERCOM_API_URL=... and
INTERCOM_ACCESS_TOKEN=..., so a shell can pick them up while it keeps serving:

  intercom-privacy sandbox --contacts 1000 > sandbox.env &
  sleep 1; eval "$(head -n 2 sandbox.env)"; export INTERCOM_API_URL INTERCOM_ACCESS_TOKEN

It then serves until interrupted. All the data is synthetic. A summary goes to
standard error.

--fixtures FILE adds the objects of a JSON file to the generated workspace: custom
attribute definitions, contacts (users and leads, with custom attributes, tags, notes,
events) and conversations, for trying a particular case (a contact whose custom
attributes hold a password, a lead sharing a user's email, a conversation with a card
number). See sandbox/testdata/fixtures.json. A file that does not fit is refused with
the entry at fault named.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.DropRate = dropRate
			opts.ExportStatus = sandbox.ExportStatus(export)
			opts.ExportFormat = sandbox.ExportFormat(exportFmt)
			if fixtures != "" {
				f, err := sandbox.LoadFixtures(fixtures)
				if err != nil {
					return fmt.Errorf("--fixtures %s: %w", fixtures, err)
				}
				opts.Fixtures = f
			}
			l, err := sandbox.Listen(addr, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "INTERCOM_API_URL=%s\n", l.URL)
			fmt.Fprintf(out, "INTERCOM_ACCESS_TOKEN=%s\n", l.Server.Token())
			p := l.Server.SamplePerson()
			fmt.Fprintf(cmd.ErrOrStderr(), "sandbox: %d generated contacts (seed %d); the sample person has %d contacts and %d conversations; Ctrl-C to stop\n",
				opts.Contacts, opts.Seed, len(p.ContactIDs), len(p.ConversationIDs))
			return l.Serve(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envString("INTERCOM_SANDBOX_ADDR", "127.0.0.1:8081"), "address to listen on (env INTERCOM_SANDBOX_ADDR)")
	f.IntVar(&opts.Contacts, "contacts", envInt("INTERCOM_SANDBOX_CONTACTS", sandbox.DefaultContacts), "number of generated contacts (env INTERCOM_SANDBOX_CONTACTS)")
	f.Int64Var(&opts.Seed, "seed", 1, "generator seed (the same seed and size give the same workspace)")
	f.StringVar(&opts.Token, "token", "", "access token to accept (random when empty; prefer INTERCOM_SANDBOX_TOKEN)")
	f.DurationVar(&opts.Latency, "latency", 0, "delay added to every answer")
	f.DurationVar(&opts.LatencyJitter, "latency-jitter", 0, "random extra delay, uniform in [0, jitter)")
	f.Float64Var(&opts.ErrorRate, "error-rate", 0, "share of requests answered 500/502/503 (0..1)")
	f.Float64Var(&dropRate, "drop-rate", 0, "share of connections dropped without an answer (0..1)")
	f.IntVar(&opts.RateLimit, "rate-limit", sandbox.DefaultRateLimit, "requests allowed per window (negative: unlimited)")
	f.DurationVar(&opts.Window, "window", sandbox.DefaultWindow, "rate-limit window")
	f.DurationVar(&opts.ExportDuration, "export-duration", sandbox.DefaultExportDuration, "time a content export job takes")
	f.StringVar(&export, "export-status", "", `finished export status: "" (alternate complete/completed), completed, complete, failed`)
	f.StringVar(&exportFmt, "export-format", "", `download container: "" (tar.gz), zip, csv.gz`)
	f.StringVar(&fixtures, "fixtures", "", "JSON file of objects to add to the generated workspace")
	f.BoolVar(&opts.ContactsOnly, "contacts-only", false, "generate contacts without conversations, tickets, notes or events")
	cmd.PreRun = func(*cobra.Command, []string) {
		if opts.Token == "" {
			opts.Token = envString("INTERCOM_SANDBOX_TOKEN", "")
		}
	}
	return cmd
}
