// Package retention holds the data-retention policy: how long each category
// of data the project keeps may live, when the retention job runs, and in
// what batch size. It parses and validates the YAML policy and computes
// cutoffs; the workflow that deletes rows lives elsewhere and asks this
// package only "what is the cutoff for this category now?".
//
// The policy file (every key optional; missing keys keep the defaults):
//
//	retention:
//	  contact_cache: 30d       # cached Intercom contacts
//	  conversation_cache: 90d  # cached conversations
//	  webhook_events: 30d      # stored webhook notifications
//	  export_files: 7d         # Data Export downloads
//	  access_packages: 7d      # access-request packages
//	  audit: 7y                # audit records; never below 24 months, never off
//	  request_records: 24mo    # finished privacy requests; never below 24 months, never off
//	  suppression_list: off    # suppression entries of erased people (off: kept)
//	schedule:
//	  cron: "0 3 * * *"        # standard 5-field cron (minute hour dom month dow)
//	  timezone: UTC            # IANA zone name, e.g. Europe/Dublin
//	batch_size: 1000           # rows per delete batch, 1 to 100000
//
// Ages are written as described on Age ("30d", "12w", "24mo", "7y", "36h",
// or "off"). Zero and negative ages are always errors; "off" disables
// automatic removal for a cache category and is refused for audit, which
// must be kept at least 24 months and then removed. Unknown keys and unknown categories are errors, reported with
// the line and the field, so a typo can never silently keep data longer.
package retention

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Category is a kind of data with its own maximum age.
type Category string

// The categories the policy knows.
const (
	ContactCache      Category = "contact_cache"
	ConversationCache Category = "conversation_cache"
	WebhookEvents     Category = "webhook_events"
	ExportFiles       Category = "export_files"
	AccessPackages    Category = "access_packages"
	Audit             Category = "audit"
	// RequestRecords are the product's records of finished privacy requests
	// (the request, its steps, its notices): pseudonymised personal data,
	// kept at least 24 months (CCPA Regulations §7101), then removed with a
	// signed requests.pruned audit record.
	RequestRecords Category = "request_records"
	// SuppressionList are the entries that keep erased people from coming
	// back through the sync (keyed HMACs of their identifiers); off keeps
	// them for as long as the product runs.
	SuppressionList Category = "suppression_list"
)

// Categories returns every category in a stable order.
func Categories() []Category {
	return []Category{ContactCache, ConversationCache, WebhookEvents, ExportFiles, AccessPackages, Audit, RequestRecords, SuppressionList}
}

// AuditMinimumMonths is the shortest audit retention the policy accepts:
// CCPA Regulations §7101 require request records to be kept at least 24
// months.
const AuditMinimumMonths = 24

// Defaults.
const (
	DefaultCron      = "0 3 * * *"
	DefaultTimezone  = "UTC"
	DefaultBatchSize = 1000
	MaxBatchSize     = 100000
	maxPolicyBytes   = 1 << 20
)

// DefaultAges are the default maximum ages per category.
func DefaultAges() map[Category]Age {
	return map[Category]Age{
		ContactCache:      {30, Days},
		ConversationCache: {90, Days},
		WebhookEvents:     {30, Days},
		ExportFiles:       {7, Days},
		AccessPackages:    {7, Days},
		Audit:             {7, Years},
		RequestRecords:    {24, Months},
		SuppressionList:   Off,
	}
}

// Schedule is when the retention job runs.
type Schedule struct {
	// Cron is the standard 5-field expression.
	Cron string
	// Location is the time zone Cron is read in.
	Location *time.Location
	sched    cron.Schedule
}

// Next returns the first run strictly after t (zero if the schedule has
// not been validated by Load or Default).
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return s.sched.Next(t)
}

// Policy is a validated retention policy. Build it with Load, Parse or
// Default. The zero Policy deletes nothing (every Cutoff is the zero time)
// and never runs.
type Policy struct {
	ages map[Category]Age
	// Schedule is when the retention job runs.
	Schedule Schedule
	// BatchSize is how many rows one delete batch removes.
	BatchSize int
}

// Default returns the default policy.
func Default() Policy {
	p, err := Parse(nil)
	if err != nil {
		// Unreachable: the defaults are constants validated by tests.
		return Policy{}
	}
	return p
}

// Age returns the maximum age of a category (Off for an unknown category).
func (p Policy) Age(c Category) Age { return p.ages[c] }

