package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// FuzzDecrypt feeds arbitrary ciphertexts and associated data to Decrypt: it must
// never panic, and must only succeed for the genuine ciphertext under the genuine
// associated data.
func FuzzDecrypt(f *testing.F) {
	v, _, _ := newTestVault(f)
	ctx := context.Background()
	genuine, err := v.Encrypt(ctx, "fuzz-person", aadEmail, []byte("secret value"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine, "contacts", "email", "c1")
	f.Add(genuine[:5], "contacts", "email", "c1")
	f.Add([]byte{}, "t", "c", "r")
	f.Add([]byte{1, 0, 0, 0, 0}, "contacts", "email", "c2")
	f.Fuzz(func(t *testing.T, ct []byte, table, column, row string) {
		aad := AAD{table, column, row}
		pt, err := v.Decrypt(ctx, "fuzz-person", aad, ct)
		if err == nil {
			if !bytes.Equal(ct, genuine) || aad != aadEmail || string(pt) != "secret value" {
				t.Fatalf("a forged ciphertext decrypted")
			}
			return
		}
		if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrInvalidAAD) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzAADEncode checks that the encoding of the associated data is injective.
func FuzzAADEncode(f *testing.F) {
	f.Add("a", "bc", "d", "ab", "c", "d")
	f.Add("t", "c", "r", "t", "c", "r")
	f.Add("", "\x00\x00\x00\x01", "", "\x00", "", "")
	f.Fuzz(func(t *testing.T, t1, c1, r1, t2, c2, r2 string) {
		a, b := AAD{t1, c1, r1}, AAD{t2, c2, r2}
		if (a == b) != bytes.Equal(a.Encode(), b.Encode()) {
			t.Fatalf("%q and %q: equal=%v, encodings equal=%v", a, b, a == b, bytes.Equal(a.Encode(), b.Encode()))
		}
	})
}
