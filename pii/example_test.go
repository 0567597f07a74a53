package pii_test

import (
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

func ExampleEngine_Find() {
	e, err := pii.NewEngine(pii.Options{})
	if err != nil {
		panic(err)
	}
	text := []byte("Card 4111 1111 1111 1111, mail jane@example.com")
	for _, f := range e.Find(text, nil, nil) {
		fmt.Printf("%s %q %s\n", f.Type, text[f.Start:f.End], f.Validator)
	}
	// Output:
	// CARD "4111 1111 1111 1111" luhn+iin
	// EMAIL "jane@example.com" email-syntax
}

func ExampleRedactor_RedactString() {
	e, _ := pii.NewEngine(pii.Options{})
	r, _ := pii.NewRedactor(e, pii.Policy{
		PerType: map[pii.Type]pii.Operator{pii.TypeCard: {Kind: pii.Mask, KeepLast: 4}},
	})
	known := pii.NewKnown([]pii.KnownValue{{Type: pii.TypeKnownName, Value: "Jane Doe"}})
	fmt.Println(r.RedactString("Hi JANE DOE, card 4111 1111 1111 1111, reset via https://x.io/r?token=abc123", known))
	// Output:
	// Hi [NAME], card **** **** **** 1111, reset via https://x.io/r?token=[URL_SECRET]
}

func ExampleRedactor_RedactHTML() {
	e, _ := pii.NewEngine(pii.Options{})
	r, _ := pii.NewRedactor(e, pii.Policy{})
	in := `<p>Write to <a href="mailto:jane@example.com">jane&#64;example.com</a></p>`
	fmt.Println(string(r.RedactHTML(nil, []byte(in), nil, nil)))
	// Output:
	// <p>Write to <a href="mailto:[EMAIL]">[EMAIL]</a></p>
}
