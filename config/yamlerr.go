package config

import (
	"errors"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlError is the YAML decoder's *yaml.TypeError with the values it quotes
// removed. yaml.v3 quotes the first bytes of a value of the wrong type
// ("cannot unmarshal !!str `alice@e...` into bool") and names an unknown key
// in full; a configuration error is printed and logged, and a value typed in
// the wrong place (the DPO's contact, a token) must not be. Line numbers, the
// YAML type and the expected Go type are kept, which is what the operator
// needs to find the mistake.
type yamlError struct {
	lines []string
	err   *yaml.TypeError
}

func (e *yamlError) Error() string {
	return "yaml: " + strings.Join(e.lines, "; ")
}

// Unwrap returns the decoder's error, for errors.As.
func (e *yamlError) Unwrap() error { return e.err }

var (
	// yamlQuoted matches the value yaml.v3 quotes between back quotes.
	yamlQuoted = regexp.MustCompile("`[^`]*`")
	// yamlUnknownKey matches "field KEY not found in type T".
	yamlUnknownKey = regexp.MustCompile(`field (.*) not found in type (\S+)`)
	// plainKey is a key that can be repeated: a setting's name.
	plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)
)

// scrubYAMLError returns err with quoted values and unusual key names
// removed when it is a *yaml.TypeError, and err itself otherwise (syntax
// errors name a line and the token expected, never a value).
func scrubYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := make([]string, 0, len(te.Errors))
	for _, l := range te.Errors {
		l = yamlQuoted.ReplaceAllString(l, "(a value)")
		l = yamlUnknownKey.ReplaceAllStringFunc(l, func(m string) string {
			sub := yamlUnknownKey.FindStringSubmatch(m)
			key := sub[1]
			if !plainKey.MatchString(key) {
				key = "(a key that is not a setting name)"
			}
			return "unknown key " + key + " (misspelt, or not a setting here)"
		})
		lines = append(lines, l)
	}
	return &yamlError{lines: lines, err: te}
}
