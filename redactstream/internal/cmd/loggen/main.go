// Command loggen writes a synthetic application log of a given size to
// stdout, for measuring `intercom-privacy redact`:
//
//	go run ./redactstream/internal/cmd/loggen -size 1G | intercom-privacy redact > /dev/null
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/redactstream/internal/loggen"
)

func main() {
	size := flag.String("size", "100M", "bytes to write (suffix K, M or G for KiB, MiB, GiB)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(2)
	}
	if err := loggen.Write(os.Stdout, n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid -size (want a number with an optional K, M or G suffix)")
	}
	return n * mult, nil
}
