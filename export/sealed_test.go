package export

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/vault"
)

func testVault(t testing.TB) *vault.Vault {
	t.Helper()
	ctx := context.Background()
	raw := make([]byte, vault.MasterKeySize)
	rand.Read(raw)
	mk, err := vault.NewLocalMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	ks := &vault.MemoryKeyStore{}
	if err := vault.Init(ctx, ks, mk); err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(ctx, ks, mk)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func seal(t testing.TB, v *vault.Vault, blobID string, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := newSealWriter(context.Background(), v, "export:test", blobID, &out)
	// Uneven writes across segment boundaries.
	for len(data) > 0 {
		n := min(len(data), 333_333)
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func unseal(v *vault.Vault, blobID string, sealed []byte) ([]byte, error) {
	u := newUnsealReader(bytes.NewReader(sealed), blobID, func(aad vault.AAD, ct []byte) ([]byte, error) {
		return v.Decrypt(context.Background(), "export:test", aad, ct)
	})
	return io.ReadAll(u)
}

// segments splits a sealed stream into its segments (test helper; trusts input).
func segments(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 5 {
		n := int(binary.BigEndian.Uint32(b[1:5]))
		out = append(out, b[:5+n])
		b = b[5+n:]
	}
	return out
}

func TestSealRoundTrip(t *testing.T) {
	v := testVault(t)
	for _, size := range []int{0, 1, segmentSize - 1, segmentSize, segmentSize + 1, 3*segmentSize + 17} {
		data := make([]byte, size)
		rand.Read(data)
		sealed := seal(t, v, "blob_a", data)
		got, err := unseal(v, "blob_a", sealed)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: %v (got %d bytes)", size, err, len(got))
		}
		if want := max(1, (size+segmentSize-1)/segmentSize); len(segments(sealed)) != want {
			t.Fatalf("size %d: %d segments, want %d", size, len(segments(sealed)), want)
		}
	}
}

func TestSealRefusesTampering(t *testing.T) {
	v := testVault(t)
	data := make([]byte, 2*segmentSize+100)
	rand.Read(data)
	sealed := seal(t, v, "blob_a", data)
	segs := segments(sealed)
	cases := map[string][]byte{
		"other blob":       nil,
		"last dropped":     bytes.Join(segs[:2], nil),
		"reordered":        bytes.Join([][]byte{segs[1], segs[0], segs[2]}, nil),
		"segment dropped":  bytes.Join([][]byte{segs[0], segs[2]}, nil),
		"cut mid-segment":  sealed[:len(sealed)-10],
		"trailing garbage": append(bytes.Clone(sealed), 0),
		"flag flipped":     func() []byte { c := bytes.Clone(sealed); c[0] = segLast; return c }(),
		"bit flipped":      func() []byte { c := bytes.Clone(sealed); c[100] ^= 1; return c }(),
		"empty":            {},
	}
	for name, b := range cases {
		id := "blob_a"
		if name == "other blob" {
			b, id = sealed, "blob_b"
		}
		if _, err := unseal(v, id, b); !errors.Is(err, ErrSealed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSealShredded(t *testing.T) {
	ctx := context.Background()
	v := testVault(t)
	sealed := seal(t, v, "blob_a", []byte("user_id\n1\n"))
	if ok, err := v.DestroyPersonKey(ctx, nil, "export:test"); err != nil || !ok {
		t.Fatalf("destroy: %v %v", ok, err)
	}
	if _, err := unseal(v, "blob_a", sealed); !errors.Is(err, ErrSealed) {
		t.Fatalf("after the key is destroyed: %v", err)
	}
}

// FuzzUnseal feeds arbitrary bytes to the segment reader with a fake cipher (the
// ciphertext is the AAD's row followed by the plaintext): it must never panic,
// never allocate past the segment bound, and never return data without a last
// segment followed by the end of the stream.
func FuzzUnseal(f *testing.F) {
	fake := func(aad vault.AAD, ct []byte) ([]byte, error) {
		p := []byte(aad.Row)
		if !bytes.HasPrefix(ct, p) {
			return nil, errors.New("bad")
		}
		return ct[len(p):], nil
	}
	mk := func(segs ...[]byte) []byte {
		var b []byte
		for i, s := range segs {
			flag := byte(segMore)
			if i == len(segs)-1 {
				flag = segLast
			}
			ct := append([]byte(segmentAAD("b", i, flag).Row), s...)
			b = append(b, flag)
			b = binary.BigEndian.AppendUint32(b, uint32(len(ct)))
			b = append(b, ct...)
		}
		return b
	}
	f.Add(mk([]byte("hello")))
	f.Add(mk([]byte("a"), []byte("b"), nil))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		u := newUnsealReader(bytes.NewReader(b), "b", fake)
		got, err := io.ReadAll(u)
		if err != nil {
			if !errors.Is(err, ErrSealed) {
				t.Fatalf("error not ErrSealed: %v", err)
			}
			return
		}
		// Success means the stream re-encodes to exactly the input.
		var segs [][]byte
		for rest := b; len(rest) > 0; {
			n := int(binary.BigEndian.Uint32(rest[1:5]))
			ct := rest[5 : 5+n]
			row := segmentAAD("b", len(segs), rest[0]).Row
			segs = append(segs, ct[len(row):])
			rest = rest[5+n:]
		}
		if !bytes.Equal(mk(segs...), b) || !bytes.Equal(bytes.Join(segs, nil), got) {
			t.Fatalf("accepted a stream that is not a well-formed sealed file")
		}
	})
}
