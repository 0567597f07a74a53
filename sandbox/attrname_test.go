package sandbox

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// attrNameExpr is the expression validAttrName writes out; the test keeps
// it as the reference.
var attrNameExpr = regexp.MustCompile(`^[\p{L}\p{N}\p{Sc} _-]{1,190}$`)

// TestValidAttrNameMatchesExpression compares validAttrName with the
// regular expression on chosen names and on random strings of letters,
// digits, currency signs, punctuation, symbols, invalid bytes and lengths
// around 190 runes.
func TestValidAttrNameMatchesExpression(t *testing.T) {
	names := []string{"", " ", "plan", "Plan name", "price_€", "size-XL", "日本語", "Ünïcödé 2", "a.b", "a/b",
		"emoji 😀", "tab\there", "new\nline", "\xff", "ok\xffok", "\uFFFD", "¥$£", "Ⅻ", "٣", "x$",
		strings.Repeat("a", 190), strings.Repeat("a", 191), strings.Repeat("é", 190), strings.Repeat("é", 191)}
	alphabet := []string{"a", "Z", "0", "9", " ", "_", "-", "é", "ß", "日", "€", "$", "¢", "Ⅻ", "²", ".", "/", "@",
		"\t", "\n", "😀", "\xff", "\xc3", "\uFFFD", "+", "©"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		n := rng.IntN(8)
		if rng.IntN(10) == 0 {
			n = 185 + rng.IntN(10)
		}
		for range n {
			if rng.IntN(4) == 0 {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteString(alphabet[rng.IntN(3)])
			}
		}
		names = append(names, b.String())
	}
	for _, s := range names {
		if got, want := validAttrName(s), attrNameExpr.MatchString(s); got != want {
			t.Fatalf("validAttrName(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func FuzzValidAttrName(f *testing.F) {
	for _, s := range []string{"plan", "price_€", "a.b", "\xff", strings.Repeat("a", 191)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validAttrName(s), attrNameExpr.MatchString(s); got != want {
			t.Fatalf("validAttrName(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
