package vault_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/vault"
)

// A person's email is encrypted under the person's own data key, bound to its table,
// column and row, found again through its blind index, and crypto-shredded.
func Example() {
	ctx := context.Background()
	text, _ := vault.GenerateMasterKey() // normally INTERCOM_PRIVACY_MASTER_KEY
	master, _ := vault.ParseMasterKey(text)
	ks := &vault.MemoryKeyStore{} // normally the store (SQLite or PostgreSQL)
	if err := vault.Init(ctx, ks, master); err != nil {
		fmt.Println(err)
		return
	}
	v, err := vault.Open(ctx, ks, master)
	if err != nil {
		fmt.Println(err)
		return
	}

	personKey, _ := v.SubjectRef(vault.KindEmail, "Ada@Example.com")
	aad := vault.AAD{Table: "cached_contacts", Column: "email", Row: "contact-1"}
	ct, _ := v.Encrypt(ctx, personKey, aad, []byte("ada@example.com"))
	idx, _ := v.BlindIndex(vault.KindEmail, " ADA@example.com")

	pt, _ := v.Decrypt(ctx, personKey, aad, ct)
	fmt.Printf("decrypted: %s; index %d bytes; subject ref %d hex digits\n", pt, len(idx), len(personKey))

	_, err = v.Decrypt(ctx, personKey, vault.AAD{Table: "cached_contacts", Column: "email", Row: "contact-2"}, ct)
	fmt.Println("moved to another row:", errors.Is(err, vault.ErrDecrypt))

	_, _ = v.DestroyPersonKey(ctx, nil, personKey)
	_, err = v.Decrypt(ctx, personKey, aad, ct)
	fmt.Println("after erasure:", errors.Is(err, vault.ErrShredded))
	// Output:
	// decrypted: ada@example.com; index 32 bytes; subject ref 64 hex digits
	// moved to another row: true
	// after erasure: true
}
