package pii

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func mustRedactor(t testing.TB, p Policy) *Redactor {
	t.Helper()
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRedactor(e, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var hmacKey = []byte("0123456789abcdef0123456789abcdef")

func allPolicies(t testing.TB) map[string]*Redactor {
	return map[string]*Redactor{
		"replace": mustRedactor(t, Policy{}),
		"mask":    mustRedactor(t, Policy{Default: Operator{Kind: Mask, KeepLast: 4}}),
		"hmac":    mustRedactor(t, Policy{Default: Operator{Kind: HMAC}, HMACKey: hmacKey}),
		"remove":  mustRedactor(t, Policy{Default: Operator{Kind: Remove}}),
		"mixed": mustRedactor(t, Policy{PerType: map[Type]Operator{
			TypeCard: {Kind: Mask, KeepLast: 4}, TypeEmail: {Kind: HMAC}, TypeIPv4: {Kind: Keep}, TypePhone: {Kind: Remove},
		}, HMACKey: hmacKey}),
	}
}

func TestRedactExamples(t *testing.T) {
	r := mustRedactor(t, Policy{})
	cases := []struct{ in, want string }{
		{"mail jane.doe@example.com now", "mail [EMAIL] now"},
		{"card 4111 1111 1111 1111.", "card [CARD]."},
		{"ssn 536-22-1234", "ssn [SSN]"},
		{"from 8.8.8.8 and 10.0.0.1", "from [IP_ADDRESS] and 10.0.0.1"},
		{"see https://bob:hunter22@db.example.com/x?token=abc&page=2", "see https://bob:[URL_SECRET]@db.example.com/x?token=[URL_SECRET]&page=2"},
		{"password reset for my account", "password reset for my account"},
		{"my password is Tr0ub4dor&3", "my password is [PASSWORD]"},
		{"git@github.com:acme/x.git left-pad@1.3.0", "git@github.com:acme/x.git left-pad@1.3.0"},
		{"version 1.2.3.4", "version 1.2.3.4"},
		{"bad \xff\xfe utf8 jane@example.com", "bad \uFFFD\uFFFD utf8 [EMAIL]"},
	}
	for _, c := range cases {
		if got := r.RedactString(c.in, nil); got != c.want {
			t.Errorf("Redact(%q)\n got  %q\n want %q", c.in, got, c.want)
		}
	}
}

func TestOperators(t *testing.T) {
	in := "card 4111 1111 1111 1111 mail Jane@Example.com"
	mask := mustRedactor(t, Policy{Default: Operator{Kind: Mask, KeepLast: 4}})
	if got, want := mask.RedactString(in, nil), "card **** **** **** 1111 mail ****@******e.com"; got != want {
		t.Errorf("mask: got %q want %q", got, want)
	}
	rm := mustRedactor(t, Policy{Default: Operator{Kind: Remove}})
	if got, want := rm.RedactString(in, nil), "card  mail "; got != want {
		t.Errorf("remove: got %q want %q", got, want)
	}
	keep := mustRedactor(t, Policy{Default: Operator{Kind: Keep}})
	var c Counts
	if got := string(keep.Redact(nil, []byte(in), nil, &c)); got != in {
		t.Errorf("keep: got %q", got)
	}
	if c[TypeCard] != 1 || c[TypeEmail] != 1 || c.Total() != 2 {
		t.Errorf("counts: %v", c)
	}
	h := mustRedactor(t, Policy{Default: Operator{Kind: HMAC}, HMACKey: hmacKey})
	a := h.RedactString("x jane@example.com", nil)
	b := h.RedactString("y JANE@EXAMPLE.COM", nil)
	if a[2:] != b[2:] || !strings.HasPrefix(a[2:], "[EMAIL:") {
		t.Errorf("hmac not normalised: %q vs %q", a, b)
	}
	h2 := mustRedactor(t, Policy{Default: Operator{Kind: HMAC}, HMACKey: []byte("another-key-of-16-bytes")})
	if h2.RedactString("x jane@example.com", nil) == a {
		t.Error("hmac token does not depend on the key")
	}
	if strings.Contains(a, "jane") {
		t.Error("hmac token contains the value")
	}
	// Phones: the same number written two ways gets one token.
	p1 := h.RedactString("call +44 20 7946 0958", nil)
	p2 := h.RedactString("call 020 7946 0958", nil)
	if p1 != p2 || !strings.HasPrefix(p1, "call [PHONE:") {
		t.Errorf("phone tokens differ: %q vs %q", p1, p2)
	}
	// Known e-mail and detected e-mail share tokens.
	k := NewKnown([]KnownValue{{TypeKnownEmail, "jane@example.com"}})
	ka := h.RedactString("x jane@example.com", k)
	if ka[strings.IndexByte(ka, ':'):] != a[strings.IndexByte(a, ':'):] {
		t.Errorf("known and detected e-mail tokens differ: %q %q", ka, a)
	}
}

func TestNewRedactorErrors(t *testing.T) {
	e, _ := NewEngine(Options{})
	if _, err := NewRedactor(nil, Policy{}); !errors.Is(err, ErrNoEngine) {
		t.Errorf("nil engine: %v", err)
	}
	if _, err := NewRedactor(e, Policy{Default: Operator{Kind: HMAC}}); !errors.Is(err, ErrHMACKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := NewRedactor(e, Policy{Default: Operator{Kind: Mask, MaskChar: 'X'}}); !errors.Is(err, ErrOperator) {
		t.Errorf("letter mask: %v", err)
	}
	if _, err := NewRedactor(e, Policy{Default: Operator{Kind: 9}}); !errors.Is(err, ErrOperator) {
		t.Errorf("bad kind: %v", err)
	}
	if _, err := NewEngine(Options{PhoneRegions: []string{"XX"}}); !errors.Is(err, ErrBadRegion) {
		t.Errorf("bad region: %v", err)
	}
	if _, err := NewEngine(Options{Types: []Type{NumTypes}}); !errors.Is(err, ErrBadType) {
		t.Errorf("bad type: %v", err)
	}
	if _, err := ParseType("nope"); !errors.Is(err, ErrUnknownType) {
		t.Errorf("ParseType: %v", err)
	}
}

func TestTypeNames(t *testing.T) {
	for _, ty := range AllTypes() {
		got, err := ParseType(strings.ToLower(ty.String()))
		if err != nil || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, err)
		}
	}
	if len(AllTypes()) != int(NumTypes) {
		t.Fatal("AllTypes length")
	}
}

func TestOptions(t *testing.T) {
	e, _ := NewEngine(Options{Types: []Type{TypeEmail}})
	fs := e.FindString("jane@example.com 4111111111111111 8.8.8.8", nil)
	if len(fs) != 1 || fs[0].Type != TypeEmail {
		t.Errorf("Types filter: %v", fs)
	}
	p, _ := NewEngine(Options{PrivateIPs: true})
	if fs := p.FindString("host 10.0.0.1 and ::1", nil); len(fs) != 2 {
		t.Errorf("PrivateIPs: %v", fs)
	}
	var nilEngine *Engine
	if fs := nilEngine.FindString("jane@example.com", nil); len(fs) != 0 {
		t.Error("nil engine found something")
	}
}

func TestKnown(t *testing.T) {
	e, _ := NewEngine(Options{})
	k := NewKnown([]KnownValue{
		{TypeKnownName, "Zoë Müller"}, {TypeKnownPhone, "+44 20 7946 0958"}, {TypeKnownExternalID, "cus_42"},
		{TypeKnownName, "Ann"},
	})
	text := "Thanks ZOË MÜLLER, we called 020 7946 0958; customer cus_42 (not cus_421). Annual plan for ann."
	fs := e.FindString(text, k)
	var got []string
	for _, f := range fs {
		got = append(got, f.Type.String()+"="+text[f.Start:f.End])
	}
	want := []string{"NAME=ZOË MÜLLER", "KNOWN_PHONE=020 7946 0958", "EXTERNAL_ID=cus_42", "NAME=ann"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("known:\n got  %v\n want %v", got, want)
	}
	var nk *Known
	if nk.Len() != 0 || len(e.FindString("Ann", nk)) != 0 {
		t.Error("nil Known")
	}
	// Many values: still one automaton, all found.
	var vals []KnownValue
	for i := 0; i < 500; i++ {
		vals = append(vals, KnownValue{TypeKnownExternalID, "ext-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	big := NewKnown(vals)
	if n := len(e.FindString("id "+strings.ToUpper(vals[137].Value)+" here, "+vals[499].Value, big)); n != 2 {
		t.Errorf("big automaton found %d", n)
	}
}

// redactCorpus runs every policy over the labelled corpus plus bad inputs.
func redactInputs() []string {
	var in []string
	for _, s := range buildCorpus(7, 400) {
		in = append(in, s.Text)
	}
	in = append(in, "\x00\xff jane@example.com\x00", strings.Repeat("9", 300), "<p>jane&#64;example.com</p>",
		"4111 1111 1111 1111 2222", "+1 (202) 555-0143 +1 (202) 555-0143", "password: password: hunter22")
	return in
}

func TestRedactProperties(t *testing.T) {
	for name, r := range allPolicies(t) {
		for _, in := range redactInputs() {
			out := r.Redact(nil, []byte(in), nil, nil)
			if !utf8.Valid(out) {
				t.Errorf("%s: invalid UTF-8 output for %q", name, in)
			}
			again := r.Redact(nil, out, nil, nil)
			if !bytes.Equal(again, out) {
				t.Errorf("%s: not idempotent\n in    %q\n once  %q\n twice %q", name, in, out, again)
			}
			if name == "replace" || name == "hmac" || name == "remove" {
				for _, f := range r.Engine().FindString(in, nil) {
					v := in[f.Start:f.End]
					if len(v) >= 6 && bytes.Contains(out, []byte(v)) {
						t.Errorf("%s: %v value survived in %q", name, f.Type, out)
					}
				}
			}
		}
	}
}

func TestRedactHTML(t *testing.T) {
	r := mustRedactor(t, Policy{})
	in := `<p class="x">Hi, write to <a href="mailto:jane@example.com?subject=hi" title='jane@example.com'>jane&#64;example.com</a><br/>` +
		`card <b>4111 1111 1111 1111</b> <!-- ip 8.8.8.8 --> <script>var e="bob@example.org"; if (a<b) {}</script></p>`
	got := string(r.RedactHTML(nil, []byte(in), nil, nil))
	for _, leak := range []string{"jane", "4111", "8.8.8.8", "bob@"} {
		if strings.Contains(got, leak) {
			t.Errorf("leak %q in %s", leak, got)
		}
	}
	for _, keep := range []string{`href="mailto:[EMAIL]?subject=hi"`, `<b>[CARD]</b>`, `if (a<b) {}`, `<br/>`} {
		if !strings.Contains(got, keep) {
			t.Errorf("missing %q in %s", keep, got)
		}
	}
	if again := string(r.RedactHTML(nil, []byte(got), nil, nil)); again != got {
		t.Errorf("RedactHTML not idempotent:\n%s\n%s", got, again)
	}
	checkWellFormed(t, []byte(got))
}

// checkWellFormed re-tokenises out and checks that every token round-trips
// and that the text is valid UTF-8.
func checkWellFormed(t testing.TB, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("HTML output is not valid UTF-8: %q", out)
	}
	z := html.NewTokenizer(bytes.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt == html.StartTagToken || tt == html.EndTagToken || tt == html.SelfClosingTagToken {
			name, _ := z.TagName()
			if len(name) == 0 {
				t.Fatalf("empty tag name in %q", out)
			}
		}
	}
}

func TestKnownAlphabetOverflow(t *testing.T) {
	var vals []KnownValue
	for c := 0; c < 256; c += 2 {
		vals = append(vals, KnownValue{TypeKnownExternalID, string([]byte{byte(c), byte(c + 1), 'x'})})
	}
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	vals = append(vals, KnownValue{TypeKnownExternalID, string(all)})
	k := NewKnown(vals)
	e, _ := NewEngine(Options{})
	fs := e.Find(all, k, nil)
	checkFindingsT(t, all, fs)
}

func checkFindingsT(t *testing.T, in []byte, fs []Finding) {
	t.Helper()
	prev := 0
	for _, f := range fs {
		if f.Start < prev || f.End <= f.Start || f.End > len(in) {
			t.Fatalf("bad finding %+v", f)
		}
		prev = f.End
	}
}

// TestConcurrentUse redacts from many goroutines with one Redactor and one
// Known (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := mustRedactor(t, Policy{Default: Operator{Kind: HMAC}, HMACKey: hmacKey})
	k := NewKnown([]KnownValue{{TypeKnownName, "Jane Doe"}, {TypeKnownPhone, "+44 20 7946 0958"}})
	inputs := redactInputs()
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = string(r.Redact(nil, []byte(in), k, nil))
	}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var c Counts
			for i, in := range inputs {
				if got := string(r.Redact(nil, []byte(in), k, &c)); got != want[i] {
					done <- errors.New("concurrent result differs for input " + strings.Repeat("#", i%3))
					return
				}
				_ = r.RedactHTML(nil, []byte("<p>"+in+"</p>"), k, &c)
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestRedactHTMLDoctypeAndRaw(t *testing.T) {
	r := mustRedactor(t, Policy{})
	in := `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN"><title>a &amp; jane@example.com</title><style>p{color:red}</style><textarea>x&lt;y 8.8.8.8</textarea>`
	got := string(r.RedactHTML(nil, []byte(in), nil, nil))
	want := `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN"><title>a &amp; [EMAIL]</title><style>p{color:red}</style><textarea>x&lt;y [IP_ADDRESS]</textarea>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	checkWellFormed(t, []byte(got))
}

// TestRedactLines: RedactLines is Redact line by line, with "\n" and
// "\r\n" endings kept, a last line without one, empty lines, invalid
// UTF-8 and values that need a second pass.
func TestRedactLines(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRedactor(e, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	k := NewKnown([]KnownValue{{TypeKnownName, "Jane Doe"}})
	for _, in := range []string{
		"",
		"\n",
		"\n\n\r\n",
		"mail jane@example.com\nphone +44 20 7946 0958\r\ncard 4111 1111 1111 1111",
		"Hi Jane Doe,\r\n\xff\xfe bad bytes jane@example.com\n\x00NUL\n",
		"order_id=155232064 trace_id=63085faa8e53b455\nssn=123-45-6789 name=\"Jane Doe\"\n",
		"lone carriage return\r",
		"ends in a cut rune \xc3\n\xe2\x82 next",
	} {
		checkRedactLines(t, r, []byte(in), k)
	}
	out, n := r.RedactLines(nil, []byte("a jane@example.com\r\nb\n"), nil, nil)
	if string(out) != "a [EMAIL]\r\nb\n" || n != 2 {
		t.Fatalf("RedactLines = %q, %d lines", out, n)
	}
}
