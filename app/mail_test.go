package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// The environment's SMTP URL wins over the configuration's; a bad one stops
// Open naming the setting, never the password; none leaves mail off.
func TestOpenMailSettings(t *testing.T) {
	ctx := context.Background()
	master, _ := apptest.MasterKey(t)
	open := func(s app.Settings) (*app.App, error) {
		s.DatabaseURL, s.MasterKey, s.InitKeys = storetest.SQLite().NewURL(t), master, true
		a, err := app.Open(ctx, s)
		if err == nil {
			t.Cleanup(func() { a.Close() })
		}
		return a, err
	}
	a, err := open(app.Settings{})
	if err != nil || a.Mail != nil || a.Outbox != nil {
		t.Fatalf("no mail configured: %v, %v", a, err)
	}
	cfg := config.Default()
	cfg.Mail = config.Mail{SMTPURL: "smtp://u:cfg-secret@cfg.example?from=privacy@cfg.example", PublicURL: "https://privacy.cfg.example/"}
	a, err = open(app.Settings{Config: cfg})
	if err != nil || a.Mail == nil || a.Mail.SMTP.Host != "cfg.example" || a.PublicURL != "https://privacy.cfg.example" {
		t.Fatalf("from the configuration: %+v, %v", a, err)
	}
	a, err = open(app.Settings{Config: cfg, SMTPURL: "smtps://u:env-secret@env.example?from=privacy@env.example", PublicURL: "https://env.example"})
	if err != nil || a.Mail.SMTP.Host != "env.example" || a.PublicURL != "https://env.example" {
		t.Fatalf("the environment wins: %+v, %v", a, err)
	}
	_, err = open(app.Settings{SMTPURL: "smtp://u:env-secret@env.example?from=privacy@env.example&starttls=false"})
	var ce *app.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, mail.ErrConfig) || !strings.Contains(err.Error(), mail.EnvSMTPURL) || strings.Contains(err.Error(), "env-secret") {
		t.Fatalf("bad URL: %v", err)
	}
	cfg.Mail.PublicURL = "privacy.example"
	if _, err = open(app.Settings{Config: cfg}); !errors.Is(err, mail.ErrConfig) || !strings.Contains(err.Error(), "mail.public_url") {
		t.Fatalf("bad public URL: %v", err)
	}
}
