package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envString returns the environment variable key, or def when it is unset or empty.
// It is used for flag defaults, so that a flag overrides the environment.
func envString(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// badEnv records the environment variables whose value did not parse, with
// what was wanted. The flag then keeps its built-in default, and checkEnvFlags
// refuses to run a command that would use it, unless the flag was given (a
// flag overrides the environment).
var badEnv = struct {
	sync.Mutex
	want map[string]string
}{want: map[string]string{}}

func noteBadEnv(key, want string) {
	badEnv.Lock()
	badEnv.want[key] = want
	badEnv.Unlock()
}

// envDuration is envString for durations. An unparsable value falls back to def
// for the flag's default, and is reported by checkEnvFlags before the command runs.
func envDuration(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		d, err := time.ParseDuration(v)
		if err == nil {
			return d
		}
		noteBadEnv(key, "a duration like 30s or 1h")
	}
	return def
}

// envInt is envString for integers, reported like envDuration when unparsable.
func envInt(key string, def int) int {
	if v := os.Getenv(key); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
		noteBadEnv(key, "a whole number")
	}
	return def
}

// checkEnvFlags returns an error when a flag of cmd that was not given on the
// command line takes its default from an environment variable whose value did
// not parse (its usage names it as "env KEY"): running with the built-in
// default instead would silently ignore the setting.
func checkEnvFlags(cmd *cobra.Command) error {
	badEnv.Lock()
	defer badEnv.Unlock()
	if len(badEnv.want) == 0 {
		return nil
	}
	var errs []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		for key, want := range badEnv.want {
			if strings.Contains(f.Usage, "env "+key) {
				errs = append(errs, fmt.Sprintf("%s %s is not %s: fix it, unset it, or give --%s",
					key, shownArg(os.Getenv(key)), want, f.Name))
			}
		}
	})
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return usagef("%s", strings.Join(errs, "; "))
}

// envIntChecked is envInt for a value read outside a flag (a worker hook): an
// unparsable value is an error naming the variable, not the default.
func envIntChecked(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s %s is not a whole number: fix it or unset it", key, shownArg(v))
	}
	return n, nil
}
