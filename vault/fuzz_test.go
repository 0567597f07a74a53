package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tink-crypto/tink-go/v2/keyset"
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

// FuzzOpenKeyset stores arbitrary bytes as a keyset: Open must fail with a typed
// error naming the keyset, never panic.
func FuzzOpenKeyset(f *testing.F) {
	_, ks, m := newTestVault(f)
	for _, name := range []string{KeysetKEK, KeysetIndex, KeysetAuditSigning} {
		f.Add(ks.keysets[name], uint8(0))
	}
	f.Add([]byte{}, uint8(1))
	f.Add([]byte{0x12, 0x00}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := keysetSpecs[int(which)%len(keysetSpecs)].name
		mem := &MemoryKeyStore{}
		for k, b := range ks.keysets {
			setKeyset(mem, k, b)
		}
		setKeyset(mem, name, data)
		_, err := Open(context.Background(), mem, m)
		if err == nil {
			// Accepted only if it is a keyset genuinely encrypted under the master
			// key for this name (the seeds may come from another process's vault,
			// made under the same fixed test master key).
			enc, perr := keyset.NewBinaryReader(bytes.NewReader(data)).ReadEncrypted()
			if perr != nil {
				t.Fatal("an unparsable keyset was accepted")
			}
			if _, derr := m.Decrypt(enc.GetEncryptedKeyset(), keysetAD(name)); derr != nil {
				t.Fatal("a keyset not encrypted under the master key was accepted")
			}
			return
		}
		var ke *KeysetError
		if !errors.As(err, &ke) || ke.Keyset != name {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzWrappedKey stores arbitrary bytes as a person's wrapped key: Decrypt must
// fail with ErrKeyUnwrap, never panic.
func FuzzWrappedKey(f *testing.F) {
	v, ks, m := newTestVault(f)
	ctx := context.Background()
	ct, err := v.Encrypt(ctx, "fuzz", aadEmail, []byte("x"))
	if err != nil {
		f.Fatal(err)
	}
	genuine, _ := ks.LoadPersonKey(ctx, "fuzz")
	f.Add(genuine.Wrapped)
	f.Add([]byte{})
	f.Add(genuine.Wrapped[:len(genuine.Wrapped)/2])
	f.Fuzz(func(t *testing.T, wrapped []byte) {
		mem := &MemoryKeyStore{}
		for k, b := range ks.keysets {
			setKeyset(mem, k, b)
		}
		mem.CreatePersonKey(ctx, PersonKey{ID: "fuzz", Wrapped: wrapped, KEKVersion: genuine.KEKVersion})
		fresh, err := Open(ctx, mem, m)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := fresh.Decrypt(ctx, "fuzz", aadEmail, ct)
		if err == nil {
			if !bytes.Equal(wrapped, genuine.Wrapped) || string(pt) != "x" {
				t.Fatal("a forged wrapped key opened the data")
			}
			return
		}
		if !errors.Is(err, ErrKeyUnwrap) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
