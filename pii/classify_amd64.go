package pii

import "golang.org/x/sys/cpu"

// haveAVX2 selects the AVX2 classifier and, with it, the names pass's walk
// over block masks; without AVX2 names keeps its scalar (SWAR) scan.
var haveAVX2 = cpu.X86.HasAVX2

// classifyAVX2 fills m for the 64 bytes at p (all readable).
//
//go:noescape
func classifyAVX2(p *byte, m *blockMasks)

// emailBytesAVX2 returns the OR over the n >= 32 bytes at p of 1 for '@',
// 2 for '&' and 4 for '%'.
//
//go:noescape
func emailBytesAVX2(p *byte, n int) uint8
