package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// exitCode is the status intercom-privacy exits with. Every command ends with one
// of the codes of exitCodes, whose table `intercom-privacy --help` and the README
// print; exitCodeOf decides which from the error a command returned.
type exitCode int

const (
	exitOK          exitCode = 0
	exitFailure     exitCode = 1
	exitUsage       exitCode = 2
	exitIncomplete  exitCode = 3
	exitAuditBroken exitCode = 4
	exitPaused      exitCode = 5
	exitInterrupted exitCode = 130
)

// exitCodes is the one table of exit codes, in the order help prints it.
var exitCodes = []struct {
	code    exitCode
	meaning string
}{
	{exitOK, "success"},
	{exitFailure, "the command could not do its work (database, Intercom, network, disk, or a bug); the message says why"},
	{exitUsage, "the command line or configuration is wrong (unknown command, bad flag or argument, invalid configuration file, missing database or master key, a temporary directory that takes no files); nothing was changed"},
	{exitIncomplete, "the work ran but ended without its result: an export failed, was cancelled, timed out or was unusable (`export list` shows why)"},
	{exitAuditBroken, "`audit verify` found the audit trail altered or incomplete"},
	{exitPaused, "`dsar ... --wait` stopped because the request is paused (Intercom refused the access token or a permission); fix the cause and the worker resumes it"},
	{exitInterrupted, "interrupted (Ctrl-C or SIGTERM); what was done is kept: run the same command again to continue"},
}

// exitTable renders exitCodes for help texts and the README.
func exitTable() string {
	var b strings.Builder
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.code, e.meaning)
	}
	return b.String()
}

// exitCoder is an error that carries its exit code.
type exitCoder interface{ ExitCode() int }

// usageError is a wrong command line or configuration (exitUsage).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return int(exitUsage) }

// usagef returns a usageError with a formatted message.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitCodeOf maps the error a command returned to its exit code. interrupted says
// whether the process received Ctrl-C or SIGTERM.
func exitCodeOf(err error, interrupted bool) exitCode {
	var ec exitCoder
	var ce *app.ConfigError
	var cfe *config.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ec):
		return exitCode(ec.ExitCode())
	case interrupted && (errors.Is(err, context.Canceled) || errors.Is(err, vault.ErrRotationInterrupted)):
		return exitInterrupted
	case errors.As(err, &ce), errors.As(err, &cfe),
		errors.Is(err, store.ErrNoDatabase), errors.Is(err, store.ErrUnsupportedURL),
		errors.Is(err, vault.ErrNoMasterKey), errors.Is(err, vault.ErrInvalidMasterKey),
		errors.Is(err, vault.ErrNotInitialised), errors.Is(err, app.ErrNoIntercom),
		errors.Is(err, export.ErrInvalidParams), errors.Is(err, export.ErrOutDir),
		errors.Is(err, mail.ErrNotConfigured):
		return exitUsage
	}
	return exitFailure
}

// checkCommandTree makes every command of the tree use the exit code table:
// a command that only groups sub-commands ("dsar", "keys", ...) refuses an
// unknown sub-command (exitUsage, with cobra's suggestions) instead of printing
// its help and exiting 0; argument-count errors become usage errors and never
// repeat an argument that may be personal data.
func checkCommandTree(c *cobra.Command) {
	for _, sub := range c.Commands() {
		checkCommandTree(sub)
	}
	if c.HasSubCommands() && !c.Runnable() {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return unknownCommand(cmd, args[0])
		}
		return
	}
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageError{scrubArgs(err, args)}
			}
			return nil
		}
	}
}

// unknownCommand is the error for an unknown sub-command of cmd.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %s for %q", shownArg(name), cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default for the root
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usagef("%s (run '%s --help' for the list of commands)", msg, cmd.CommandPath())
}

// scrubArgs rewrites an argument error so that it repeats no argument that may
// be personal data (see shownArg).
func scrubArgs(err error, args []string) error {
	msg := err.Error()
	changed := false
	for _, a := range args {
		if a != "" && !strings.HasPrefix(shownArg(a), `"`) && strings.Contains(msg, a) {
			msg = strings.ReplaceAll(msg, a, "(an argument, not repeated as it may be personal data)")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errors.New(msg)
}
