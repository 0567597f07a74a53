package main

import (
	"context"
	"log/slog"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/mail"
	"github.com/intercom-privacy/intercom-privacy/redactlog"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// annotationLogLevel is the cobra annotation that gives a command its own
// default log level ("info" for `worker` and `serve`, which run for long).
const annotationLogLevel = "log-level-default"

// logging holds the global --log-format and --log-level flags.
var logging struct {
	format string
	level  string
}

// addLoggingFlags adds the persistent logging flags to the root command and installs
// the project's redacting logger before any sub-command runs: every log line of the
// project goes through redactlog.
func addLoggingFlags(root *cobra.Command) {
	root.PersistentFlags().StringVar(&logging.format, "log-format", envString("INTERCOM_PRIVACY_LOG_FORMAT", "text"), "log format on stderr: text or json (env INTERCOM_PRIVACY_LOG_FORMAT)")
	root.PersistentFlags().StringVar(&logging.level, "log-level", envString("INTERCOM_PRIVACY_LOG_LEVEL", "warn"), "log level: debug, info, warn or error (env INTERCOM_PRIVACY_LOG_LEVEL)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := checkEnvFlags(cmd); err != nil {
			return err
		}
		// A long-running command may log at a more talkative default level
		// (its annotation), unless the flag or the environment says otherwise.
		if def, ok := cmd.Annotations[annotationLogLevel]; ok && !cmd.Flags().Changed("log-level") && os.Getenv("INTERCOM_PRIVACY_LOG_LEVEL") == "" {
			logging.level = def
		}
		l, err := newLogger()
		if err != nil {
			return err
		}
		slog.SetDefault(l)
		return nil
	}
}

func newLogger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logging.level)); err != nil {
		return nil, usagef("--log-level (or INTERCOM_PRIVACY_LOG_LEVEL) %s: use debug, info, warn or error", shownArg(logging.level))
	}
	format := logging.format
	if format == "" {
		format = "text"
	}
	return redactlog.NewLogger(os.Stderr, format, level)
}

// appFlags are the flags of every command that needs the assembled application:
// the database, the master key file, the configuration file and Intercom.
type appFlags struct {
	databaseURL string
	masterFile  string
	configPath  string
	apiURL      string
	region      string
}

// add registers the flags on cmd; each defaults to its environment variable.
func (f *appFlags) add(cmd *cobra.Command) {
	databaseURLFlag(cmd, &f.databaseURL)
	fl := cmd.Flags()
	fl.StringVar(&f.masterFile, "master-key-file", envString(vault.EnvMasterKeyFile, ""),
		"file holding the base64 master key (env "+vault.EnvMasterKeyFile+"); the key itself is read from "+vault.EnvMasterKey+", never from a flag")
	fl.StringVar(&f.configPath, "config", envString(config.EnvFile, ""), "YAML configuration file (env "+config.EnvFile+"; built-in defaults when unset)")
	fl.StringVar(&f.apiURL, "api-url", envString(intercom.EnvAPIURL, ""), "Intercom API base URL, e.g. the sandbox's (env "+intercom.EnvAPIURL+"); overrides --region")
	fl.StringVar(&f.region, "region", envString(intercom.EnvRegion, "us"), "Intercom region: us, eu or au (env "+intercom.EnvRegion+")")
}

// settings builds app.Settings from the flags and the environment. The access token
// comes from INTERCOM_ACCESS_TOKEN or INTERCOM_TOKEN_FILE only, never from a flag, so
// it never shows in a process list or shell history.
func (f *appFlags) settings(actor string) (app.Settings, error) {
	master, err := vault.LoadMasterKey(os.Getenv(vault.EnvMasterKey), f.masterFile)
	if err != nil {
		return app.Settings{}, err
	}
	path := config.Path(f.configPath)
	cfg, err := config.Load(path)
	if err != nil {
		return app.Settings{}, err
	}
	ic := intercom.ConfigFromEnv()
	if f.apiURL != "" {
		ic.BaseURL = f.apiURL
	}
	if f.region != "" {
		ic.Region = f.region
	}
	return app.Settings{
		DatabaseURL: f.databaseURL, MasterKey: master, Config: cfg, ConfigPath: path, Intercom: ic,
		Actor: actor, Logger: slog.Default(), Witness: os.Getenv(audit.EnvWitness), ValidateConfig: validateConfig,
		SMTPURL: os.Getenv(mail.EnvSMTPURL), PublicURL: os.Getenv(mail.EnvPublicURL),
	}, nil
}

// open assembles the application for a command.
func (f *appFlags) open(ctx context.Context, actor string) (*app.App, error) {
	s, err := f.settings(actor)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, s)
}

// cliActor names the person running a command in audit records: "cli:" and the OS
// user name (an account name, not a person's email; anything that looks unsafe is
// replaced).
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if strings.ContainsAny(name, "@ \t\n") || len(name) > 64 {
		name = "unknown"
	}
	return "cli:" + name
}
