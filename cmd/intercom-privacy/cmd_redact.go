package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/redactstream"
)

func init() { register(newRedactCmd) }

// newRedactCmd builds `intercom-privacy redact`, the stream filter that
// removes personal data and secrets from logs on stdin.
func newRedactCmd() *cobra.Command {
	var (
		format    string
		stats     bool
		workers   int
		knownFile string
		maxLine   int
	)
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Redact personal data and secrets from logs (stdin to stdout)",
		Long: `redact reads lines from stdin and writes them to stdout with personal data
and secrets replaced by tags such as [EMAIL], keeping the line order.

A JSON line is redacted by key first (values under keys such as email, phone,
name, token, password, secret, authorization, cookie are replaced whole), then
by content (every string and number is scanned). A text line is scanned by
content, and a value under such a key in it (name="Jane Doe", ssn=...,
"secret": "...", Authorization: ...) is replaced whole whatever its shape.
Values under id-like keys (order_id=, trace_id=, duration_ms=, bytes=, port=)
and log structure (timestamps, pids, counters, decimals, hex ids) are kept.
Person names are found after greetings and titles and by first-name and
surname lexicons. With --format auto a line is JSON when it starts with '{'
and parses.

Lines are redacted in parallel batches with bounded memory. A line longer
than --max-line bytes is redacted as text in overlapping windows.

--known-file names a file of the person's own values, one "kind=value" per
line (kinds: name, email, phone, address, external_id), found exactly and
case-insensitively. With --stats, counts per type (never values) are printed
to stderr.`,
		Example: `  kubectl logs deploy/api | intercom-privacy redact --stats > clean.log
  intercom-privacy redact --format json --known-file person.txt < events.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := redactstream.ParseFormat(format)
			if err != nil {
				return err
			}
			if workers < 0 {
				return usagef("--workers %d: want 0 (one per core) or more", workers)
			}
			if maxLine <= redactstream.DefaultOverlap {
				return usagef("--max-line %d: want more than %d bytes (the window overlap)", maxLine, redactstream.DefaultOverlap)
			}
			opts := redactstream.Options{Format: f, Workers: workers, MaxLine: maxLine}
			if knownFile != "" {
				fh, err := os.Open(knownFile)
				if err != nil {
					return fmt.Errorf("redact: opening the known-values file: %w", err)
				}
				kv, err := redactstream.ParseKnown(fh)
				fh.Close()
				if err != nil {
					return err
				}
				opts.Known = pii.NewKnown(kv)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			st, err := redactstream.Run(ctx, cmd.InOrStdin(), cmd.OutOrStdout(), opts)
			if stats {
				if serr := st.WriteSummary(cmd.ErrOrStderr()); serr != nil && err == nil {
					err = serr
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", envString("INTERCOM_PRIVACY_REDACT_FORMAT", "auto"), "input format: auto, json or text (env INTERCOM_PRIVACY_REDACT_FORMAT)")
	fl.BoolVar(&stats, "stats", false, "print counts per type to stderr (never values)")
	fl.IntVar(&workers, "workers", envInt("INTERCOM_PRIVACY_REDACT_WORKERS", 0), "redacting goroutines; 0 means one per core (GOMAXPROCS) (env INTERCOM_PRIVACY_REDACT_WORKERS)")
	fl.StringVar(&knownFile, "known-file", "", "file of the person's own values, one kind=value per line")
	fl.IntVar(&maxLine, "max-line", redactstream.DefaultMaxLine, "longest line held whole, in bytes; longer lines are redacted in windows")
	return cmd
}
