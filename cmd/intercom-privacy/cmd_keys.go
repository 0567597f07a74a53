package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func init() { register(newKeysCmd) }

// newKeysCmd builds `intercom-privacy keys`: create, rotate and inspect the vault's
// keysets, and generate a master key.
func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create and rotate the encryption keys; generate a master key; print the audit public key; shred expired keys",
		Long: `keys manages the vault: the keysets that encrypt personal data, compute blind
indexes and subject references, and sign the audit trail. The keysets live in the
database, encrypted under the master key.

The master key is 32 random bytes in base64, read from ` + vault.EnvMasterKey + `,
or from the file named by ` + vault.EnvMasterKeyFile + ` (or --master-key-file).
Generate one with 'intercom-privacy keys generate-master' or 'openssl rand -base64 32'
and keep it in a secret manager: without it, nothing in the database can be
decrypted, and anyone who holds it and the database can read everything.`,
	}
	cmd.AddCommand(newKeysInitCmd(), newKeysRotateCmd(), newKeysGenerateMasterCmd(), newKeysPublicCmd(), newKeysShredCmd())
	return cmd
}

// keysFlags are the flags every keys sub-command that opens the vault shares.
type keysFlags struct {
	databaseURL string
	masterFile  string
}

func (f *keysFlags) add(cmd *cobra.Command) {
	databaseURLFlag(cmd, &f.databaseURL)
	cmd.Flags().StringVar(&f.masterFile, "master-key-file", envString(vault.EnvMasterKeyFile, ""),
		"file holding the base64 master key (env "+vault.EnvMasterKeyFile+"); the key itself is read from "+vault.EnvMasterKey+" and never from a flag")
}

// masterKey loads the master key from the environment or the key file.
func (f *keysFlags) masterKey() (vault.MasterKey, error) {
	return vault.LoadMasterKey(os.Getenv(vault.EnvMasterKey), f.masterFile)
}

// open loads the master key, then opens the store (creating it only when
// create: `keys init` sets up a database, the other keys commands never do).
func (f *keysFlags) open(ctx context.Context, create bool) (vault.MasterKey, store.Store, error) {
	m, err := f.masterKey()
	if err != nil {
		return nil, nil, err
	}
	var opts []store.Option
	if create {
		opts = append(opts, store.WithCreate())
	}
	st, err := store.Open(ctx, f.databaseURL, opts...)
	if err != nil {
		return nil, nil, err
	}
	return m, st, nil
}

