#include "textflag.h"

// Byte constants, each repeated 32 times (one YMM register).
DATA lsNL<>+0(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lsNL<>+8(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lsNL<>+16(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lsNL<>+24(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL lsNL<>(SB), RODATA|NOPTR, $32
// lsEmail<>: at index c (in each 16-byte lane) the byte with low nibble c
// that starts an e-mail address or its escapes, '@' (0x40) at 0, '%'
// (0x25) at 5, '&' (0x26) at 6, and 0 elsewhere (which no byte with that
// low nibble equals). VPSHUFB of it by the text's bytes, compared with
// them, finds the three (VPSHUFB gives 0 for a byte >= 0x80: no match).
DATA lsEmail<>+0(SB)/8, $0x0026250000000040
DATA lsEmail<>+8(SB)/8, $0x0000000000000000
DATA lsEmail<>+16(SB)/8, $0x0026250000000040
DATA lsEmail<>+24(SB)/8, $0x0000000000000000
GLOBL lsEmail<>(SB), RODATA|NOPTR, $32

// LINESTEP loads the 32 bytes at (SI)(BX*1), ORs them into Y11 (the high
// bits: bytes >= 0x80), ORs their matches of '@', '&' and '%' into Y10,
// and leaves the mask of their '\n' bytes in AX.
#define LINESTEP \
	VMOVDQU   (SI)(BX*1), Y0 \
	VPCMPEQB  Y13, Y0, Y1 \
	VPOR      Y0, Y11, Y11 \
	VPSHUFB   Y0, Y14, Y2 \
	VPCMPEQB  Y0, Y2, Y2 \
	VPOR      Y2, Y10, Y10 \
	VPMOVMSKB Y1, AX

// func lineScanAVX2(p *byte, n int) (k int, flags uint8)
//
// k is the offset of the first '\n' of the n >= 32 bytes at p, or n. The
// bytes are read 64 at a time from p, then 32; a last step that would
// pass the end reads the last 32 bytes instead (its bytes before the
// step's start were read already and hold no '\n'). flags has lsEmail
// when one of the bytes read is '@', '&' or '%', and lsHigh when one is
// >= 0x80: every byte before k is read, so the flags hold at least what
// p[:k] holds.
TEXT ·lineScanAVX2(SB), NOSPLIT, $0-25
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVDQU lsNL<>(SB), Y13
	VMOVDQU lsEmail<>(SB), Y14
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	XORQ    BX, BX
	LEAQ    -64(CX), DX
	CMPQ    CX, $64
	JB      tail

loop64:
	VMOVDQU   (SI)(BX*1), Y0
	VMOVDQU   32(SI)(BX*1), Y5
	VPCMPEQB  Y13, Y0, Y1
	VPCMPEQB  Y13, Y5, Y6
	VPOR      Y0, Y11, Y11
	VPOR      Y5, Y11, Y11
	VPSHUFB   Y0, Y14, Y2
	VPSHUFB   Y5, Y14, Y7
	VPCMPEQB  Y0, Y2, Y2
	VPCMPEQB  Y5, Y7, Y7
	VPOR      Y2, Y10, Y10
	VPOR      Y7, Y10, Y10
	VPOR      Y1, Y6, Y8
	VPTEST    Y8, Y8
	JNZ       found64
	ADDQ      $64, BX
	CMPQ      BX, DX
	JBE       loop64

tail:
	// Fewer than 64 bytes left from BX: 32-byte steps.
	LEAQ -32(CX), DX
	CMPQ BX, DX
	JA   last
	LINESTEP
	TESTL AX, AX
	JNZ   found
	ADDQ  $32, BX

last:
	CMPQ BX, CX
	JAE  none
	MOVQ DX, BX
	LINESTEP
	TESTL AX, AX
	JNZ   found

none:
	MOVQ CX, BX
	JMP  flags

found64:
	VPMOVMSKB Y1, AX
	VPMOVMSKB Y6, R8
	SHLQ      $32, R8
	ORQ       R8, AX
	BSFQ      AX, AX
	ADDQ      AX, BX
	JMP       flags

found:
	BSFL AX, AX
	ADDQ AX, BX

flags:
	XORL      DI, DI
	VPMOVMSKB Y10, AX
	TESTL     AX, AX
	JZ        2(PC)
	ORL       $1, DI
	VPMOVMSKB Y11, AX
	TESTL     AX, AX
	JZ        2(PC)
	ORL       $2, DI
	MOVQ      BX, k+16(FP)
	MOVB      DI, flags+24(FP)
	VZEROUPPER
	RET
