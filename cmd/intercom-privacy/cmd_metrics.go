package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/metrics"
)

func init() { register(newMetricsCmd) }

// newMetricsCmd builds `intercom-privacy metrics`.
func newMetricsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Reports on the privacy requests handled (CCPA §7102 and its GDPR equivalent)",
		Args:  cobra.NoArgs,
	}
	var (
		af          appFlags
		year        int
		format, out string
		force       bool
	)
	requests := &cobra.Command{
		Use:   "requests --year YYYY",
		Short: "The yearly requests report: received, complied with, denied by reason, days to respond",
		Long: `requests reports, for the calendar year given (in UTC) and per request type and
law: the requests received, complied with in whole or in part, denied (by the
reason recorded), withdrawn and still open, and the mean and median number of
days from receipt to the answer. CCPA §7102 asks a business handling the data of
10 million or more Californians to compile these figures every year and publish
them; the same figures answer a GDPR supervisory authority's questions. The
report holds counts and reasons only, never an identifier.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if year < 2000 || year > time.Now().Year() {
				return usagef("--year %d: want a year from 2000 to this year", year)
			}
			switch format {
			case metrics.FormatMarkdown, metrics.FormatCSV, metrics.FormatJSON:
			default:
				return usagef("--format %s: want md, csv or json", shownArg(format))
			}
			a, err := af.open(ctx, cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			rep, err := metrics.Requests(ctx, a.Store, year, time.UTC)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return rep.Write(w, format) }
			if out == "" {
				return write(cmd.OutOrStdout())
			}
			if err := writeOutFile("--out", out, force, write); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			return nil
		},
	}
	af.add(requests)
	f := requests.Flags()
	f.IntVar(&year, "year", time.Now().Year()-1, "the calendar year (default: last year)")
	f.StringVar(&format, "format", metrics.FormatMarkdown, "md, csv or json")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	cmd.AddCommand(requests)
	return cmd
}
