package pii

import "golang.org/x/sys/cpu"

// haveAVX2 selects the AVX2 classifier and the main loop that uses it
// (runMasks); without AVX2 the scalar loop (runScalar) runs.
var haveAVX2 = cpu.X86.HasAVX2

// classifyAVX2 fills m for the 64 bytes at p (all readable).
//
//go:noescape
func classifyAVX2(p *byte, m *blockMasks)

// wordsAVX2 is classifyAVX2 for run: it fills only m.word and m.cls.
//
//go:noescape
func wordsAVX2(p *byte, m *blockMasks)
