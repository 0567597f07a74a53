package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// benchPerson is a realistic minimal contact in clear: the sizes of a typical
// email, name, phone, external id and a few allow-listed custom attributes.
func benchPerson(i int) (email, name, phone, extID, attrs string) {
	return fmt.Sprintf("person.%07d@example-company.com", i), fmt.Sprintf("Firstname Lastname%07d", i),
		fmt.Sprintf("+4478%08d", i), fmt.Sprintf("usr_%010d", i),
		fmt.Sprintf(`{"plan":"enterprise","seats":%d,"region":"emea","trial":false,"account_tier":"gold"}`, i%500)
}

// BenchmarkContactWrites measures cached-contact upserts per second on a store,
// side by side in one run:
//
//   - plain: the same fields written unencrypted (the baseline);
//   - encrypted: five fields encrypted with the vault (AES-256-GCM under a
//     per-person key created on first use, as in a first sync) and three blind
//     indexes, then written;
//   - encrypted-keys-exist: the same, with every person key created before the
//     clock starts (a re-sync: the cost of the field encryption alone).
//
// Each is measured one contact per auto-commit statement ("single") and 100
// contacts per transaction ("batch100"). The contacts/s metric is reported.
func BenchmarkContactWrites(b *testing.B, open func(testing.TB) store.Store) {
	ctx := context.Background()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	master, err := vault.NewLocalMasterKey(raw)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"plain", "encrypted", "encrypted-keys-exist"} {
		for _, batch := range []int{1, 100} {
			name := mode + "/single"
			if batch > 1 {
				name = fmt.Sprintf("%s/batch%d", mode, batch)
			}
			b.Run(name, func(b *testing.B) {
				st := open(b)
				var v *vault.Vault
				if mode != "plain" {
					if err := vault.Init(ctx, st, master); err != nil {
						b.Fatal(err)
					}
					if v, err = vault.Open(ctx, st, master); err != nil {
						b.Fatal(err)
					}
				}
				build := func(ks vault.KeyStore, i int) (store.CachedContact, error) {
					email, nm, phone, ext, attrs := benchPerson(i)
					c := store.CachedContact{IntercomID: fmt.Sprintf("%024x", i), Role: "user"}
					if v == nil {
						c.PersonKeyID = fmt.Sprintf("p%d", i)
						c.EmailEnc, c.NameEnc, c.PhoneEnc, c.ExternalIDEnc, c.AttributesEnc =
							[]byte(email), []byte(nm), []byte(phone), []byte(ext), []byte(attrs)
						c.EmailIdx, c.PhoneIdx, c.ExternalIDIdx = []byte(email), []byte(phone), []byte(ext)
						return c, nil
					}
					vv := v.With(ks)
					ref, err := vv.SubjectRef(vault.KindEmail, email)
					if err != nil {
						return c, err
					}
					c.PersonKeyID = ref
					for _, f := range []struct {
						col string
						in  string
						out *[]byte
					}{{"email", email, &c.EmailEnc}, {"name", nm, &c.NameEnc}, {"phone", phone, &c.PhoneEnc},
						{"external_id", ext, &c.ExternalIDEnc}, {"attributes", attrs, &c.AttributesEnc}} {
						ct, err := vv.Encrypt(ctx, ref, vault.AAD{Table: "cached_contacts", Column: f.col, Row: c.IntercomID}, []byte(f.in))
						if err != nil {
							return c, err
						}
						*f.out = ct
					}
					for _, f := range []struct {
						kind vault.IndexKind
						in   string
						out  *[]byte
					}{{vault.KindEmail, email, &c.EmailIdx}, {vault.KindPhone, phone, &c.PhoneIdx},
						{vault.KindExternalID, ext, &c.ExternalIDIdx}} {
						if *f.out, err = vv.BlindIndex(f.kind, f.in); err != nil {
							return c, err
						}
					}
					return c, nil
				}
				if mode == "encrypted-keys-exist" {
					for i := range b.N {
						email, _, _, _, _ := benchPerson(i)
						ref, err := v.SubjectRef(vault.KindEmail, email)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := v.Encrypt(ctx, ref, vault.AAD{Table: "t", Column: "c", Row: "r"}, nil); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					n := min(batch, b.N-i)
					var err error
					if batch == 1 {
						var c store.CachedContact
						if c, err = build(st, i); err == nil {
							err = st.UpsertContact(ctx, c)
						}
					} else {
						err = st.InTx(ctx, func(tx store.Tx) error {
							for j := range n {
								c, err := build(tx, i+j)
								if err != nil {
									return err
								}
								if err := tx.UpsertContact(ctx, c); err != nil {
									return err
								}
							}
							return nil
						})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "contacts/s")
			})
		}
	}
}

// BenchmarkAuditRecords measures how fast Store.Records streams the audit chain
// (what `audit verify` reads): it appends n records of a realistic size once,
// then reads them all per iteration and reports records/s.
func BenchmarkAuditRecords(b *testing.B, open func(testing.TB) store.Store, n int) {
	ctx := context.Background()
	st := open(b)
	body := make([]byte, 420) // the size of a typical canonical record body
	_, _ = rand.Read(body)
	hash := make([]byte, 32)
	const perTx = 20000
	for start := 1; start <= n; start += perTx {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for seq := start; seq < start+perTx && seq <= n; seq++ {
				if err := tx.InsertRecord(ctx, audit.StoredRecord{Seq: int64(seq), Time: time.Now(), Action: "request.completed",
					RequestID: "req_0123456789abcdef0123456789abcdef", SubjectRef: fmt.Sprintf("%064x", seq),
					Body: body, PrevHash: hash, Hash: hash}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		count := 0
		for _, err := range st.Records(ctx, 1) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("read %d records, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
