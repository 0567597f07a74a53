package config

import (
	"errors"
	"strings"
	"testing"
)

// TestParseRefusesOversizedFile: a file over MaxFileBytes is refused, not
// parsed up to the limit (a cut-off file can be valid YAML that lost the
// settings after the cut).
func TestParseRefusesOversizedFile(t *testing.T) {
	pad := "# " + strings.Repeat("x", 100) + "\n"
	body := strings.Repeat(pad, MaxFileBytes/len(pad)+1) + "sync:\n  pii: [email]\n"
	_, err := Parse("big.yaml", strings.NewReader(body))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized file: %v", err)
	}
	// Just under the limit is fine.
	small := strings.Repeat(pad, (MaxFileBytes-100)/len(pad)) + "sync:\n  pii: [email]\n"
	c, err := Parse("ok.yaml", strings.NewReader(small))
	if err != nil || len(c.Sync.PII) != 1 {
		t.Fatalf("file under the limit: %v", err)
	}
}

// TestParseRefusesSecondDocument: settings after a '---' separator would be
// silently ignored; the file is refused instead.
func TestParseRefusesSecondDocument(t *testing.T) {
	_, err := Parse("two.yaml", strings.NewReader("sync:\n  pii: [email]\n---\nerasure:\n  delete_tickets: false\n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Fatalf("two documents: %v", err)
	}
	for _, ok := range []string{"", "---\nsync:\n  pii: [email]\n", "sync:\n  pii: [email]\n...\n", "# only a comment\n"} {
		if _, err := Parse("one.yaml", strings.NewReader(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestYAMLErrorsDoNotQuoteValues: a value of the wrong type or an odd key is
// not repeated in the error (yaml.v3 quotes the first bytes of the value);
// the line and a plain misspelt key are.
func TestYAMLErrorsDoNotQuoteValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"erasure:\n  delete_tickets: alice@example.com\n", "line 2"},
		{"erasure:\n  delete_tickets: 'call 020 7946 0958'\n", "line 2"},
		{"access:\n  contact_dpo: x\n  dpo@example.com: 1\n", "line 3"},
		{"sync:\n  custom_atributes: [plan]\n", "custom_atributes"},
	} {
		_, err := Parse("c.yaml", strings.NewReader(c.in))
		if err == nil {
			t.Errorf("%q accepted", c.in)
			continue
		}
		s := err.Error()
		if strings.Contains(s, "@") || strings.Contains(s, "alice") || strings.Contains(s, "020") || !strings.Contains(s, c.want) {
			t.Errorf("%q: %s", c.in, s)
		}
	}
}