// openVault opens the store and the vault in it; close the store when done.
func (f *keysFlags) openVault(ctx context.Context) (*vault.Vault, store.Store, error) {
	m, st, err := f.open(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	v, err := vault.Open(ctx, st, m)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return v, st, nil
}

func newKeysInitCmd() *cobra.Command {
	var f keysFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the keysets (once per database)",
		Long: `init creates the vault's keysets in the database, encrypted under the master
key, and records it in the audit trail, in one transaction:

  kek            AES-256-GCM, wraps the per-person data keys (rotated by 'keys rotate')
  index          HMAC-SHA256, blind indexes and subject references (never rotated)
  pseudonym      HMAC-SHA256, pseudonyms in log lines
  audit-signing  Ed25519, signs audit checkpoints ('keys public' prints its public key)

It refuses to replace keysets that exist. If an earlier init stopped half way, it
creates only the missing keysets, as long as no data was encrypted yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, st, err := f.open(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			var pub []byte
			var keyID string
			err = st.InTx(ctx, func(tx store.Tx) error {
				if err := vault.Init(ctx, tx, m); err != nil {
					return err
				}
				v, err := vault.Open(ctx, tx, m)
				if err != nil {
					return err
				}
				pub, keyID = v.AuditPublicKey()
				return appendKeysRecord(ctx, tx, v, audit.Record{
					Actor: "cli", Action: audit.ActionKeysInitialised, Outcome: audit.OutcomeSuccess,
					Reason: "keysets kek, index, pseudonym and audit-signing created",
				})
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "database: %s (%s)\n", store.RedactURL(f.databaseURL), st.Backend())
			fmt.Fprintln(out, "keysets created: kek, index, pseudonym, audit-signing")
			fmt.Fprintf(out, "audit signing key id: %s\n", keyID)
			fmt.Fprintf(out, "audit public key (Ed25519, base64): %s\n", base64.StdEncoding.EncodeToString(pub))
			fmt.Fprintln(out, "keep the master key safe: without it nothing in this database can be decrypted")
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func newKeysRotateCmd() *cobra.Command {
	var (
		f     keysFlags
		batch int
	)
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new key-encryption key and re-wrap every person's data key with it",
		Long: `rotate adds a new primary key to the key-encryption keyset ("kek") and re-wraps
every person's data key with it, in batches of --batch keys (one short transaction
per batch). The keyset is saved before any key is re-wrapped, so old and new keys
both work at every moment; if the run stops (crash, Ctrl-C), run it again: it finishes
the interrupted rotation where it stopped instead of adding yet another key, and a
further run starts a new rotation. Old KEK keys are kept so backups stay readable.

It is safe to run many at once (cron on several hosts, a retried job): the keyset
is saved with a compare-and-swap, so of rotations started together one adds a key
and the others join it and help re-wrap; no saved keyset ever drops a key a person
key is wrapped with. A person key that does not unwrap is counted and makes the
command fail. The blind-index key is not rotated: blind indexes and the
suppression list cannot be recomputed without the plaintext identifiers. The
audit-signing key is not rotated either. The run is recorded in the audit trail.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 {
				// vault.Rotate would take it for the default; refuse it before a
				// new key is added.
				return usagef("--batch %d: want at least 1 (the default is %d)", batch, vault.DefaultRotateBatch)
			}
			ctx := cmd.Context()
			v, st, err := f.openVault(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			progress := func(int) {}
			if term.IsTerminal(int(os.Stderr.Fd())) {
				progress = func(done int) { fmt.Fprintf(os.Stderr, "\rperson keys examined: %d", done) }
			}
			// The store implements vault.PersonKeyBatchUpdater: one short transaction
			// per batch.
			res, rerr := v.Rotate(ctx, st, batch, progress)
			if term.IsTerminal(int(os.Stderr.Fd())) {
				fmt.Fprintln(os.Stderr)
			}
			// Record the run, whatever its outcome, in its own short transaction; use a
			// context that survives Ctrl-C so an interrupted run is recorded too.
			recCtx := context.WithoutCancel(ctx)
			aerr := st.InTx(recCtx, func(tx store.Tx) error {
				return appendKeysRecord(recCtx, tx, v, rotateRecord(res, rerr))
			})
			out := cmd.OutOrStdout()
			switch {
			case res.Resumed:
				fmt.Fprintln(out, "finished an interrupted rotation (no new key added; run again to rotate)")
			case res.Joined:
				fmt.Fprintln(out, "another rotation running at the same time added a new key first; this run re-wrapped to it")
			case res.Added:
				fmt.Fprintln(out, "added a new primary key-encryption key")
			}
			fmt.Fprintf(out, "KEK version: %d\n", res.KEKVersion)
			fmt.Fprintf(out, "person keys examined: %d, re-wrapped: %d, destroyed meanwhile: %d, unreadable: %d\n",
				res.Scanned, res.Rewrapped, res.Vanished, res.Unreadable)
			if aerr != nil {
				aerr = fmt.Errorf("recording the rotation in the audit trail failed: %w", aerr)
			}
			return errors.Join(rerr, aerr)
		},
	}
	f.add(cmd)
	cmd.Flags().IntVar(&batch, "batch", vault.DefaultRotateBatch, "person keys per batch")
	return cmd
}

