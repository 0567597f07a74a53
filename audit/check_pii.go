package audit

import (
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// PIIScanner is a TextScanner backed by the pii engine: every content
// detector (e-mail, phone, card, IBAN, national ids, IP addresses, dates of
// birth, secrets, passwords) with the engine's defaults.
type PIIScanner struct {
	engine *pii.Engine
}

// NewPIIScanner builds a PIIScanner with every detector enabled.
func NewPIIScanner() (*PIIScanner, error) {
	e, err := pii.NewEngine(pii.Options{})
	if err != nil {
		return nil, fmt.Errorf("audit: building the pii engine: %w", err)
	}
	return &PIIScanner{engine: e}, nil
}

// FindPersonalData implements TextScanner: it returns the type tag of the
// first finding (e.g. "EMAIL"), or "".
func (p *PIIScanner) FindPersonalData(s string) string {
	if p == nil || p.engine == nil {
		return ""
	}
	if f := p.engine.FindString(s, nil); len(f) > 0 {
		return f[0].Type.String()
	}
	return ""
}
