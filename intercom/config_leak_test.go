package intercom

import (
	"errors"
	"strings"
	"testing"
)

// TestBaseURLErrorHidesCredentials: a base URL that is refused is never quoted
// in the error, whatever it carries (user info, a token in the query), since
// the error is printed and logged.
func TestBaseURLErrorHidesCredentials(t *testing.T) {
	const secret = "s3cretTokenValue"
	for _, raw := range []string{
		"ftp://user:" + secret + "@host/",
		"http:///?access_token=" + secret,
		"//" + secret + "@host",
		"http://user:" + secret + "@host",
		"https://host/?token=" + secret,
		"%zz" + secret,
	} {
		_, err := New(Config{Token: "tok", BaseURL: raw})
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%q: want ErrConfig, got %v", raw, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error repeats the secret: %v", err)
		}
	}
}
