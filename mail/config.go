package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// The environment variables that configure mail. The configuration file's
// mail.smtp_url and mail.public_url hold the same values; the environment
// wins.
const (
	EnvSMTPURL   = "INTERCOM_PRIVACY_SMTP_URL"
	EnvPublicURL = "INTERCOM_PRIVACY_PUBLIC_URL"
)

// ErrConfig is the class of every configuration error of this package.
var ErrConfig = errors.New("mail: configuration refused")

// ConfigError says which setting is wrong and why, never quoting the value (an
// SMTP URL carries a password).
type ConfigError struct {
	// Setting names the setting: INTERCOM_PRIVACY_SMTP_URL or mail.smtp_url, ...
	Setting string
	Problem string
}

func (e *ConfigError) Error() string { return e.Setting + ": " + e.Problem }

// Unwrap makes a ConfigError match ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Security is how the connection to the mail server is protected.
type Security string

// The kinds of connection.
const (
	// StartTLS: plain TCP upgraded with STARTTLS, required (smtp:// with
	// starttls=true, the default).
	StartTLS Security = "starttls"
	// ImplicitTLS: TLS from the first byte (smtps://).
	ImplicitTLS Security = "tls"
	// Plain: no encryption (smtp:// with starttls=false): only for a relay on
	// the same host or network, and never with a password.
	Plain Security = "none"
)

// SMTP says how to reach the mail server. Build it with ParseSMTPURL.
type SMTP struct {
	Host     string
	Port     int
	Security Security
	// Username and Password authenticate (AUTH PLAIN or LOGIN, as the server
	// offers) when Username is set.
	Username string
	Password string
	// From is the sender address of every message.
	From string
	// TLS, when set, replaces the system's roots and settings (tests trust
	// their own server's certificate with it); ServerName is set from Host.
	TLS *tls.Config
}

// Configured reports whether a server was given.
func (c SMTP) Configured() bool { return c.Host != "" }

// String describes the server without the password.
func (c SMTP) String() string {
	if !c.Configured() {
		return "(no SMTP server)"
	}
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Security == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	q := url.Values{"from": {c.From}}
	if c.Security != ImplicitTLS {
		q.Set("starttls", strconv.FormatBool(c.Security == StartTLS))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// FromDomain is the domain of From, the right-hand side of every Message-ID.
func (c SMTP) FromDomain() string {
	_, d, ok := strings.Cut(c.From, "@")
	if !ok || d == "" {
		return "intercom-privacy.invalid"
	}
	return d
}

// ParseSMTPURL reads an SMTP URL: smtp://[user:pass@]host[:port]?from=ADDR[&starttls=true|false]
// (port 587 by default, STARTTLS required unless starttls=false) or
// smtps://[user:pass@]host[:port]?from=ADDR (port 465, TLS from the first
// byte). Special characters of the user and password are percent-encoded.
// setting names where the value came from, for errors; "" is EnvSMTPURL. An
// empty raw returns the zero SMTP (mail not configured).
func ParseSMTPURL(setting, raw string) (SMTP, error) {
	if setting == "" {
		setting = EnvSMTPURL
	}
	bad := func(format string, a ...any) (SMTP, error) {
		return SMTP{}, &ConfigError{Setting: setting, Problem: fmt.Sprintf(format, a...)}
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return SMTP{}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url's errors quote the whole URL, password included.
		return bad("not a URL (want smtp://user:password@host:587?from=privacy@example.com; percent-encode special characters of the user and password)")
	}
	var c SMTP
	switch u.Scheme {
	case "smtp":
		c.Security, c.Port = StartTLS, 587
	case "smtps":
		c.Security, c.Port = ImplicitTLS, 465
	default:
		return bad("the scheme must be smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("no host (want smtp://host:587?from=...)")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return bad("a path or fragment has no meaning here; put from= and starttls= in the query")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("the port must be a number from 1 to 65535")
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return bad("a password without a user name")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("the query does not parse")
	}
	for k := range q {
		switch k {
		case "from", "starttls":
		default:
			return bad("an unknown parameter (known: from, starttls)")
		}
	}
	if st := q.Get("starttls"); st != "" {
		if c.Security == ImplicitTLS {
			return bad("starttls has no meaning with smtps:// (TLS from the first byte)")
		}
		on, err := strconv.ParseBool(st)
		if err != nil {
			return bad("starttls must be true or false")
		}
		if !on {
			c.Security = Plain
		}
	}
	if c.Security == Plain && c.Username != "" {
		return bad("a password would travel unencrypted: use starttls=true or smtps://")
	}
	from := q.Get("from")
	if from == "" {
		return bad("no sender: add ?from=privacy@your-domain")
	}
	a, err := mail.ParseAddress(from)
	if err != nil || a.Name != "" || a.Address != from {
		return bad("from= is not a plain e-mail address (privacy@your-domain)")
	}
	c.From = a.Address
	return c, nil
}

// ParsePublicURL reads the base URL the links in messages point to
// (https://privacy.example.com, or http:// for a test on one host). It
// returns it without a trailing slash. setting is for errors ("" is
// EnvPublicURL); an empty raw returns "".
func ParsePublicURL(setting, raw string) (string, error) {
	if setting == "" {
		setting = EnvPublicURL
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	bad := func(p string) (string, error) { return "", &ConfigError{Setting: setting, Problem: p} }
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL (want https://privacy.example.com)")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("the scheme must be https:// (or http:// for a local test)")
	}
	if u.Host == "" || u.Hostname() == "" {
		return bad("no host (want https://privacy.example.com)")
	}
	if u.User != nil {
		return bad("a public URL must not carry a user or password")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return bad("a public URL has no query or fragment (links are built by appending paths)")
	}
	return strings.TrimRight(u.String(), "/"), nil
}
