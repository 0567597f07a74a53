package intake

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != TokenLen {
		t.Fatalf("tokens %q %q", a, b)
	}
	ha, err := ParseToken(a)
	if err != nil {
		t.Fatal(err)
	}
	if hb, _ := ParseToken(b); bytes.Equal(ha, hb) {
		t.Fatal("two tokens, one digest")
	}
	for _, bad := range []string{"", a[:42], a + "A", strings.Repeat("!", 43), a[:42] + "=", "../../../../etc/passwd" + strings.Repeat("a", 21)} {
		if _, err := ParseToken(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%q accepted", bad)
		}
	}
	for in, want := range map[string]string{"123456": "123456", "123 456": "123456", "12-34-56": "123456"} {
		if got, err := ParseCode(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦"} {
		if _, err := ParseCode(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("code %q accepted", bad)
		}
	}
	if c := NewCode(); len(c) != CodeLen {
		t.Fatal(c)
	}
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{NewToken(), "", "abc", strings.Repeat("_", 43), strings.Repeat("-", 44)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseToken(s)
		if err != nil {
			return
		}
		if len(h) != 32 || len(s) != TokenLen {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", "12 34 56", "", "9999999", "12-3456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err == nil && (len(c) != CodeLen || strings.Trim(c, "0123456789") != "") {
			t.Fatalf("%q -> %q", s, c)
		}
	})
}

func FuzzParseFields(f *testing.F) {
	for _, s := range []string{"type=access&email=a%40b.example", "email=%zz", "type=a&type=b", "", "website=x&phone=%2B1+555"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := parseFields(body)
		if err != nil {
			return
		}
		if strings.TrimSpace(form.Email) != form.Email || strings.TrimSpace(form.Type) != form.Type {
			t.Fatalf("untrimmed: %+v", form)
		}
	})
}
