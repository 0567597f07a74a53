package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	ok := []struct {
		raw  string
		want SMTP
	}{
		{"smtp://user:p%40ss@mail.example.com:2525?from=privacy@example.com&starttls=true",
			SMTP{Host: "mail.example.com", Port: 2525, Security: StartTLS, Username: "user", Password: "p@ss", From: "privacy@example.com"}},
		{"smtp://mail.example.com?from=privacy@example.com",
			SMTP{Host: "mail.example.com", Port: 587, Security: StartTLS, From: "privacy@example.com"}},
		{"smtps://u:secret@mail.example.com?from=privacy@example.com",
			SMTP{Host: "mail.example.com", Port: 465, Security: ImplicitTLS, Username: "u", Password: "secret", From: "privacy@example.com"}},
		{"smtp://127.0.0.1:25?from=privacy@example.com&starttls=false",
			SMTP{Host: "127.0.0.1", Port: 25, Security: Plain, From: "privacy@example.com"}},
		{"smtp://[::1]:2525/?from=privacy@example.com&starttls=false",
			SMTP{Host: "::1", Port: 2525, Security: Plain, From: "privacy@example.com"}},
	}
	for _, tc := range ok {
		got, err := ParseSMTPURL("", tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
		if strings.Contains(got.String(), "secret") || strings.Contains(got.String(), "p@ss") {
			t.Errorf("String shows the password: %s", got)
		}
	}
	if c, err := ParseSMTPURL("", "  "); err != nil || c.Configured() {
		t.Errorf("empty: %+v, %v", c, err)
	}
	bad := []struct{ raw, problem string }{
		{"http://hunter2:hunter2@mail.example.com?from=a@b.example", "scheme"},
		{"smtp://hunter2:hunter2@mail.example.com", "no sender"},
		{"smtp://hunter2:hunter2@mail.example.com?from=a@b.example&starttls=false", "unencrypted"},
		{"smtp://hunter2:hunter2@mail.example.com?from=a@b.example&starttls=maybe", "true or false"},
		{"smtps://hunter2:hunter2@mail.example.com?from=a@b.example&starttls=true", "no meaning"},
		{"smtp://hunter2:hunter2@mail.example.com:99999?from=a@b.example", "port"},
		{"smtp://hunter2:hunter2@mail.example.com?from=Hunter2+%3Ca@b.example%3E", "plain e-mail"},
		{"smtp://hunter2:hunter2@mail.example.com?from=a@b.example&hunter2=1", "unknown parameter"},
		{"smtp://:hunter2@mail.example.com?from=a@b.example", "without a user"},
		{"smtp://hunter2:hunter2@mail.example.com/x?from=a@b.example", "path"},
		{"smtp://hunter2:hunter2@%zz?from=a@b.example", "not a URL"},
		{"smtp:hunter2", "no host"},
	}
	for _, tc := range bad {
		_, err := ParseSMTPURL("mail.smtp_url", tc.raw)
		var ce *ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) || ce.Setting != "mail.smtp_url" || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("%s: %v, want a ConfigError about %q", tc.raw, err, tc.problem)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the secret: %v", tc.raw, err)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://privacy.example.com/":       "https://privacy.example.com",
		"https://example.com/privacy-portal": "https://example.com/privacy-portal",
		"http://127.0.0.1:8080":              "http://127.0.0.1:8080",
		"":                                   "",
	} {
		if got, err := ParsePublicURL("", raw); err != nil || got != want {
			t.Errorf("%q: %q, %v", raw, got, err)
		}
	}
	for _, raw := range []string{"ftp://x.example", "https://", "https://u:p@x.example", "https://x.example/?a=1", "https://x.example/#f", "privacy.example.com"} {
		if _, err := ParsePublicURL("", raw); !errors.Is(err, ErrConfig) {
			t.Errorf("%q accepted: %v", raw, err)
		}
	}
}

func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{"smtp://u:p@h:25?from=a@b.example", "smtps://h?from=a@b.example", "smtp://[::1]?from=x", "smtp://%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseSMTPURL("", raw)
		if err != nil {
			if c.Configured() {
				t.Fatal("an error with a configuration")
			}
			if pw := passwordOf(raw); len(pw) >= 6 && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
			return
		}
		if c.Configured() && (c.From == "" || c.Port < 1 || c.Port > 65535 || (c.Security == Plain && c.Username != "")) {
			t.Fatalf("accepted an unusable configuration: %+v", c)
		}
	})
}

// passwordOf is the text between "://user:" and "@", roughly.
func passwordOf(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(userinfo, ":")
	return pw
}
