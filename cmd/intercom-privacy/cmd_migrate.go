package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/store"
	_ "github.com/intercom-privacy/intercom-privacy/store/postgres" // registers postgres:// for every command
	_ "github.com/intercom-privacy/intercom-privacy/store/sqlite"   // registers sqlite:// for every command
)

func init() { register(newMigrateCmd) }

// newMigrateCmd builds `intercom-privacy migrate`: apply the store's pending
// schema migrations and print the version before and after.
func newMigrateCmd() *cobra.Command {
	var (
		databaseURL string
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and print the schema version before and after",
		Long: `migrate brings the database named by --database-url (or DATABASE_URL) to the
schema this binary expects. Each migration runs in its own transaction: if one
fails, the schema stays at the previous version and the error says which
migration failed. Other commands also migrate on start; this command lets an
operator do it explicitly (for example before rolling out new workers). migrate
and 'keys init' are the only commands that create a database that does not exist
yet; every other command refuses a missing SQLite file and names its path, so a
typo in DATABASE_URL does not leave you with a second, empty database.

Database URLs:
  sqlite:///absolute/path.db     a SQLite file (created if missing)
  sqlite://relative/path.db      a SQLite file relative to the working directory
  postgres://user@host:5432/db   PostgreSQL (postgresql:// also works; add
                                 ?search_path=schema to use a schema of its own)

The password in a URL is never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := store.Open(ctx, databaseURL, store.WithoutMigrate(), store.WithCreate())
			if err != nil {
				return err
			}
			defer st.Close()
			out := cmd.OutOrStdout()
			if asJSON {
				before, after, err := st.Migrate(ctx)
				if err != nil {
					return err
				}
				return writeJSON(out, migrateJSON{Database: store.RedactURL(databaseURL), Backend: st.Backend(),
					Before: before, After: after})
			}
			fmt.Fprintf(out, "database: %s (%s)\n", store.RedactURL(databaseURL), st.Backend())
			before, after, err := st.Migrate(ctx)
			fmt.Fprintf(out, "schema version before: %d\n", before)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "schema version after:  %d\n", after)
			if before == after {
				fmt.Fprintln(out, "already up to date")
			}
			return nil
		},
	}
	databaseURLFlag(cmd, &databaseURL)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the database (password masked), backend and schema versions as JSON")
	return cmd
}

// migrateJSON is the --json output of `migrate`.
type migrateJSON struct {
	Database string `json:"database"`
	Backend  string `json:"backend"`
	Before   int    `json:"schema_version_before"`
	After    int    `json:"schema_version_after"`
}

// databaseURLFlag adds --database-url, defaulting to DATABASE_URL or
// store.DefaultURL; --help shows the default with any password masked.
func databaseURLFlag(cmd *cobra.Command, p *string) {
	def := envString("DATABASE_URL", store.DefaultURL)
	cmd.Flags().StringVar(p, "database-url", def,
		"database URL: sqlite:///path.db, sqlite://relative.db or postgres://... (env DATABASE_URL)")
	cmd.Flags().Lookup("database-url").DefValue = store.RedactURL(def)
}
