package users

import (
	"strings"
	"testing"
	"time"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery staple", cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoding %q", h)
	}
	if !VerifyPassword(h, "correct horse battery staple") || VerifyPassword(h, "correct horse battery stapl") {
		t.Fatal("verify")
	}
	if h2 := HashPassword("correct horse battery staple", cheap); h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if NeedsRehash(h, cheap) || !NeedsRehash(h, DefaultParams) || !NeedsRehash("garbage", cheap) {
		t.Fatal("NeedsRehash")
	}
	parsed, err := ParseHash(h)
	if err != nil || parsed.String() != h {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
	if err := CheckPassword("tiny1"); err == nil || strings.Contains(err.Error(), "tiny1") {
		t.Fatalf("CheckPassword: %v (must refuse, never repeating the password)", err)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(HashPassword("pw", cheap))
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=01,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			return
		}
		// Whatever parses is within the limits and encodes back to itself.
		if h.Params.Memory > maxMemory || h.Params.Time > maxTime || h.Params.Threads == 0 {
			t.Fatalf("accepted out-of-range parameters %+v", h.Params)
		}
		if h.String() != s {
			t.Fatalf("%q re-encodes as %q", s, h.String())
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	s, _ := newSecret(SessionPrefix)
	tok, _ := newSecret(TokenPrefix)
	f.Add(s)
	f.Add(tok)
	f.Add(SessionPrefix)
	f.Add(SessionPrefix + strings.Repeat("A", 43))
	f.Add(SessionPrefix + strings.Repeat("_", 42) + "=")
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range []string{SessionPrefix, TokenPrefix} {
			h, err := ParseSecret(p, in)
			if err != nil {
				if err != ErrMalformedSecret {
					t.Fatalf("error %v is not ErrMalformedSecret", err)
				}
				continue
			}
			if len(h) != 32 || !strings.HasPrefix(in, p) || len(in) != len(p)+43 {
				t.Fatalf("accepted %q", in)
			}
		}
	})
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "k7c2x-9fh3q", "K7C2X 9FH3Q", "12345", "1234567", "k7c2x-9fh3l", "１２３４５６", "abc\x00def"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := NormalizeCode(in)
		if c == "" {
			return
		}
		if !isTOTPCode(c) && !isRecoveryCode(c) {
			t.Fatalf("%q normalised to %q, neither form", in, c)
		}
		if NormalizeCode(c) != c {
			t.Fatalf("not idempotent: %q", c)
		}
		if _, ok := matchTOTP("JBSWY3DPEHPK3PXP", c, time.Unix(1e9, 0)); ok && !isTOTPCode(c) {
			t.Fatal("a recovery-shaped code matched as TOTP")
		}
	})
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"90d", "12h", "never", "", "0d", "-1h", "99999999d", "1.5h", "30s", "1826d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseExpiry(in)
		if err != nil {
			if strings.Contains(err.Error(), in) && len(in) > 3 {
				t.Fatalf("error repeats the input: %v", err)
			}
			return
		}
		if d != 0 && (d < time.Minute || d > MaxTokenLifetime) {
			t.Fatalf("%q accepted as %v", in, d)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	shown, hashes := newRecoveryCodes(RecoveryCodes)
	seen := map[string]bool{}
	for i, c := range shown {
		n := NormalizeCode(c)
		if !isRecoveryCode(n) || seen[n] || string(recoveryHash(n)) != string(hashes[i]) {
			t.Fatalf("code %d: %q", i, c)
		}
		seen[n] = true
	}
}

func TestMatchTOTPSkew(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	secret := "JBSWY3DPEHPK3PXP"
	for d, want := range map[time.Duration]bool{-30 * time.Second: true, 0: true, 30 * time.Second: true, 90 * time.Second: false, -90 * time.Second: false} {
		code, err := totpCodeAt(secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := matchTOTP(secret, code, now); ok != want {
			t.Errorf("code from %v away: %v, want %v", d, ok, want)
		}
	}
}
