//go:build !amd64

package pii

// lineScanAVX2 is never called off amd64 (haveAVX2 is false).
func lineScanAVX2(p *byte, n int) (k int, flags uint8) { panic("pii: lineScanAVX2 without AVX2") }
