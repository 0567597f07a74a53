package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func init() { register(newAuditCmd) }

// auditFlags are the flags shared by the audit sub-commands.
type auditFlags struct {
	databaseURL string
	masterFile  string
	publicKeys  []string
}

func (f *auditFlags) add(cmd *cobra.Command) {
	databaseURLFlag(cmd, &f.databaseURL)
	fl := cmd.Flags()
	fl.StringVar(&f.masterFile, "master-key-file", envString(vault.EnvMasterKeyFile, ""),
		"file holding the base64 master key (env "+vault.EnvMasterKeyFile+"), used to read the signing public key when no --public-key is given; the key itself is read from "+vault.EnvMasterKey+", never from a flag")
	fl.StringArrayVar(&f.publicKeys, "public-key", nil,
		"Ed25519 public key (base64, 32 bytes) that signed the checkpoints, optionally as KEYID=BASE64; repeat for rotated keys. With it, no master key is needed")
}

// keyring returns the checkpoint keys: the --public-key values, or else the
// vault's current audit signing key (which needs the master key and st).
func (f *auditFlags) keyring(ctx context.Context, st store.Store) (audit.Keyring, error) {
	if len(f.publicKeys) > 0 {
		var ring audit.Keyring
		for i, v := range f.publicKeys {
			v = strings.TrimSpace(v)
			id := ""
			raw, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(raw) != ed25519.PublicKeySize {
				// KEYID=BASE64
				var b64 string
				id, b64, _ = strings.Cut(v, "=")
				raw, err = base64.StdEncoding.DecodeString(b64)
			}
			if err != nil || len(raw) != ed25519.PublicKeySize {
				return nil, usagef("--public-key #%d is not a base64 Ed25519 public key of %d bytes, optionally as KEYID=BASE64 (the export header's \"public_key\")", i+1, ed25519.PublicKeySize)
			}
			if id == "" {
				id = vault.KeyIDForPublicKey(raw)
			}
			ring = append(ring, audit.PublicKey{KeyID: id, Key: raw})
		}
		return ring, nil
	}
	if st == nil {
		return nil, errors.New("audit: pass the signing public key with --public-key")
	}
	master, err := vault.LoadMasterKey(os.Getenv(vault.EnvMasterKey), f.masterFile)
	if err != nil {
		return nil, fmt.Errorf("%w\n(or pass the signing public key with --public-key, e.g. from an earlier `audit export` header)", err)
	}
	v, err := vault.Open(ctx, st, master)
	if err != nil {
		return nil, err
	}
	pub, id := v.AuditPublicKey()
	return audit.Keyring{{KeyID: id, Key: pub}}, nil
}

// openStore opens the database without migrating it: verifying and
// exporting only read.
func (f *auditFlags) openStore(ctx context.Context) (store.Store, error) {
	return store.Open(ctx, f.databaseURL, store.WithoutMigrate())
}

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify and export the tamper-evident audit trail",
		Long: `The audit trail is an append-only chain of records: each holds the SHA-256
hash of the one before it, and Ed25519-signed checkpoints are written at the
end of every run and request step, and every 256 records. Records hold no personal data: the
person is a keyed HMAC reference, objects are Intercom ids and counts.

  audit verify   walk the whole chain and every checkpoint; report the first
                 broken link (edited, deleted, inserted, reordered, truncated
                 record, or bad checkpoint signature)
  audit export   write the chain as JSON lines for an auditor, with the public
                 key needed to check the signatures
  audit prune    remove records older than the audit retention, under a signed
                 prune record (the only way records are ever removed)

Every checkpoint is also appended to a witness kept outside the database when
` + audit.EnvWitness + ` (or audit.witness in the configuration) names one: a
file path (appended and fsync'd; copy it to a backup or an object-lock bucket) or
an https:// URL that receives each checkpoint as a POST. serve, worker and
dsar --wait sign the unsigned tail every audit.checkpoint_interval (10s) and
every audit.checkpoint_every records (256); each request step signs its records.

Audit records are never removed by anything automatic before the configured
audit retention (7 years by default, never less than 24 months).`,
	}
	cmd.AddCommand(newAuditVerifyCmd(), newAuditExportCmd(), newAuditPruneCmd())
	return cmd
}