// Cutoff returns the instant before which data of category c has outlived
// its maximum age at now: delete rows created (or last refreshed, as the
// category defines) strictly before it. The arithmetic runs in the policy's
// time zone. It returns the zero time, which nothing is before, when the
// category is Off or unknown, so a caller that forgets a check deletes
// nothing.
func (p Policy) Cutoff(c Category, now time.Time) time.Time {
	a, ok := p.ages[c]
	if !ok || a.IsOff() {
		return time.Time{}
	}
	if p.Schedule.Location != nil {
		now = now.In(p.Schedule.Location)
	}
	return a.Before(now)
}

// Errors, for errors.Is. Load returns them inside a *Error.
var (
	ErrSyntax           = errors.New("not valid YAML")
	ErrUnknownKey       = errors.New("unknown key")
	ErrUnknownCategory  = errors.New("unknown retention category")
	ErrAuditTooShort    = errors.New("audit retention below the legal minimum of 24 months")
	ErrAuditOff         = errors.New("audit retention cannot be off")
	ErrInvalidCron      = errors.New("invalid cron expression")
	ErrInvalidTimezone  = errors.New("invalid time zone")
	ErrInvalidBatchSize = errors.New("invalid batch size")
	ErrWrongType        = errors.New("wrong type")
	ErrTooLarge         = errors.New("policy file too large")
)

// Error is a policy validation error: where it is and what is wrong.
// It holds configuration values only, never data.
type Error struct {
	Line   int    // 1-based line in the YAML (0 when unknown)
	Column int    // 1-based column (0 when unknown)
	Field  string // dotted path, e.g. "retention.audit"
	Err    error  // a sentinel above, or ErrInvalidAge
	Detail string // what to do about it
}

// Error formats "line 3: retention.audit: <problem>: <detail>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("retention policy: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Load reads and validates a policy (at most 1 MiB of YAML).
func Load(r io.Reader) (Policy, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPolicyBytes+1))
	if err != nil {
		return Policy{}, fmt.Errorf("retention policy: read: %w", err)
	}
	if len(b) > maxPolicyBytes {
		return Policy{}, &Error{Err: ErrTooLarge, Detail: "the limit is 1 MiB"}
	}
	return Parse(b)
}

// Parse validates a policy from YAML bytes. Empty input gives the defaults.
func Parse(b []byte) (Policy, error) {
	p := Policy{ages: DefaultAges(), BatchSize: DefaultBatchSize}
	cronExpr, tz := DefaultCron, DefaultTimezone
	var cronNode, tzNode *yaml.Node

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Policy{}, &Error{Line: extra.Line, Err: ErrSyntax, Detail: "more than one YAML document"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != 0 && !(root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		if err := expectMap(root, ""); err != nil {
			return Policy{}, err
		}
		if err := eachKey(root, "", []string{"retention", "schedule", "batch_size"}, func(key string, k, v *yaml.Node) error {
			switch key {
			case "retention":
				return parseAges(v, p.ages)
			case "schedule":
				return eachKey(v, "schedule", []string{"cron", "timezone"}, func(key string, _, v *yaml.Node) error {
					s, err := scalar(v, "schedule."+key)
					if err != nil {
						return err
					}
					if key == "cron" {
						cronExpr, cronNode = s, v
					} else {
						tz, tzNode = s, v
					}
					return nil
				})
			case "batch_size":
				s, err := scalar(v, "batch_size")
				if err != nil {
					return err
				}
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > MaxBatchSize {
					return at(v, "batch_size", ErrInvalidBatchSize, fmt.Sprintf("want a whole number from 1 to %d", MaxBatchSize))
				}
				p.BatchSize = n
			}
			return nil
		}); err != nil {
			return Policy{}, err
		}
	}
	if tz == "" || tz == "Local" {
		return Policy{}, at(tzNode, "schedule.timezone", ErrInvalidTimezone, "name an IANA time zone such as UTC or Europe/Dublin")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Policy{}, at(tzNode, "schedule.timezone", ErrInvalidTimezone, fmt.Sprintf("%q is not an IANA time zone name (e.g. UTC, Europe/Dublin)", truncate(tz, 40)))
	}
	sched, err := parseCron(cronExpr)
	if err != nil {
		return Policy{}, at(cronNode, "schedule.cron", ErrInvalidCron, err.Error())
	}
	sched.Location = loc
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, loc)).IsZero() && sched.Next(time.Date(2001, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return Policy{}, at(cronNode, "schedule.cron", ErrInvalidCron, "the expression never fires")
	}
	p.Schedule = Schedule{Cron: cronExpr, Location: loc, sched: sched}
	return p, nil
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func parseCron(expr string) (s *cron.SpecSchedule, err error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, errors.New("set the time zone with schedule.timezone, not in the expression")
	}
	if n := len(strings.Fields(expr)); n != 5 {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", n)
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errors.New("the cron parser rejected the expression")
		}
	}()
	sc, err := cronParser.Parse(expr)
	if err != nil {
		return nil, err
	}
	spec, ok := sc.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("unsupported cron expression")
	}
	return spec, nil
}

