package pii

// lineScanAVX2 returns the offset k of the first '\n' of the n >= 32
// bytes at p (n when there is none) and flags (lsEmail, lsHigh) that hold
// at least what p[:k] holds; see lines_amd64.s.
//
//go:noescape
func lineScanAVX2(p *byte, n int) (k int, flags uint8)
