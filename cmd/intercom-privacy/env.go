package main

import (
	"os"
	"strconv"
	"time"
)

// envString returns the environment variable key, or def when it is unset or empty.
// It is used for flag defaults, so that a flag overrides the environment.
func envString(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envDuration is envString for durations; an unparsable value falls back to def
// (the flag's own parsing then reports a bad value given on the command line).
func envDuration(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// envInt is envString for integers.
func envInt(key string, def int) int {
	if v := os.Getenv(key); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}
