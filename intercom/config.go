package intercom

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults used when a Config field is left at its zero value.
const (
	DefaultVersion          = "2.16"
	DefaultTimeout          = 20 * time.Second
	DefaultBudgetShare      = 0.8
	DefaultMaxRetries       = 4
	DefaultRateWindow       = 10 * time.Second
	DefaultMaxResponseBytes = 32 << 20
	// DefaultMaxRateLimitRetries bounds how often one call waits out a 429.
	DefaultMaxRateLimitRetries = 12
)

// ClientVersion is the version this package reports in its User-Agent.
const ClientVersion = "0.1.0"

// Regional API hosts.
var regionURLs = map[string]string{
	"us": "https://api.intercom.io",
	"eu": "https://api.eu.intercom.io",
	"au": "https://api.au.intercom.io",
}

// Token is an Intercom access token. Its String, GoString, Format and LogValue
// methods never reveal it, so it can sit in structs that get printed or logged.
type Token string

// String returns a fixed placeholder, never the token.
func (Token) String() string { return "[REDACTED]" }

// GoString returns a fixed placeholder, never the token.
func (Token) GoString() string { return `intercom.Token("[REDACTED]")` }

// Format writes a fixed placeholder for every verb, never the token.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(t.GoString()))
		return
	}
	_, _ = f.Write([]byte("[REDACTED]"))
}

// LogValue keeps the token out of slog output.
func (Token) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// Config configures a Client. The zero value plus a token is a working configuration
// for the US region.
type Config struct {
	// Token is the access token. When empty, TokenFile is read.
	Token Token
	// TokenFile names a file holding the token (surrounding space is trimmed).
	TokenFile string
	// Region is "us" (default), "eu" or "au". Ignored when BaseURL is set.
	Region string
	// BaseURL overrides the region, for the sandbox or a proxy ("http://127.0.0.1:8081").
	BaseURL string
	// Version is sent as Intercom-Version on every request (default "2.16").
	Version string
	// HTTPClient sends the requests (default: a client with its own transport).
	// Its Timeout should be zero or longer than Timeout.
	HTTPClient *http.Client
	// Timeout bounds one HTTP attempt (default 20s).
	Timeout time.Duration
	// BudgetShare is the share of each rate-limit window the client spends, in (0,1]
	// (default 0.8), leaving the rest to other integrations of the workspace.
	BudgetShare float64
	// RateWindow is the length of Intercom's rate-limit window (default 10s). The
	// client also learns it from successive X-RateLimit-Reset values.
	RateWindow time.Duration
	// MaxRetries bounds the retries of an idempotent request after 5xx, timeouts and
	// dropped connections (default 4; negative disables them).
	MaxRetries int
	// MaxRateLimitRetries bounds how often one call waits out a 429 (default 12).
	MaxRateLimitRetries int
	// MaxResponseBytes caps the size of a decoded response body (default 32 MiB).
	MaxResponseBytes int64
	// UserAgent is prepended to the client's own User-Agent product token.
	UserAgent string
	// Logger receives debug lines about retries and throttling (never a token, body
	// or personal data). Nil discards them.
	Logger *slog.Logger
}

// Environment variables read by ConfigFromEnv.
const (
	EnvAccessToken = "INTERCOM_ACCESS_TOKEN"
	EnvTokenFile   = "INTERCOM_TOKEN_FILE"
	EnvRegion      = "INTERCOM_REGION"
	EnvAPIURL      = "INTERCOM_API_URL"
	EnvVersion     = "INTERCOM_VERSION"
	// EnvBudgetShare is BudgetShare, a number in (0,1] ("1" spends the whole
	// rate-limit window: only when no other integration uses the workspace's
	// budget).
	EnvBudgetShare = "INTERCOM_BUDGET_SHARE"
)

