package sandbox

import (
	"errors"
	"regexp"
)

type regexpT = regexp.Regexp

func regexpMust(s string) *regexp.Regexp  { return regexp.MustCompile(s) }
func errorsIs(err, target error) bool     { return errors.Is(err, target) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }
