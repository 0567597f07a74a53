package users_test

import (
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/users"
)

// A typed code is checked in one form: spaces and dashes dropped, lower
// case; anything that is neither a six-digit TOTP code nor a recovery code
// is refused before any check.
func ExampleNormalizeCode() {
	for _, typed := range []string{"123 456", "K7C2X-9FH3Q", "12345", "k7c2x-9fh3l"} {
		fmt.Printf("%q -> %q\n", typed, users.NormalizeCode(typed))
	}
	// Output:
	// "123 456" -> "123456"
	// "K7C2X-9FH3Q" -> "k7c2x9fh3q"
	// "12345" -> ""
	// "k7c2x-9fh3l" -> ""
}

// Token lifetimes are days or durations; "never" means until revoked.
func ExampleParseExpiry() {
	for _, s := range []string{"90d", "12h", "never", "0d"} {
		d, err := users.ParseExpiry(s)
		fmt.Println(s, d, err != nil)
	}
	// Output:
	// 90d 2160h0m0s false
	// 12h 12h0m0s false
	// never 0s false
	// 0d 0s true
}
