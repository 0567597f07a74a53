//go:build !amd64

package pii

import "unsafe"

// haveAVX2 is false off amd64: the scalar loop runs.
const haveAVX2 = false

// classifyAVX2 is never called off amd64 (haveAVX2 is false); it is the
// pure-Go classifier so that the tests that compare the two still build.
func classifyAVX2(p *byte, m *blockMasks) {
	classifyGo((*[64]byte)(unsafe.Slice(p, 64)), m)
}

// emailBytesAVX2 is never called off amd64.
func emailBytesAVX2(p *byte, n int) uint8 { return 7 }
