package redactstream

import (
	"errors"
	"strings"
	"testing"
)

// TestParseFormatNotRepeated: ParseFormat repeats a mistyped name, never a
// value that may be personal data or a secret.
func TestParseFormatNotRepeated(t *testing.T) {
	for _, s := range []string{"alice@example.com", "+44 20 7946 0958", "sk_live_0123456789abcdef"} {
		_, err := ParseFormat(s)
		if !errors.Is(err, ErrUnknownFormat) || strings.Contains(err.Error(), s[:5]) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("xml: %v", err)
	}
}