// brokenChainError is returned when verification finds a broken link; the
// process exits with exitAuditBroken so scripts can tell it from a failure to run.
type brokenChainError struct{ b *audit.Break }

func (e brokenChainError) Error() string {
	return fmt.Sprintf("audit chain broken at record %d (%s)", e.b.Seq, e.b.Kind)
}
func (e brokenChainError) Unwrap() error { return e.b }
func (e brokenChainError) ExitCode() int { return int(exitAuditBroken) }

// reportJSON is the --json form of a verification report.
type reportJSON struct {
	OK             bool                 `json:"ok"`
	Records        int64                `json:"records"`
	FirstSeq       int64                `json:"first_seq"`
	LastSeq        int64                `json:"last_seq"`
	LastHash       string               `json:"last_hash,omitempty"`
	Checkpoints    int64                `json:"checkpoints"`
	LastCheckpoint int64                `json:"last_checkpoint"`
	Unsigned       int64                `json:"unsigned"`
	UnsignedSince  *time.Time           `json:"unsigned_since,omitempty"`
	UnsignedAgeSec *float64             `json:"unsigned_age_seconds,omitempty"`
	Witness        *audit.WitnessReport `json:"witness,omitempty"`
	// WitnessedSize is the record count of the latest witnessed checkpoint
	// (0 without a witness).
	WitnessedSize int64         `json:"witnessed_size"`
	Prunes        []audit.Prune `json:"prunes"`
	Keys          []string      `json:"key_ids"`
	Break         *audit.Break  `json:"break,omitempty"`
	Problems      []audit.Break `json:"problems"`
	// NotDetectable lists, without a witness, the changes the database
	// alone cannot reveal.
	NotDetectable []string `json:"not_detectable_without_witness,omitempty"`
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		f       auditFlags
		asJSON  bool
		file    string
		witness string
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit chain and its signed checkpoints and report the first broken link",
		Long: `verify reads every audit record and checkpoint once. It recomputes each
record's hash, checks that each links to the one before, that sequence numbers
run from 1 without gaps, that every checkpoint's Ed25519 signature verifies and
matches the record it signs, and that no signed record is missing at the end.

It reports the first broken link, or how many records follow the last
checkpoint (those are protected by the hash chain only: run a checkpoint,
which every run does at its end, to sign them).

The signing public key comes from --public-key (no secrets needed: an auditor
can use the key from an export header) or else from the vault, which needs
` + vault.EnvMasterKey + ` or --master-key-file.

With --witness, verify also compares the database with the witness log (the
file that INTERCOM_PRIVACY_AUDIT_WITNESS names, where every signed checkpoint is
appended as it is written, and that is kept outside the database): it fails when
the database has fewer records than a witnessed checkpoint, a different hash at a
witnessed size, or lacks a witnessed checkpoint, and says which. For a URL
witness, download its log (the notes it received, each followed by a blank line)
and pass that file. Without a witness, verify says which changes the database
alone cannot reveal: a writer who drops the append-only triggers can delete the
checkpoints and re-hash, or roll the database back to an earlier state.

The report gives the records, the checkpoints, the size the witness holds, the
unsigned tail (records after the last checkpoint: how many, and since when), the
signed prunes accepted (a missing beginning is accepted only under one), and
every problem with its kind and the first record it affects.

With --file, verify checks an export written by ` + "`audit export`" + ` instead of the
database (no database and no master key needed). Pin the key with --public-key:
without it, the signatures are checked against the key written in the file
itself, which proves only that the file is consistent with itself. A file cut
short at a checkpoint reads as a shorter chain: compare the last record and hash
printed here with the head you obtained separately.

Exit status: 0 when the chain verifies, 2 when it is broken, 1 on any other error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var (
				src  audit.Reader
				keys audit.Keyring
			)
			if file != "" {
				ra, size, closeFile, err := openExportFile(cmd.InOrStdin(), file)
				if err != nil {
					return err
				}
				defer closeFile()
				ef, err := audit.OpenExport(ra, size)
				if err != nil {
					return err
				}
				if len(f.publicKeys) > 0 {
					if keys, err = f.keyring(ctx, nil); err != nil {
						return err
					}
				} else {
					if keys, err = ef.Keyring(); err != nil {
						return err
					}
					fmt.Fprintln(cmd.ErrOrStderr(), "warning: checking signatures against the public key written in the file itself; pass --public-key to pin the deployment's key")
				}
				src = ef
			} else {
				st, err := f.openStore(ctx)
				if err != nil {
					return err
				}
				defer st.Close()
				if keys, err = f.keyring(ctx, st); err != nil {
					return err
				}
				src = st
			}
			var opts audit.VerifyOptions
			if witness != "" {
				wl, err := readWitnessFile(witness, keys)
				if err != nil {
					return err
				}
				opts.Witness = &wl
			}
			rep, err := audit.VerifyWith(ctx, src, keys, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			now := time.Now()
			if asJSON {
				j := reportJSON{OK: rep.OK(), Records: rep.Records, FirstSeq: rep.FirstSeq, LastSeq: rep.LastSeq, Checkpoints: rep.Checkpoints,
					LastCheckpoint: rep.LastCheckpoint, Unsigned: rep.Unsigned, Witness: rep.Witness, Prunes: rep.Prunes,
					Break: rep.Break, Problems: rep.Problems}
				if j.Prunes == nil {
					j.Prunes = []audit.Prune{}
				}
				if j.Problems == nil {
					j.Problems = []audit.Break{}
				}
				if len(rep.LastHash) > 0 {
					j.LastHash = hex.EncodeToString(rep.LastHash)
				}
				if !rep.UnsignedSince.IsZero() {
					since, age := rep.UnsignedSince, now.Sub(rep.UnsignedSince).Seconds()
					j.UnsignedSince, j.UnsignedAgeSec = &since, &age
				}
				if rep.Witness != nil {
					j.WitnessedSize = rep.Witness.Size
				} else {
					j.NotDetectable = audit.NotDetectableWithoutWitness
				}
				for _, k := range keys {
					j.Keys = append(j.Keys, k.KeyID)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(j); err != nil {
					return err
				}
			} else {
				printReport(out, &rep, now)
			}
			if rep.Break != nil {
				return brokenChainError{rep.Break}
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&file, "file", "", "verify this export file (written by audit export; - for standard input) instead of the database")
	cmd.Flags().StringVar(&witness, "witness", defaultWitnessFile(),
		"witness log to compare with: the file every checkpoint was appended to (default: "+audit.EnvWitness+" when it names a file), or a URL witness's downloaded log")
	return cmd
}

// defaultWitnessFile is the witness of the environment when it is a file.
func defaultWitnessFile() string {
	w := strings.TrimSpace(os.Getenv(audit.EnvWitness))
	if strings.Contains(w, "://") {
		return ""
	}
	return w
}

// readWitnessFile reads and checks a witness log.
func readWitnessFile(name string, keys audit.Keyring) (audit.WitnessLog, error) {
	fh, err := os.Open(name)
	if err != nil {
		return audit.WitnessLog{}, fmt.Errorf("audit verify: --witness: %w", err)
	}
	defer fh.Close()
	wl, err := audit.ReadWitnessLog(fh, keys)
	if err != nil {
		return wl, fmt.Errorf("audit verify: the witness log %s cannot be trusted: %w", name, err)
	}
	return wl, nil
}

// openExportFile opens an export for random access: a regular file as it
// is, standard input ("-") or a pipe read into memory.
func openExportFile(stdin io.Reader, name string) (io.ReaderAt, int64, func(), error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("audit verify: reading standard input: %w", err)
		}
		return bytes.NewReader(b), int64(len(b)), func() {}, nil
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("audit verify: %w", err)
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, nil, fmt.Errorf("audit verify: %w", err)
	}
	if fi.Mode().IsRegular() {
		return fh, fi.Size(), func() { fh.Close() }, nil
	}
	b, err := io.ReadAll(fh)
	fh.Close()
	if err != nil {
		return nil, 0, nil, fmt.Errorf("audit verify: reading %s: %w", name, err)
	}
	return bytes.NewReader(b), int64(len(b)), func() {}, nil
}

func printReport(w io.Writer, rep *audit.Report, now time.Time) {
	if rep.Break != nil {
		fmt.Fprintf(w, "audit chain BROKEN: %d problem(s), the first at record %d\n", len(rep.Problems), rep.Break.Seq)
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  record %d: %s: %s\n", p.Seq, p.Kind, p.Detail)
		}
		fmt.Fprintf(w, "read %d records and %d checkpoints; ", rep.Records, rep.Checkpoints)
		if rep.LastCheckpoint > 0 {
			fmt.Fprintf(w, "the last checkpoint that verified before the break is at record %d\n", rep.LastCheckpoint)
		} else {
			fmt.Fprintln(w, "no checkpoint verified before the break")
		}
	} else if rep.Records == 0 {
		fmt.Fprintln(w, "audit chain OK: empty (no records yet)")
	} else {
		fmt.Fprintf(w, "audit chain OK: %d records (%d to %d), %d checkpoints, last record %d (hash %x)\n",
			rep.Records, rep.FirstSeq, rep.LastSeq, rep.Checkpoints, rep.LastSeq, rep.LastHash)
		if rep.Unsigned > 0 {
			fmt.Fprintf(w, "unsigned tail: %d record(s) after the last checkpoint (record %d), the oldest from %s (%s ago): protected by the hash chain only until the next checkpoint\n",
				rep.Unsigned, rep.LastCheckpoint, rep.UnsignedSince.Format(time.RFC3339), now.Sub(rep.UnsignedSince).Round(time.Second))
		} else {
			fmt.Fprintf(w, "unsigned tail: none; every record is covered by a signed checkpoint (last at record %d)\n", rep.LastCheckpoint)
		}
	}
	if len(rep.Prunes) == 0 {
		fmt.Fprintln(w, "prunes: none (the chain starts at record 1)")
	}
	for _, p := range rep.Prunes {
		fmt.Fprintf(w, "prune accepted: records %d to %d removed on %s under a %d-month audit retention (prune record %d)\n",
			p.FromSeq, p.ToSeq, p.Time.Format(time.DateOnly), p.RetentionMonths, p.Seq)
	}
	if wr := rep.Witness; wr != nil {
		if wr.Size == 0 {
			fmt.Fprintln(w, "witness: holds no checkpoint yet")
		} else {
			fmt.Fprintf(w, "witness: %d checkpoint(s), the latest of %d records signed %s; %d signed record(s) not yet witnessed (lag), %d record(s) after the witnessed size\n",
				wr.Checkpoints, wr.Size, wr.At.Format(time.RFC3339), wr.Lag, wr.Unwitnessed)
		}
		if wr.TornTail {
			fmt.Fprintln(w, "witness: the log ends in an incomplete entry (a write cut short); it was ignored")
		}
		return
	}
	fmt.Fprintf(w, "no witness given (--witness or %s): from the database alone, verify cannot detect\n", audit.EnvWitness)
	for _, s := range audit.NotDetectableWithoutWitness {
		fmt.Fprintf(w, "  - %s\n", s)
	}
}

func newAuditExportCmd() *cobra.Command {
	var (
		f   auditFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the audit chain as JSON lines for an auditor, with the signing public key",
		Long: `export writes the audit trail as JSON lines: a header with the Ed25519 public
key(s) (base64) and key id(s) and how hashes and signatures are computed, then
every record (its canonical body byte for byte, with its hash) followed by the
checkpoints that sign it. An auditor can check the file with SHA-256 and
Ed25519 alone, or with ` + "`intercom-privacy audit verify --public-key`" + ` against the database.

Records hold no personal data, so neither does the export. export does not
verify: run ` + "`audit verify`" + ` for that. The file is created with mode 0600;
an existing file is replaced only when the export completes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := f.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			keys, err := f.keyring(ctx, st)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				return audit.Export(ctx, st, cmd.OutOrStdout(), keys)
			}
			// Replaced only once the export is complete: a failed export never
			// leaves a partial file, nor destroys the one that was there.
			return writeOutFile("--out", out, true, func(w io.Writer) error {
				return audit.Export(ctx, st, w, keys)
			})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
}