// ConfigFromEnv returns a Config filled from INTERCOM_ACCESS_TOKEN,
// INTERCOM_TOKEN_FILE, INTERCOM_REGION, INTERCOM_API_URL, INTERCOM_VERSION and
// INTERCOM_BUDGET_SHARE. Unset variables leave the defaults; New validates the
// result (a budget share that is not a number in (0,1] is refused there).
func ConfigFromEnv() Config {
	c := Config{
		Token:     Token(strings.TrimSpace(os.Getenv(EnvAccessToken))),
		TokenFile: os.Getenv(EnvTokenFile),
		Region:    os.Getenv(EnvRegion),
		BaseURL:   os.Getenv(EnvAPIURL),
		Version:   os.Getenv(EnvVersion),
	}
	if v := strings.TrimSpace(os.Getenv(EnvBudgetShare)); v != "" {
		share, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(share) || share == 0 {
			share = -1 // not a number in (0,1]: refused by New, which names the variable
		}
		c.BudgetShare = share
	}
	return c
}

// resolved is a validated configuration.
type resolved struct {
	token      Token
	base       *url.URL
	version    string
	httpClient *http.Client
	timeout    time.Duration
	share      float64
	window     time.Duration
	maxRetries int
	max429     int
	maxBody    int64
	userAgent  string
	logger     *slog.Logger
}

func (c Config) resolve() (resolved, error) {
	var r resolved
	r.token = Token(strings.TrimSpace(string(c.Token)))
	if r.token == "" && c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			// The path is configuration, not a secret; the content is never shown.
			return r, fmt.Errorf("%w: cannot read token file %q: %v", ErrConfig, c.TokenFile, errOnly(err))
		}
		r.token = Token(strings.TrimSpace(string(b)))
	}
	if r.token == "" {
		return r, fmt.Errorf("%w: no access token: set %s or %s", ErrConfig, EnvAccessToken, EnvTokenFile)
	}
	if strings.ContainsAny(string(r.token), "\r\n\t ") {
		return r, fmt.Errorf("%w: the access token contains white space", ErrConfig)
	}
	raw := c.BaseURL
	if raw == "" {
		region := strings.ToLower(strings.TrimSpace(c.Region))
		if region == "" {
			region = "us"
		}
		u, ok := regionURLs[region]
		if !ok {
			return r, fmt.Errorf("%w: unknown region %q (want us, eu or au)", ErrConfig, c.Region)
		}
		raw = u
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		// The URL is not quoted: it may carry credentials or a token in its
		// user info or query, and the error is printed and logged.
		return r, fmt.Errorf("%w: base URL is not an absolute http(s) URL like https://api.intercom.io", ErrConfig)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return r, fmt.Errorf("%w: base URL must not carry credentials, a query or a fragment", ErrConfig)
	}
	r.base = base
	r.version = c.Version
	if r.version == "" {
		r.version = DefaultVersion
	}
	r.httpClient = c.HTTPClient
	if r.httpClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		r.httpClient = &http.Client{Transport: tr}
	}
	r.timeout = c.Timeout
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	r.share = c.BudgetShare
	if r.share == 0 {
		r.share = DefaultBudgetShare
	}
	if !(r.share > 0 && r.share <= 1) {
		return r, fmt.Errorf("%w: BudgetShare (%s) %v is outside (0,1]", ErrConfig, EnvBudgetShare, c.BudgetShare)
	}
	r.window = c.RateWindow
	if r.window <= 0 {
		r.window = DefaultRateWindow
	}
	r.maxRetries = c.MaxRetries
	if r.maxRetries == 0 {
		r.maxRetries = DefaultMaxRetries
	}
	if r.maxRetries < 0 {
		r.maxRetries = 0
	}
	r.max429 = c.MaxRateLimitRetries
	if r.max429 <= 0 {
		r.max429 = DefaultMaxRateLimitRetries
	}
	r.maxBody = c.MaxResponseBytes
	if r.maxBody <= 0 {
		r.maxBody = DefaultMaxResponseBytes
	}
	r.userAgent = "intercom-privacy/" + ClientVersion + " (+https://github.com/intercom-privacy/intercom-privacy)"
	if c.UserAgent != "" {
		r.userAgent = c.UserAgent + " " + r.userAgent
	}
	r.logger = c.Logger
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// errOnly reduces an *os.PathError to its cause, so the message does not repeat
// the path.
func errOnly(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// MarshalJSON encodes a fixed placeholder, never the token.
func (Token) MarshalJSON() ([]byte, error) { return []byte(`"[REDACTED]"`), nil }

// MarshalText encodes a fixed placeholder, never the token.
func (Token) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }
