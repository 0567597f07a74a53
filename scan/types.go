package scan

import (
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// DefaultRedactTypes are the types `scan redact` chooses when none are given:
// card numbers (PCI DSS forbids keeping them), passwords and secrets.
var DefaultRedactTypes = []pii.Type{pii.TypeCard, pii.TypePassword, pii.TypeSecret}

// ContentTypes are the types a scan looks for when none are given: every
// content detector of the engine (the Known* types need a person's values and
// have no place in a workspace scan).
func ContentTypes() []pii.Type {
	var out []pii.Type
	for _, t := range pii.AllTypes() {
		if !known(t) {
			out = append(out, t)
		}
	}
	return out
}

func known(t pii.Type) bool {
	switch t {
	case pii.TypeKnownName, pii.TypeKnownEmail, pii.TypeKnownPhone, pii.TypeKnownAddress, pii.TypeKnownExternalID:
		return true
	}
	return false
}

// ParseTypes parses a comma-separated list of type names ("card,iban,password",
// case-insensitive; the engine's tags such as IP_ADDRESS too). An empty list
// gives nil.
func ParseTypes(s string) ([]pii.Type, error) {
	var out []pii.Type
	seen := map[pii.Type]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		t, err := pii.ParseType(f)
		if err != nil {
			return nil, err
		}
		if known(t) {
			return nil, fmt.Errorf("%w: %s needs a person's own values and cannot be scanned for", ErrInvalidOptions, t)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// typeNames returns the tags of ts.
func typeNames(ts []pii.Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// ParseRoles parses a comma-separated list of author roles (customer, teammate,
// bot).
func ParseRoles(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "":
			continue
		case RoleCustomer, RoleTeammate, RoleBot:
			out = append(out, f)
		default:
			return nil, fmt.Errorf("%w: author must be customer, teammate or bot", ErrInvalidOptions)
		}
	}
	return out, nil
}
