package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/ropa"
)

func init() { register(newRopaCmd) }

// newRopaCmd builds `intercom-privacy ropa`.
func newRopaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ropa",
		Short: "The record of processing activities (GDPR Art. 30) for the Intercom data and for this tool's own records",
	}
	var (
		configPath, format, out string
		force                   bool
	)
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the record of processing activities as Markdown, CSV or JSON",
		Long: `export writes the record of processing activities (GDPR Art. 30(1)): one activity
for the personal data kept in Intercom and its local copies, and one each for this
tool's own processing (the request log, the suppression list, the audit trail),
which hold pseudonymised personal data. It is built from the configuration's access
section, its recipients registry and the retention policy, the same sources as the
Art. 15 information in every access package. It needs neither the database nor the
master key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != ropa.Markdown && format != ropa.CSV && format != ropa.JSON {
				return fmt.Errorf("--format %q: want md, csv or json", shownArg(format))
			}
			path := config.Path(configPath)
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			p, err := retention.FromConfig(cfg)
			if err != nil {
				if path == "" {
					path = "configuration"
				}
				return fmt.Errorf("%s: %w", path, err)
			}
			rec := ropa.Build(cfg, p, time.Now())
			write := func(w io.Writer) error { return ropa.Write(w, rec, format) }
			if out == "" {
				return write(cmd.OutOrStdout())
			}
			return writeOutFile("--out", out, force, write)
		},
	}
	f := export.Flags()
	f.StringVar(&configPath, "config", envString(config.EnvFile, ""), "YAML configuration file (env "+config.EnvFile+"; built-in defaults when unset)")
	f.StringVar(&format, "format", ropa.Markdown, "md, csv or json")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	cmd.AddCommand(export)
	return cmd
}
