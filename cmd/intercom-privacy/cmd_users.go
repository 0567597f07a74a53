package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/users"
)

// The workers (`worker`, `serve`) sweep old sessions and sign-in counts hourly.
func init() {
	register(newUsersCmd)
	register(newTokensCmd)
	registerWorkerHook(func(a *app.App, workers *river.Workers) ([]*river.PeriodicJob, error) {
		return users.RegisterPeriodic(workers, a.Users)
	})
}

// readPassword reads one line from r (the end of line dropped) for
// --password-stdin.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usagef("--password-stdin: standard input held no password")
	}
	if err := users.CheckPassword(pw); err != nil {
		return "", usageError{err}
	}
	return pw, nil
}

// argError makes the errors that mean a wrong argument (an email with no
// account or one taken, a token id unknown, a password refused) usage errors:
// nothing was changed and the command line is what to fix.
func argError(err error) error {
	for _, e := range []error{users.ErrNoUser, users.ErrUserExists, users.ErrWeakPassword, users.ErrNoToken,
		users.ErrInvalidToken, users.ErrInvalidEmail, users.ErrDisabled, users.ErrLastAdmin} {
		if errors.Is(err, e) {
			return usageError{err}
		}
	}
	return err
}

// emailArg checks an email argument without ever repeating it.
func emailArg(s string) (string, error) {
	n, err := users.NormalizeEmail(s)
	if err != nil {
		return "", usagef("%v", err)
	}
	return n, nil
}

type userView struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	Role        string    `json:"role"`
	Enrolled    bool      `json:"second_factor"`
	HasPassword bool      `json:"password"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
}

// newUsersCmd builds `intercom-privacy users`.
func newUsersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Accounts of the console and the API: add, list, disable, reset",
		Long: `users manages who may sign in to the console and the API, and as what role:

  admin            users, settings, keys status; works requests like a privacy officer
  privacy_officer  everything on requests; approves erasures; downloads packages
  agent            files and works requests; cannot approve erasures or download packages
  auditor          read-only: requests without identifiers, the audit trail, metrics

An account signs in with its email and password, then a TOTP code from an
authenticator app (enrolled at the first sign-in, with ten one-time recovery
codes), or through the identity provider when the configuration's auth.oidc
section is set. Emails are stored encrypted; the audit trail names accounts by
id (usr_...), never by email.`,
	}
	var (
		af       appFlags
		email    string
		role     string
		pwStdin  bool
		asJSON   bool
		factorOK bool
	)
	add := &cobra.Command{
		Use:   "add --email E --role R [--password-stdin]",
		Short: "Add an account (prints a one-time password unless --password-stdin)",
		Long: `add creates an account. Its password is read from standard input with
