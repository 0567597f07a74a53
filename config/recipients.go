package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// RecipientEntry is one system or organisation that receives Intercom data: a row
// of the registry behind GDPR Art. 15(1)(c) (who received the data), Art. 19 and
// CCPA §7022(b) (tell each recipient of an erasure, correction or restriction)
// and Art. 30 (the record of processing).
type RecipientEntry struct {
	// Name is the recipient as the person reads it ("Intercom, Inc.").
	Name string `yaml:"name" json:"name"`
	// Role is processor, controller or third_party (CCPA: a service provider or
	// contractor is a processor here).
	Role string `yaml:"role" json:"role"`
	// Categories are the categories of personal data it receives.
	Categories []string `yaml:"categories" json:"categories,omitempty"`
	// Purpose is why it receives them.
	Purpose string `yaml:"purpose" json:"purpose,omitempty"`
	// Country is where it processes the data (ISO code or a description).
	Country string `yaml:"country" json:"country,omitempty"`
	// Safeguard is the transfer safeguard outside the EEA/UK (adequacy
	// decision, standard contractual clauses, ...); empty when none is needed.
	Safeguard string `yaml:"safeguard" json:"safeguard,omitempty"`
	// Notify says how the recipient is told of a change (Art. 19).
	Notify Notify `yaml:"notify" json:"notify"`
}

// Notify is how a recipient is told of an erasure, a correction or a
// restriction.
type Notify struct {
	// Method is webhook (a signed POST to URL), email (a message to Email
	// through the outbox) or manual (a task an operator ticks off). Default manual.
	Method string `yaml:"method" json:"method"`
	// URL receives the webhook notices (https; http only on loopback).
	URL string `yaml:"url" json:"url,omitempty"`
	// SecretEnv names the environment variable holding the webhook's signing
	// secret (never the secret itself in the file).
	SecretEnv string `yaml:"secret_env" json:"secret_env,omitempty"`
	// Email receives the email notices.
	Email string `yaml:"email" json:"email,omitempty"`
	// Events are the changes the recipient is told of (default: erasure,
	// correction, restriction; opt_out, an opt-out of sale or sharing, only
	// when named).
	Events []string `yaml:"events" json:"events,omitempty"`
}

// Recipient roles and notice methods.
var (
	recipientRoles = []string{"processor", "controller", "third_party"}
	notifyMethods  = []string{"webhook", "email", "manual"}
	notifyEvents   = []string{"erasure", "correction", "restriction", "opt_out"}
	// defaultEvents are the changes a recipient is told of when its entry
	// names none: the GDPR Art. 19 ones. An opt-out of sale or sharing (CCPA
	// §7026(f)) is for the third parties the data was sold or shared with:
	// name it in their events.
	defaultEvents = []string{"erasure", "correction", "restriction"}
)

// NotifiedOf reports whether the recipient is told of event (erasure,
// correction, restriction or opt_out).
func (r RecipientEntry) NotifiedOf(event string) bool { return slices.Contains(r.Notify.Events, event) }

// AccessRecipients returns the recipients an access package names: the registry
// when the configuration has one, else the access section's list.
func (c *Config) AccessRecipients() []Recipient {
	if len(c.Recipients) == 0 {
		return c.Access.Recipients
	}
	out := make([]Recipient, len(c.Recipients))
	for i, r := range c.Recipients {
		out[i] = Recipient{Name: r.Name, Role: strings.ReplaceAll(r.Role, "_", " "), Country: r.Country}
	}
	return out
}

func (c *Config) validateRecipients() error {
	seen := map[string]bool{}
	for i := range c.Recipients {
		r := &c.Recipients[i]
		field := fmt.Sprintf("recipients[%d]", i)
		bad := func(sub, format string, a ...any) error {
			return &Error{Field: field + sub, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)}
		}
		r.Name = strings.TrimSpace(r.Name)
		if r.Name == "" {
			return bad(".name", "every recipient needs a name")
		}
		if seen[strings.ToLower(r.Name)] {
			return bad(".name", "a second recipient with the same name")
		}
		seen[strings.ToLower(r.Name)] = true
		if !slices.Contains(recipientRoles, r.Role) {
			return bad(".role", "role must be one of %s", strings.Join(recipientRoles, ", "))
		}
		n := &r.Notify
		if n.Method == "" {
			n.Method = "manual"
		}
		if n.Events == nil {
			n.Events = slices.Clone(defaultEvents)
		}
		for _, e := range n.Events {
			if !slices.Contains(notifyEvents, e) {
				return bad(".notify.events", "events must be among %s", strings.Join(notifyEvents, ", "))
			}
		}
		switch n.Method {
		case "webhook":
			if err := checkNoticeURL(n.URL); err != nil {
				return bad(".notify.url", "%v", err)
			}
			if n.SecretEnv == "" {
				return bad(".notify.secret_env", "a webhook recipient needs secret_env: the name of the environment variable holding its signing secret")
			}
		case "email":
			if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
				return bad(".notify.email", "not an email address (write it bare: name@example.com)")
			}
		case "manual":
		default:
			return bad(".notify.method", "method must be one of %s", strings.Join(notifyMethods, ", "))
		}
	}
	return nil
}

// checkNoticeURL allows https, and http only to a loopback host (tests, a local
// relay); a notice carries no personal data beyond an identifier, but it still
// tells who asked for what.
func checkNoticeURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not an absolute URL")
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL: put the signing secret in the variable secret_env names")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("http is allowed only to a loopback host; use https")
	}
	return fmt.Errorf("scheme must be https")
}
