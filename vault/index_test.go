package vault

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		kind      IndexKind
		in, want  string
		wantError error
	}{
		{KindEmail, "  Ada.Lovelace@Example.COM \n", "ada.lovelace@example.com", nil},
		{KindEmail, "ÉLODIE@exemple.fr", "élodie@exemple.fr", nil},
		{KindEmail, " \t", "", ErrEmptyValue},
		{KindPhone, "+44 (0)20 7946 0958", "+442079460958", nil},
		{KindPhone, "+1 (555) 123-4567", "+15551234567", nil},
		{KindPhone, "0044 20 7946 0958", "+442079460958", nil},
		{KindPhone, "020 7946 0958", "02079460958", nil},
		{KindPhone, "+1 555 123 4567 ext. 89", "+15551234567", nil},
		{KindPhone, "＋４４ ２０ ７９４６ ０９５８", "+442079460958", nil}, // full-width
		{KindPhone, "+", "", ErrEmptyValue},
		{KindPhone, "0044 (0)20 7946 0958", "+442079460958", nil},
		{KindPhone, "(0)0", "", ErrEmptyValue},
		{KindPhone, "(0)01", "+1", nil},
		{KindPhone, "call me", "", ErrEmptyValue},
		{KindExternalID, "  User-42 ", "User-42", nil},
		{KindContactID, " 65f0c1 ", "65f0c1", nil},
		{KindName, "  Ada   LOVELACE\t", "ada lovelace", nil},
		{KindName, "Ｊｏｓé", "josé", nil},               // NFKC folds full-width
		{KindName, "Jose\u0301", "josé", nil},         // combining accent composed
		{KindName, "ﬁona", "fiona", nil},              // ligature
		{IndexKind("ssn"), "123", "", ErrUnknownKind}, // unknown kind
		{KindEmail, "bad\xffutf8@example.com", "", ErrInvalidValue},
	} {
		got, err := Normalize(c.kind, c.in)
		if c.wantError != nil {
			if !errors.Is(err, c.wantError) {
				t.Errorf("Normalize(%s, %q) err = %v, want %v", c.kind, c.in, err, c.wantError)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.kind, c.in, got, err, c.want)
		}
	}
}

func TestBlindIndexAndSubjectRef(t *testing.T) {
	ctx := context.Background()
	v, ks, m := newTestVault(t)
	a, err := v.BlindIndex(KindEmail, "Ada@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := v.BlindIndex(KindEmail, "  ada@example.COM ")
	if !bytes.Equal(a, b) || len(a) != BlindIndexSize {
		t.Fatal("equal emails give different indexes")
	}
	c, _ := v.BlindIndex(KindEmail, "ada@example.org")
	if bytes.Equal(a, c) {
		t.Fatal("different emails give the same index")
	}
	// Domain separation by kind.
	asExt, _ := v.BlindIndex(KindExternalID, "ada@example.com")
	if bytes.Equal(a, asExt) {
		t.Fatal("the same string gives the same index as an email and as an external id")
	}
	ref, err := v.SubjectRef(KindEmail, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ref) {
		t.Fatalf("subject ref %q is not 64 lower-case hex", ref)
	}
	if ref == hex.EncodeToString(a) {
		t.Fatal("subject reference equals the blind index")
	}
	ps, err := v.Pseudonym(KindEmail, "ada@example.com")
	if err != nil || len(ps) != 16 || strings.HasPrefix(ref, ps) {
		t.Fatalf("pseudonym %q, %v", ps, err)
	}
	// Keyed: not a plain hash, stable across Open, different under other keys.
	v2, _ := Open(ctx, ks, m)
	if a2, _ := v2.BlindIndex(KindEmail, "ada@example.com"); !bytes.Equal(a, a2) {
		t.Fatal("blind index changed across Open")
	}
	if r2, _ := v2.SubjectRef(KindEmail, "ada@example.com"); r2 != ref {
		t.Fatal("subject ref changed across Open")
	}
	other := &MemoryKeyStore{}
	if err := Init(ctx, other, m); err != nil {
		t.Fatal(err)
	}
	v3, _ := Open(ctx, other, m)
	if a3, _ := v3.BlindIndex(KindEmail, "ada@example.com"); bytes.Equal(a, a3) {
		t.Fatal("blind index does not depend on the key")
	}
	if _, err := v.BlindIndex(KindEmail, "  "); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("empty value: %v", err)
	}
	if _, err := v.SubjectRef("nope", "x"); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Ada@Example.com", "+44 (0)20 7946 0958", "0044 1", "Ｊｏｓé", "ﬁ", "\xff", "", " + ", "ext 5", "(0)0", "0(0)0", "+(0)"} {
		f.Add(s)
	}
	kinds := []IndexKind{KindEmail, KindPhone, KindExternalID, KindName, KindContactID}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range kinds {
			n, err := Normalize(k, s)
			if err != nil {
				if !errors.Is(err, ErrEmptyValue) && !errors.Is(err, ErrInvalidValue) {
					t.Fatalf("%s: unexpected error %v", k, err)
				}
				if len(s) >= 4 && strings.Contains(err.Error(), s) {
					t.Fatalf("%s: error echoes the value", k)
				}
				continue
			}
			if n == "" || !utf8.ValidString(n) {
				t.Fatalf("%s: Normalize(%q) = %q", k, s, n)
			}
			// Idempotent: a normalised value normalises to itself.
			if n2, err := Normalize(k, n); err != nil || n2 != n {
				t.Fatalf("%s: not idempotent: %q -> %q -> %q (%v)", k, s, n, n2, err)
			}
		}
	})
}