--password-stdin (one line, at least 12 characters); otherwise a random password
is printed once, to hand to the person. The second factor is enrolled at the
first sign-in.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := emailArg(email)
			if err != nil {
				return err
			}
			r, err := authz.ParseRole(role)
			if err != nil {
				return usagef("--role: use one of admin, privacy_officer, agent, auditor")
			}
			pw, shown := "", false
			if pwStdin {
				if pw, err = readPassword(cmd.InOrStdin()); err != nil {
					return err
				}
			} else {
				pw, shown = users.NewPassword(), true
			}
			a, err := af.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			id, err := a.Users.Add(cmd.Context(), users.AddInput{Email: e, Role: r, Password: pw})
			if err != nil {
				return argError(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "added %s (%s)\n", id, r)
			if shown {
				fmt.Fprintf(out, "password (shown once; the second factor is enrolled at the first sign-in): %s\n", pw)
			}
			return nil
		},
	}
	af.add(add)
	add.Flags().StringVar(&email, "email", "", "the account's email (required)")
	add.Flags().StringVar(&role, "role", "", "admin, privacy_officer, agent or auditor (required)")
	add.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (one line)")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("role")

	var listAF appFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := listAF.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			us, err := a.Users.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				vs := make([]userView, len(us))
				for i, u := range us {
					vs[i] = userView{ID: u.ID, Email: u.Email, Role: string(u.Role), Enrolled: u.Enrolled, HasPassword: u.HasPassword,
						Disabled: u.Disabled, CreatedAt: u.CreatedAt, LastSeen: u.LastSeen}
				}
				return writeJSON(cmd.OutOrStdout(), vs)
			}
			if len(us) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no accounts: add one with 'intercom-privacy users add --email E --role admin'")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSECOND FACTOR\tSTATE\tCREATED\tLAST SEEN")
			for _, u := range us {
				state, factor := "active", "enrolled"
				if u.Disabled {
					state = "disabled"
				}
				if !u.Enrolled {
					factor = "not yet"
				}
				seen := "never"
				if !u.LastSeen.IsZero() {
					seen = u.LastSeen.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, factor, state, u.CreatedAt.Format(time.DateOnly), seen)
			}
			return tw.Flush()
		},
	}
	listAF.add(list)
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var disableAF appFlags
	disable := &cobra.Command{
		Use:   "disable EMAIL",
		Short: "Disable an account: its sessions end and its API tokens are revoked at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := emailArg(args[0])
			if err != nil {
				return err
			}
			a, err := disableAF.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			id, err := a.Users.Disable(cmd.Context(), e)
			if err != nil {
				return argError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "disabled %s; its sessions ended and its API tokens were revoked\n", id)
			return nil
		},
	}
	disableAF.add(disable)

	var resetAF appFlags
	var resetStdin bool
	reset := &cobra.Command{
		Use:   "reset EMAIL [--password-stdin] [--second-factor-only]",
		Short: "Reset an account's password and second factor; its sessions end",
		Long: `reset is for an account whose owner lost access. It replaces the password (read
from standard input with --password-stdin, otherwise a random one printed once)
and removes the second factor and the recovery codes: the owner enrols a new
authenticator at the next sign-in. Every session of the account ends. API
tokens are kept; revoke them with 'tokens revoke' if they may have leaked too.
With --second-factor-only the password is kept (a lost phone).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := emailArg(args[0])
			if err != nil {
				return err
			}
			var pw string
			shown := false
			switch {
			case factorOK && resetStdin:
				return usagef("--second-factor-only keeps the password: drop --password-stdin")
			case resetStdin:
				if pw, err = readPassword(cmd.InOrStdin()); err != nil {
					return err
				}
			case !factorOK:
				pw, shown = users.NewPassword(), true
			}
			a, err := resetAF.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			id, err := a.Users.Reset(cmd.Context(), users.ResetInput{Email: e, Password: pw, SecondFactorOnly: factorOK})
			if err != nil {
				return argError(err)
			}
			out := cmd.OutOrStdout()
			what := "password and second factor"
			if factorOK {
				what = "second factor"
			}
			fmt.Fprintf(out, "reset the %s of %s; its sessions ended; it enrols a new second factor at the next sign-in\n", what, id)
			if shown {
				fmt.Fprintf(out, "password (shown once): %s\n", pw)
			}
			return nil
		},
	}
	resetAF.add(reset)
	reset.Flags().BoolVar(&resetStdin, "password-stdin", false, "read the new password from standard input (one line)")
	reset.Flags().BoolVar(&factorOK, "second-factor-only", false, "keep the password; reset only the second factor")

	cmd.AddCommand(add, list, disable, reset)
	return cmd
}

type tokenView struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func tokenState(t users.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.Active(now):
		return "expired"
	}
	return "active"
}

// newTokensCmd builds `intercom-privacy tokens`.
func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "API tokens for scripts: create (shown once), list, revoke",
		Long: `A token acts as its account, with the account's role, through
'Authorization: Bearer <token>' on /api/v1. It is printed once when created and
stored only as a hash; a revoked token, or one whose account is disabled, is
refused from the next request on.`,
	}
	var (
		af      appFlags
		email   string
		name    string
		expires string
	)
	create := &cobra.Command{
		Use:   "create --user E --name N [--expires 90d]",
		Short: "Create a token for an account and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := emailArg(email)
			if err != nil {
				return err
			}
			ttl, err := users.ParseExpiry(expires)
			if err != nil {
				return usagef("--expires: %v", err)
			}
			a, err := af.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			secret, tok, err := a.Users.CreateToken(cmd.Context(), e, name, ttl)
			if err != nil {
				return argError(err)
			}
			out := cmd.OutOrStdout()
			exp := "never expires"
			if !tok.ExpiresAt.IsZero() {
				exp = "expires " + tok.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s (%s); it is shown once, keep it in a secret store:\n", tok.ID, tok.UserID, exp)
			fmt.Fprintln(out, secret)
			return nil
		},
	}
	af.add(create)
	create.Flags().StringVar(&email, "user", "", "the email of the account the token acts as (required)")
	create.Flags().StringVar(&name, "name", "", "a label for the list, e.g. nightly-export (required)")
	create.Flags().StringVar(&expires, "expires", "90d", "lifetime: days (90d), a duration (12h) or never")
	_ = create.MarkFlagRequired("user")
	_ = create.MarkFlagRequired("name")

	var listAF appFlags
	var listUser string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--user E]",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e := ""
			if listUser != "" {
				var err error
				if e, err = emailArg(listUser); err != nil {
					return err
				}
			}
			a, err := listAF.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			ts, err := a.Users.Tokens(cmd.Context(), e)
			if err != nil {
				return argError(err)
			}
			now := time.Now()
			if asJSON {
				vs := make([]tokenView, len(ts))
				for i, t := range ts {
					vs[i] = tokenView{ID: t.ID, UserID: t.UserID, Name: t.Name, State: tokenState(t, now), CreatedAt: t.CreatedAt,
						ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
				}
				return writeJSON(cmd.OutOrStdout(), vs)
			}
			if len(ts) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no tokens")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSER\tNAME\tSTATE\tCREATED\tEXPIRES\tLAST USED")
			day := func(t time.Time, none string) string {
				if t.IsZero() {
					return none
				}
				return t.Format(time.DateOnly)
			}
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserID, t.Name, tokenState(t, now), day(t.CreatedAt, ""),
					day(t.ExpiresAt, "never"), day(t.LastUsedAt, "never"))
			}
			return tw.Flush()
		},
	}
	listAF.add(list)
	list.Flags().StringVar(&listUser, "user", "", "only the tokens of this account's email")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var revokeAF appFlags
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: refused from the next request on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if !strings.HasPrefix(id, "tok_") || len(id) > 64 {
				return usagef("not a token id (like tok_0123abcd...; see 'intercom-privacy tokens list')")
			}
			a, err := revokeAF.open(cmd.Context(), cliActor())
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.Users.RevokeToken(cmd.Context(), id)
			if err != nil {
				return argError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s of %s revoked\n", t.ID, t.UserID)
			return nil
		},
	}
	revokeAF.add(revoke)
	cmd.AddCommand(create, list, revoke)
	return cmd
}
