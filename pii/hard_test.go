package pii

import (
	"strings"
	"testing"
)

// hardCases are formats outside the generated corpus, written by hand to
// measure where the detectors stop. The test fails if a case marked must
// is missed; the others are documented gaps (docs/bench/pii.md): an
// obfuscated address, and a card number inside a URL path (digits joined
// to a path are treated as an identifier, for precision).
var hardCases = []struct {
	text  string
	value string
	typ   Type
	must  bool
}{
	{"call me 2025550143 after 5", "2025550143", TypePhone, true},
	{"phone: +44 (0)20 7946 0958", "+44 (0)20 7946 0958", TypePhone, true},
	{"ring 0044 20 7946 0958", "0044 20 7946 0958", TypePhone, true},
	{"my number is 07700900123", "07700900123", TypePhone, true},
	{"tel. 06-12345678", "06-12345678", TypePhone, true},
	{"Tel: +49 (0) 30 12345678", "+49 (0) 30 12345678", TypePhone, true},
	{"born on 3 March 1985", "3 March 1985", TypeDateOfBirth, true},
	{"DOB: 1985/03/15", "1985/03/15", TypeDateOfBirth, true},
	{"jane(at)example(dot)com", "jane(at)example(dot)com", TypeEmail, false},
	{"JANE.DOE@EXAMPLE.COM", "JANE.DOE@EXAMPLE.COM", TypeEmail, true},
	{"mail: jane%40example.com", "jane%40example.com", TypeEmail, true},
	{"SSN: 536 22 1234", "536 22 1234", TypeSSN, true},
	{"IBAN: de89370400440532013000", "de89370400440532013000", TypeIBAN, true},
	{"IBAN NL91 ABNA 0417 1643 00", "NL91 ABNA 0417 1643 00", TypeIBAN, true},
	{"Steuer-ID: 86 095 742 719", "86 095 742 719", TypeDETaxID, true},
	{"card 4111111111111111 exp 12/27", "4111111111111111", TypeCard, true},
	{"/checkout/4111111111111111/confirm", "4111111111111111", TypeCard, false},
	{"cc=4111-1111-1111-1111&cvv=123", "4111-1111-1111-1111", TypeCard, true},
	{"nino ab123456c", "ab123456c", TypeUKNINO, true},
	{"ip: ::ffff:8.8.8.8", "::ffff:8.8.8.8", TypeIPv6, true},
	{"client=[2a00:1450:4001:81c::200e]:443", "2a00:1450:4001:81c::200e", TypeIPv6, true},
	{"Authorization: Bearer abcdef0123456789abcdef0123456789", "abcdef0123456789abcdef0123456789", TypeSecret, true},
	{"pwd=\"s3cr3t!pass\"", "s3cr3t!pass", TypePassword, true},
	{"mi contraseña es Gato1234", "Gato1234", TypePassword, true},
	{"DNI 12345678-Z", "12345678-Z", TypeESDNI, true},
	{"codice fiscale rssmra85t10a562s", "rssmra85t10a562s", TypeITFiscalCode, true},
}

func TestHardCases(t *testing.T) {
	e, _ := NewEngine(Options{})
	found := 0
	for _, c := range hardCases {
		st := strings.Index(c.text, c.value)
		ok := false
		for _, f := range e.FindString(c.text, nil) {
			if f.Type == c.typ && f.Start == st && f.End == st+len(c.value) {
				ok = true
			}
		}
		if ok {
			found++
		} else if c.must {
			t.Errorf("missed %v %q in %q", c.typ, c.value, c.text)
		} else {
			t.Logf("known gap: %v %q in %q", c.typ, c.value, c.text)
		}
	}
	t.Logf("hand-written hard cases: %d of %d found (recall %.2f)", found, len(hardCases), float64(found)/float64(len(hardCases)))
}
