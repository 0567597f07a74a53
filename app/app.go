// Package app assembles intercom-privacy from its configuration: the store, the
// vault, the audit chain, the Intercom client, the PII redactor and the workflows.
// The command line, the server and the tests build an App instead of wiring the
// parts themselves, so there is one place that decides how they fit together.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	netmail "net/mail"
	"path/filepath"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/messages"
	"github.com/intercom-privacy/intercom-privacy/notice"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	_ "github.com/intercom-privacy/intercom-privacy/store/postgres" // registers postgres://
	_ "github.com/intercom-privacy/intercom-privacy/store/sqlite"   // registers sqlite://
	"github.com/intercom-privacy/intercom-privacy/tagintake"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

// Settings say where everything is. Zero values take the documented defaults.
type Settings struct {
	// DatabaseURL chooses the store (store.DefaultURL when empty).
	DatabaseURL string
	// MasterKey decrypts the vault's keysets (required).
	MasterKey vault.MasterKey
	// InitKeys creates the keysets when the store has none, and the database
	// itself when it does not exist (the demo and the sandbox; a real
	// installation runs `keys init` once, deliberately). Without it a missing
	// database is store.ErrNoDatabase.
	InitKeys bool
	// Intercom configures the client; a zero Token leaves Intercom unconfigured
	// (commands that need it then fail with a clear error).
	Intercom intercom.Config
	// Config is the YAML configuration (config.Default() when nil).
	Config *config.Config
	// ConfigPath is the file Config was read from ("" for the built-in
	// defaults); errors about the configuration name it.
	ConfigPath string
	// Actor names who acts in audit records.
	Actor string
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// CheckpointEvery is the most audit records between two signed
	// checkpoints (the configuration's audit.checkpoint_every, else
	// DefaultCheckpointEvery, when 0).
	CheckpointEvery int
	// ValidateConfig, when set, checks the sections of Config that other packages
	// parse (the retention policy and its schedule) before anything is opened; an
	// error is returned as a *ConfigError naming ConfigPath. The command sets it,
	// so every command refuses a configuration any of them would refuse.
	ValidateConfig func(*config.Config) error
	// CheckpointInterval is how often StartCheckpointer signs the unsigned
	// tail (the configuration's audit.checkpoint_interval, else
	// DefaultCheckpointInterval, when 0).
	CheckpointInterval time.Duration
	// Witness names where every signed checkpoint is also kept: a file path
	// or an https:// URL (see audit.Witness). The command line sets it from
	// INTERCOM_PRIVACY_AUDIT_WITNESS; when empty the configuration's
	// audit.witness is used; when both are empty there is no witness.
	Witness string
	// WitnessClient posts to a URL witness (nil: a client with a timeout).
	WitnessClient *http.Client
	// SMTPURL is the mail server (INTERCOM_PRIVACY_SMTP_URL, set by the
	// command line); when empty the configuration's mail.smtp_url is used;
	// when both are empty no mail is written or sent.
	SMTPURL string
	// PublicURL is the base of the links in messages
	// (INTERCOM_PRIVACY_PUBLIC_URL); when empty, mail.public_url.
	PublicURL string
	// SMTPTLS, when set, replaces the system's TLS settings for the mail
	// server (tests trust their own server's certificate with it).
	SMTPTLS *tls.Config
}

// App is the assembled application. Close it when done.
type App struct {
	Settings Settings
	Config   *config.Config
	Store    store.Store
	Vault    *vault.Vault
	Chain    *audit.Chain
	// Intercom is nil when no token was configured.
	Intercom *intercom.Client
	Engine   *pii.Engine
	Redactor *pii.Redactor
	DSAR     *dsar.Service
	// Notices tells the recipients in the configuration's registry of the
	// erasures (and, later, corrections and restrictions) the workflows make.
	Notices *notice.Service
	Logger  *slog.Logger
	// Publisher sends signed checkpoints to the witness; nil without one.
	Publisher *audit.Publisher
	// Users keeps the accounts of the console and the API (auth section).
	Users *users.Service
	// Outbox writes messages in the workflows' transactions and Mail sends
	// them; both are nil when no SMTP server is configured.
	Outbox *mail.Outbox
	Mail   *mail.Sender
	// Messages renders the messages of the requests' milestones into the
	// outbox (DSAR.Messenger); nil without a mail server.
	Messages *messages.Service
	// PublicURL is the base of the links in messages ("" when not configured).
	PublicURL string
	// Replies posts the milestones of requests filed from Intercom as
	// replies the customer sees; nil unless intake.intercom.reply_as is
	// comment (app/replies.go).
	Replies *tagintake.Replies

	checkpointInterval time.Duration
	enq                enqueuer
}

