//go:build race

package intercom_test

// raceEnabled skips measurements the race detector distorts (heap, long walks).
const raceEnabled = true