func parseAges(n *yaml.Node, ages map[Category]Age) error {
	valid := make([]string, 0, 6)
	for _, c := range Categories() {
		valid = append(valid, string(c))
	}
	if err := expectMap(n, "retention"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := "retention." + truncate(k.Value, 40)
		if !slices.Contains(valid, k.Value) {
			return at(k, field, ErrUnknownCategory, "valid categories are "+strings.Join(valid, ", "))
		}
		if seen[k.Value] {
			return at(k, field, ErrSyntax, "category given twice")
		}
		seen[k.Value] = true
		s, err := scalar(v, field)
		if err != nil {
			return err
		}
		a, err := ParseAge(s)
		if err != nil {
			return at(v, field, ErrInvalidAge, strings.TrimPrefix(err.Error(), ErrInvalidAge.Error()+" "))
		}
		if Category(k.Value) == Audit || Category(k.Value) == RequestRecords {
			if a.IsOff() {
				return at(v, field, ErrAuditOff, fmt.Sprintf("records must be kept at least %d months (CCPA Regulations §7101) and then removed; write e.g. 7y", AuditMinimumMonths))
			}
			if !a.covers(AuditMinimumMonths) {
				return at(v, field, ErrAuditTooShort, fmt.Sprintf("%s is shorter than %d months (%d days); write e.g. 24mo or 7y", a, AuditMinimumMonths, longestDays(AuditMinimumMonths)))
			}
		}
		ages[Category(k.Value)] = a
	}
	return nil
}

func eachKey(n *yaml.Node, path string, allowed []string, f func(key string, k, v *yaml.Node) error) error {
	if err := expectMap(n, path); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, truncate(k.Value, 40))
		if k.Kind != yaml.ScalarNode || !slices.Contains(allowed, k.Value) {
			return at(k, field, ErrUnknownKey, "valid keys here are "+strings.Join(allowed, ", "))
		}
		if seen[k.Value] {
			return at(k, field, ErrSyntax, "key given twice")
		}
		seen[k.Value] = true
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func expectMap(n *yaml.Node, field string) error {
	if n.Kind == yaml.AliasNode {
		return at(n, field, ErrWrongType, "aliases are not supported")
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty section keeps the defaults
	}
	if n.Kind != yaml.MappingNode {
		return at(n, field, ErrWrongType, "want a mapping of key: value")
	}
	return nil
}

func scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", at(n, field, ErrWrongType, "want a single value")
	}
	return strings.TrimSpace(n.Value), nil
}

func at(n *yaml.Node, field string, err error, detail string) error {
	e := &Error{Field: field, Err: err, Detail: detail}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func syntaxError(err error) error {
	// yaml.v3 messages carry a line ("yaml: line 3: ...") and may quote a
	// fragment of the input: keep only the line number.
	e := &Error{Err: ErrSyntax, Detail: "check indentation and quoting"}
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		e.Line, _ = strconv.Atoi(rest[:j])
	}
	return e
}

// String renders the policy in its YAML syntax, for `retention show`.
func (p Policy) String() string {
	var b strings.Builder
	b.WriteString("retention:\n")
	for _, c := range Categories() {
		fmt.Fprintf(&b, "  %s: %s\n", c, p.Age(c))
	}
	tz := ""
	if p.Schedule.Location != nil {
		tz = p.Schedule.Location.String()
	}
	fmt.Fprintf(&b, "schedule:\n  cron: %q\n  timezone: %s\nbatch_size: %d\n", p.Schedule.Cron, tz, p.BatchSize)
	return b.String()
}