// rotateRecord describes a rotation run for the audit trail.
func rotateRecord(res vault.RotateResult, err error) audit.Record {
	r := audit.Record{
		Actor: "cli", Action: audit.ActionKeysRotated, Outcome: audit.OutcomeSuccess,
		Counts: map[string]int64{
			"person_keys_examined":   int64(res.Scanned),
			"person_keys_rewrapped":  int64(res.Rewrapped),
			"person_keys_vanished":   int64(res.Vanished),
			"person_keys_unreadable": int64(res.Unreadable),
		},
		Reason: "new key-encryption key added, person keys re-wrapped",
	}
	if res.Resumed {
		r.Reason = "interrupted rotation finished, person keys re-wrapped"
	}
	if res.Joined {
		r.Reason = "joined a concurrent rotation, person keys re-wrapped"
	}
	if err != nil {
		r.Outcome, r.Reason = audit.OutcomePartial, "rotation stopped before every person key was re-wrapped"
		if res.Scanned == 0 && res.Rewrapped == 0 {
			r.Outcome = audit.OutcomeFailure
		}
		if errors.Is(err, vault.ErrKeyUnwrap) && !errors.Is(err, vault.ErrRotationInterrupted) {
			r.Reason = "rotation done, some person keys did not unwrap and were left as they were"
		}
	}
	return r
}

// appendKeysRecord appends r to the audit trail in tx and signs a checkpoint.
func appendKeysRecord(ctx context.Context, tx store.Tx, v *vault.Vault, r audit.Record) error {
	chain, err := audit.NewChain(v.AuditSigner(), audit.Options{})
	if err != nil {
		return err
	}
	if _, err := chain.Append(ctx, tx, r); err != nil {
		return err
	}
	_, _, err = chain.Checkpoint(ctx, tx)
	return err
}

func newKeysGenerateMasterCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "generate-master",
		Short: "Print a new random master key (a secret) to standard output",
		Long: `generate-master prints a fresh master key: 32 random bytes in base64. This is the
one command that prints a secret, because you asked for it: send it straight to
where it will be kept, not to your terminal's scroll-back or your shell history:

  intercom-privacy keys generate-master > master.key && chmod 600 master.key
  export ` + vault.EnvMasterKeyFile + `=$PWD/master.key

or store it in your secret manager and expose it as ` + vault.EnvMasterKey + `.
It needs no database and changes nothing. Losing the master key loses the data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := vault.GenerateMasterKey()
			if err != nil {
				return err
			}
			if f, ok := cmd.OutOrStdout().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: the line below is a secret master key; store it in a secret manager or a file readable only by the service")
			}
			_, err = io.WriteString(cmd.OutOrStdout(), k+"\n")
			return err
		},
	}
}

func newKeysPublicCmd() *cobra.Command {
	var (
		f     keysFlags
		asPEM bool
	)
	cmd := &cobra.Command{
		Use:   "public",
		Short: "Print the audit trail's Ed25519 public key and key id, for auditors",
		Long: `public prints the Ed25519 public key that verifies the audit trail's signed
checkpoints, with its key id (the hex of the first 8 bytes of SHA-256 of the raw
32-byte key). Signatures are plain Ed25519 (RFC 8032): an auditor can check them
with any implementation. --pem prints the key as a PEM SubjectPublicKeyInfo block
instead (for 'openssl pkeyutl -verify').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			v, st, err := f.openVault(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			pub, keyID := v.AuditPublicKey()
			out := cmd.OutOrStdout()
			if asPEM {
				der, err := x509.MarshalPKIXPublicKey(pub)
				if err != nil {
					return fmt.Errorf("encoding the public key: %w", err)
				}
				return pem.Encode(out, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
			}
			fmt.Fprintf(out, "key id: %s\n", keyID)
			fmt.Fprintf(out, "algorithm: Ed25519\n")
			fmt.Fprintf(out, "public key (base64): %s\n", base64.StdEncoding.EncodeToString(pub))
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&asPEM, "pem", false, "print the key as PEM (SubjectPublicKeyInfo)")
	return cmd
}
