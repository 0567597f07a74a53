package retention

import (
	"errors"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/intercom-privacy/intercom-privacy/config"
)

// FromConfig builds the policy from the `retention:` and `schedule:` sections
// of the project's configuration file (config.Config keeps them as raw YAML
// for this package), with the same validation as Parse. A nil cfg, or a file
// without the sections, gives the defaults. The batch size is not part of the
// configuration file: it comes from the command line (--batch-size) and
// defaults to DefaultBatchSize.
//
// Errors are *Error values whose Line and Column point into the
// configuration file.
func FromConfig(cfg *config.Config) (Policy, error) {
	if cfg == nil {
		return Default(), nil
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	sections := map[string]*yaml.Node{}
	for _, s := range []struct {
		name string
		node *yaml.Node
	}{{"retention", &cfg.Retention}, {"schedule", &cfg.Schedule}} {
		if s.node.Kind == 0 {
			continue
		}
		sections[s.name] = s.node
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s.name}, s.node)
	}
	if len(root.Content) == 0 {
		return Default(), nil
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		return Policy{}, &Error{Err: ErrSyntax, Detail: "the retention or schedule section cannot be read"}
	}
	p, err := Parse(b)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			// Parse saw a re-encoded copy: point at the setting in the file.
			pe.Line, pe.Column = locate(sections, pe.Field)
		}
		return Policy{}, err
	}
	return p, nil
}

// locate finds the line and column of a dotted field ("retention.audit") in
// the original sections (0, 0 when it cannot).
func locate(sections map[string]*yaml.Node, field string) (int, int) {
	parts := strings.Split(field, ".")
	n, ok := sections[parts[0]]
	if !ok {
		return 0, 0
	}
	line, col := n.Line, n.Column
	for _, key := range parts[1:] {
		if n.Kind != yaml.MappingNode {
			break
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value == key || strings.HasPrefix(k.Value, strings.TrimSuffix(key, "…")) && strings.HasSuffix(key, "…") {
				line, col, n, found = k.Line, k.Column, n.Content[i+1], true
				break
			}
		}
		if !found {
			break
		}
	}
	return line, col
}
