// Command intercom-privacy answers GDPR and CCPA requests for the personal data a
// company keeps in Intercom and in its own copies of Intercom data.
//
// Every sub-command reads its configuration from flags, then the environment, then
// the YAML file; defaults are written in each command's --help.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// devVersion is the version of a build that was given none.
const devVersion = "0.1.0-dev"

// version is set at build time with -ldflags "-X main.version=..."; `version`
// falls back to the module version (go install ...@vX.Y.Z) when it is not.
var version = devVersion

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		// Errors produced by the project never carry personal data or secrets
		// (see ARCHITECTURE.md, "Errors and logging"), so they can be printed.
		fmt.Fprintln(os.Stderr, "intercom-privacy:", err)
		interrupted := ctx.Err() != nil // read before stop, which cancels ctx too
		stop()
		os.Exit(int(exitCodeOf(err, interrupted)))
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "intercom-privacy",
		Short: "GDPR and CCPA requests, retention and redaction for Intercom data",
		Long: `intercom-privacy answers access and erasure requests for people in an Intercom
workspace, keeps personal data out of logs, enforces retention on cached Intercom
data, syncs only the fields that are needed, and keeps a tamper-evident audit trail.

Configuration: flags override the environment, the environment overrides the
config file. Secrets (INTERCOM_ACCESS_TOKEN, INTERCOM_CLIENT_SECRET,
INTERCOM_PRIVACY_MASTER_KEY) are never printed or logged.

Exit codes (the same for every command):
` + exitTable(),
		Version:       readVersion().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate(versionTemplate())
	addLoggingFlags(root)
	for _, add := range commands {
		root.AddCommand(add())
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	checkCommandTree(root)
	return root
}

// commands holds the constructors of the sub-commands; each lives in its own file
// (cmd_<name>.go) and registers itself there, so the files of separate workflows
// do not have to touch this one.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }
