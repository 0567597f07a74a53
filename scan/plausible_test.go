package scan

import (
	"testing"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

func TestPlausible(t *testing.T) {
	e, err := pii.NewEngine(pii.Options{Types: []pii.Type{pii.TypeCard, pii.TypePassword}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want bool
	}{
		{"my card 4111 1111 1111 1111 expires 12/27", true},
		{"card: 4111 1111 1111 1111 12/27", true},
		{"card 4111-1111-1111-1111.", true},
		{"the order was paid with card 4111111111111111", true},
		{"password: hunter2!", true},
		{"password: ********", false},
		{"Password: •••••••", false},
		{"tracking 9400 4111 1111 1111 1111 12", false},
		{"Your tracking number is 4111111111111111.", false},
		{"invoice 4111111111111111 is unpaid", false},
	} {
		got := false
		for _, f := range e.FindString(c.text, nil) {
			if plausible(f, c.text) {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("%q: plausible finding %v, want %v", c.text, got, c.want)
		}
	}
}