// ConfigError is a configuration file (or the built-in configuration) that does
// not validate; Where names the file, Err says which setting and why.
type ConfigError struct {
	Where string
	Err   error
}

func (e *ConfigError) Error() string { return e.Where + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrNoIntercom reports a command that needs Intercom when no token is configured.
var ErrNoIntercom = errors.New("no Intercom access token: set INTERCOM_ACCESS_TOKEN (or INTERCOM_TOKEN_FILE) and INTERCOM_API_URL or INTERCOM_REGION; for a local imitation run `intercom-privacy sandbox`")

// Open assembles the application: it opens (and migrates) the store, opens the vault
// under the master key, and builds the audit chain, the Intercom client, the PII
// engine and the workflows.
func Open(ctx context.Context, s Settings) (*App, error) {
	if s.DatabaseURL == "" {
		s.DatabaseURL = store.DefaultURL
	}
	if s.Config == nil {
		s.Config = config.Default()
	}
	// The whole configuration is checked before anything is opened, whatever
	// the command: a section only some commands read must not be accepted by
	// the others.
	if s.ValidateConfig != nil {
		if err := s.ValidateConfig(s.Config); err != nil {
			where := s.ConfigPath
			if where == "" {
				where = "configuration"
			}
			return nil, &ConfigError{Where: where, Err: err}
		}
	}
	// The retention policy in force, which access packages state in words.
	policy, err := retention.FromConfig(s.Config)
	if err != nil {
		return nil, (&App{Settings: s}).configError(err)
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Actor == "" {
		s.Actor = "cli"
	}
	if s.MasterKey == nil {
		return nil, vault.ErrNoMasterKey
	}
	var open []store.Option
	if s.InitKeys {
		// Setting up keys is setting up a database: the only case in which a
		// missing one is created (a typo in DATABASE_URL otherwise stops here).
		open = append(open, store.WithCreate())
	}
	st, err := store.Open(ctx, s.DatabaseURL, open...)
	if err != nil {
		return nil, err
	}
	a := &App{Settings: s, Config: s.Config, Store: st, Logger: s.Logger}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	if s.InitKeys {
		if err := vault.Init(ctx, st, s.MasterKey); err != nil && !errors.Is(err, vault.ErrAlreadyInitialised) {
			return nil, err
		}
	}
	a.Vault, err = vault.Open(ctx, st, s.MasterKey)
	if err != nil {
		return nil, err
	}
	every := cmp.Or(s.CheckpointEvery, s.Config.Audit.CheckpointEvery, DefaultCheckpointEvery)
	a.checkpointInterval = cmp.Or(s.CheckpointInterval, s.Config.Audit.CheckpointInterval, DefaultCheckpointInterval)
	a.Chain, err = audit.NewChain(a.Vault.AuditSigner(), audit.Options{CheckpointEvery: every, Now: s.Now})
	if err != nil {
		return nil, err
	}
	if err := a.openWitness(s); err != nil {
		return nil, err
	}
	a.Engine, err = pii.NewEngine(pii.Options{})
	if err != nil {
		return nil, err
	}
	a.Redactor, err = pii.NewRedactor(a.Engine, pii.Policy{})
	if err != nil {
		return nil, err
	}
	if s.Intercom.Token != "" || s.Intercom.TokenFile != "" {
		if s.Intercom.Logger == nil {
			s.Intercom.Logger = s.Logger
		}
		a.Intercom, err = intercom.New(s.Intercom)
		if err != nil {
			return nil, err
		}
	}
	a.DSAR = &dsar.Service{
		Store: st, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom, Redactor: a.Redactor,
		Config: s.Config, Actor: s.Actor, Logger: s.Logger, Now: s.Now,
		// Access packages state the retention policy in force, in words.
		RetentionText: policy.Describe(),
	}
	a.Notices = &notice.Service{
		Store: st, Chain: a.Chain, Registry: s.Config.Recipients, Actor: s.Actor, Logger: s.Logger, Now: s.Now,
	}
	a.DSAR.Notices = a.Notices
	auth := s.Config.Auth
	a.Users = &users.Service{Store: st, Vault: a.Vault, Chain: a.Chain, Actor: s.Actor, Now: s.Now,
		SessionIdle: auth.SessionIdle, SessionLifetime: auth.SessionLifetime,
		AccountFailures: auth.Throttle.AccountFailures, AddressFailures: auth.Throttle.AddressFailures,
		ThrottleWindow: auth.Throttle.Window}
	if err := a.Users.Init(); err != nil {
		return nil, err
	}
	a.DSAR.Enqueue = a.Enqueue
	// A correction refreshes the local copy of the contacts it corrected
	// through the same code (allow-list, keys, restriction) as the sync.
	a.DSAR.LocalCopy = a.Syncer(s.Actor)
	if err := a.openMail(s); err != nil {
		return nil, err
	}
	if err := a.openReplies(s); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// RequireIntercom returns ErrNoIntercom when no client is configured.
func (a *App) RequireIntercom() error {
	if a.Intercom == nil {
		return ErrNoIntercom
	}
	return nil
}

// Close signs the audit records the process left unsigned (and witnesses
// them), then releases the store. A failure to sign or witness is logged,
// never returned: the records are committed, and the next process signs them.
func (a *App) Close() error {
	if a.Store == nil {
		return nil
	}
	a.closeQueue()
	if a.Chain != nil {
		ctx, cancel := context.WithTimeout(context.Background(), witnessTimeout)
		(&checkpointer{a: a, quiet: true}).tick(ctx)
		cancel()
	}
	return a.Store.Close()
}

// VerifyAudit walks the whole audit chain and its checkpoints.
func (a *App) VerifyAudit(ctx context.Context) (audit.Report, error) {
	pub, id := a.Vault.AuditPublicKey()
	return audit.Verify(ctx, a.Store, audit.Keyring{{KeyID: id, Key: pub}})
}

// openMail reads the mail settings (the environment's over the
// configuration's) and builds the outbox and its sender when a server is
// configured.
func (a *App) openMail(s Settings) error {
	raw, setting := s.SMTPURL, mail.EnvSMTPURL
	if raw == "" {
		raw, setting = s.Config.Mail.SMTPURL, "mail.smtp_url"
	}
	smtp, err := mail.ParseSMTPURL(setting, raw)
	if err != nil {
		return &ConfigError{Where: s.configWhere(), Err: err}
	}
	rawPublic, setting := s.PublicURL, mail.EnvPublicURL
	if rawPublic == "" {
		rawPublic, setting = s.Config.Mail.PublicURL, "mail.public_url"
	}
	if a.PublicURL, err = mail.ParsePublicURL(setting, rawPublic); err != nil {
		return &ConfigError{Where: s.configWhere(), Err: err}
	}
	for _, op := range s.Config.Mail.Operators {
		if a, err := netmail.ParseAddress(op); err != nil || a.Address != op || a.Name != "" {
			return &ConfigError{Where: s.configWhere(), Err: fmt.Errorf("%w: mail.operators: an entry is not a plain e-mail address", mail.ErrConfig)}
		}
	}
	if !smtp.Configured() {
		return nil
	}
	smtp.TLS = s.SMTPTLS
	a.Outbox = &mail.Outbox{Vault: a.Vault, Chain: a.Chain, Actor: s.Actor, Now: s.Now}
	a.Mail = &mail.Sender{Store: a.Store, Vault: a.Vault, Chain: a.Chain, SMTP: smtp, Actor: s.Actor, Logger: s.Logger, Now: s.Now}
	tpl, err := messages.Load(TemplatesDir(s.Config, s.ConfigPath))
	if err != nil {
		return &ConfigError{Where: s.configWhere(), Err: err}
	}
	a.Messages = &messages.Service{Outbox: a.Outbox, Templates: tpl, Config: s.Config, Lang: s.Config.Mail.Language}
	if a.PublicURL != "" {
		// Access completions carry a link to /privacy/download/{token}.
		a.Messages.Downloads = &intake.Downloads{Vault: a.Vault, PublicURL: a.PublicURL, Uses: s.Config.Intake.DownloadUses, Now: s.Now}
		// A categories-only answer links to how to reach the higher level.
		a.Messages.PublicURL = a.PublicURL
	}
	a.DSAR.Messenger = a.Messages
	// Email recipients of the registry are told through the outbox, and a
	// notice is recorded sent in the transaction that records its message.
	a.Notices.Mailer = a.Messages
	a.Mail.Settled = a.Notices.MailSettled
	return nil
}

// TemplatesDir is the configuration's mail.templates_dir, a relative path
// taken from the configuration file's directory ("" when not set).
func TemplatesDir(c *config.Config, configPath string) string {
	d := c.Mail.TemplatesDir
	if d == "" || filepath.IsAbs(d) || configPath == "" {
		return d
	}
	return filepath.Join(filepath.Dir(configPath), d)
}

// configWhere names the configuration in errors.
func (s Settings) configWhere() string {
	if s.ConfigPath != "" {
		return s.ConfigPath
	}
	return "configuration"
}
