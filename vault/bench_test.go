package vault

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{32, 1024}

// BenchmarkEncrypt: one field, warm person-key cache.
func BenchmarkEncrypt(b *testing.B) {
	v, _, _ := newTestVault(b)
	ctx := context.Background()
	for _, n := range benchSizes {
		pt := bytes.Repeat([]byte("x"), n)
		if _, err := v.Encrypt(ctx, "bench", aadEmail, pt); err != nil { // warm the cache
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Encrypt(ctx, "bench", aadEmail, pt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt: one field, warm person-key cache.
func BenchmarkDecrypt(b *testing.B) {
	v, _, _ := newTestVault(b)
	ctx := context.Background()
	for _, n := range benchSizes {
		ct, err := v.Encrypt(ctx, "bench", aadEmail, bytes.Repeat([]byte("x"), n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Decrypt(ctx, "bench", aadEmail, ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecryptNoCache: one 32-byte field with the cache disabled, so every call
// loads the wrapped key from the (in-memory) store and unwraps it: the cost the cache
// saves.
func BenchmarkDecryptNoCache(b *testing.B) {
	v, _, _ := newTestVault(b, WithCacheSize(0))
	ctx := context.Background()
	ct, err := v.Encrypt(ctx, "bench", aadEmail, bytes.Repeat([]byte("x"), 32))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Decrypt(ctx, "bench", aadEmail, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlindIndex: normalise and HMAC one e-mail address.
func BenchmarkBlindIndex(b *testing.B) {
	v, _, _ := newTestVault(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.BlindIndex(KindEmail, "  Ada.Lovelace@Example.com "); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubjectRef: normalise, HMAC and hex-encode one e-mail address.
func BenchmarkSubjectRef(b *testing.B) {
	v, _, _ := newTestVault(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.SubjectRef(KindEmail, "ada.lovelace@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewrap: the re-wrap pass of a rotation over 2,000 person keys in a
// MemoryKeyStore (batches of 500); reports person keys re-wrapped per second.
func BenchmarkRewrap(b *testing.B) {
	const people = 2000
	v, ks, _ := newTestVault(b)
	ctx := context.Background()
	for i := range people {
		if _, err := v.Encrypt(ctx, fmt.Sprintf("p%05d", i), aadEmail, []byte("x")); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := v.Rotate(ctx, nil, 500, nil); err != nil { // a second KEK key
		b.Fatal(err)
	}
	rewrapped := 0
	for b.Loop() {
		b.StopTimer()
		ks.mu.Lock() // mark every key stale, as after a crash right after the keyset save
		for id, k := range ks.people {
			k.KEKVersion = 0
			ks.people[id] = k
		}
		ks.mu.Unlock()
		b.StartTimer()
		res, err := v.Rotate(ctx, nil, 500, nil)
		if err != nil || !res.Resumed || res.Rewrapped != people {
			b.Fatalf("%+v, %v", res, err)
		}
		rewrapped += res.Rewrapped
	}
	b.ReportMetric(float64(rewrapped)/b.Elapsed().Seconds(), "keys/s")
}
