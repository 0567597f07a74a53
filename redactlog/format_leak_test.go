package redactlog

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestUnknownFormatNotRepeated: a format value that may be personal data or a
// secret is not repeated in the error (it used to show its first 16 bytes);
// a mistyped option name is.
func TestUnknownFormatNotRepeated(t *testing.T) {
	_, err := NewLogger(io.Discard, "alice@example.com", slog.LevelInfo)
	if !errors.Is(err, ErrUnknownFormat) || strings.Contains(err.Error(), "alice") {
		t.Fatalf("email as format: %v", err)
	}
	_, err = NewLogger(io.Discard, "jsonl-pretty", slog.LevelInfo)
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), `"jsonl-pretty"`) {
		t.Fatalf("typo: %v", err)
	}
}
