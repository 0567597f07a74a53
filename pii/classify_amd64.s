#include "textflag.h"

// Byte constants, each repeated 32 times (one YMM register): kXX is the byte
// 0xXX, except k09, k25, k02 and k01, which are 9, 25, 2 and 1, and k25p,
// which is 0x25.
DATA k30<>+0(SB)/8, $0x3030303030303030
DATA k30<>+8(SB)/8, $0x3030303030303030
DATA k30<>+16(SB)/8, $0x3030303030303030
DATA k30<>+24(SB)/8, $0x3030303030303030
GLOBL k30<>(SB), RODATA|NOPTR, $32
DATA k09<>+0(SB)/8, $0x0909090909090909
DATA k09<>+8(SB)/8, $0x0909090909090909
DATA k09<>+16(SB)/8, $0x0909090909090909
DATA k09<>+24(SB)/8, $0x0909090909090909
GLOBL k09<>(SB), RODATA|NOPTR, $32
DATA k61<>+0(SB)/8, $0x6161616161616161
DATA k61<>+8(SB)/8, $0x6161616161616161
DATA k61<>+16(SB)/8, $0x6161616161616161
DATA k61<>+24(SB)/8, $0x6161616161616161
GLOBL k61<>(SB), RODATA|NOPTR, $32
DATA k25<>+0(SB)/8, $0x1919191919191919
DATA k25<>+8(SB)/8, $0x1919191919191919
DATA k25<>+16(SB)/8, $0x1919191919191919
DATA k25<>+24(SB)/8, $0x1919191919191919
GLOBL k25<>(SB), RODATA|NOPTR, $32
DATA k41<>+0(SB)/8, $0x4141414141414141
DATA k41<>+8(SB)/8, $0x4141414141414141
DATA k41<>+16(SB)/8, $0x4141414141414141
DATA k41<>+24(SB)/8, $0x4141414141414141
GLOBL k41<>(SB), RODATA|NOPTR, $32
DATA k5f<>+0(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA k5f<>+8(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA k5f<>+16(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA k5f<>+24(SB)/8, $0x5f5f5f5f5f5f5f5f
GLOBL k5f<>(SB), RODATA|NOPTR, $32
DATA k2d<>+0(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA k2d<>+8(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA k2d<>+16(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA k2d<>+24(SB)/8, $0x2d2d2d2d2d2d2d2d
GLOBL k2d<>(SB), RODATA|NOPTR, $32
DATA k02<>+0(SB)/8, $0x0202020202020202
DATA k02<>+8(SB)/8, $0x0202020202020202
DATA k02<>+16(SB)/8, $0x0202020202020202
DATA k02<>+24(SB)/8, $0x0202020202020202
GLOBL k02<>(SB), RODATA|NOPTR, $32
DATA k23<>+0(SB)/8, $0x2323232323232323
DATA k23<>+8(SB)/8, $0x2323232323232323
DATA k23<>+16(SB)/8, $0x2323232323232323
DATA k23<>+24(SB)/8, $0x2323232323232323
GLOBL k23<>(SB), RODATA|NOPTR, $32
DATA k01<>+0(SB)/8, $0x0101010101010101
DATA k01<>+8(SB)/8, $0x0101010101010101
DATA k01<>+16(SB)/8, $0x0101010101010101
DATA k01<>+24(SB)/8, $0x0101010101010101
GLOBL k01<>(SB), RODATA|NOPTR, $32
DATA k3d<>+0(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA k3d<>+8(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA k3d<>+16(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA k3d<>+24(SB)/8, $0x3d3d3d3d3d3d3d3d
GLOBL k3d<>(SB), RODATA|NOPTR, $32
DATA k40<>+0(SB)/8, $0x4040404040404040
DATA k40<>+8(SB)/8, $0x4040404040404040
DATA k40<>+16(SB)/8, $0x4040404040404040
DATA k40<>+24(SB)/8, $0x4040404040404040
GLOBL k40<>(SB), RODATA|NOPTR, $32
DATA k26<>+0(SB)/8, $0x2626262626262626
DATA k26<>+8(SB)/8, $0x2626262626262626
DATA k26<>+16(SB)/8, $0x2626262626262626
DATA k26<>+24(SB)/8, $0x2626262626262626
GLOBL k26<>(SB), RODATA|NOPTR, $32
DATA k25p<>+0(SB)/8, $0x2525252525252525
DATA k25p<>+8(SB)/8, $0x2525252525252525
DATA k25p<>+16(SB)/8, $0x2525252525252525
DATA k25p<>+24(SB)/8, $0x2525252525252525
GLOBL k25p<>(SB), RODATA|NOPTR, $32

// CLASSIFY32 classifies the 32 bytes at off(SI) and leaves the masks (bit
// k: byte k) in the low 32 bits of rw (word), ru (upper) and rs
// (nameStop). A range test lo <= c <= hi is (c-lo) == min(c-lo, hi-lo) in
// unsigned bytes: VPSUBB, VPMINUB, VPCMPEQB. Registers: Y1 digit
// ('0'..'9'), Y2 lower ('a'..'z'), Y3 upper ('A'..'Z'), Y4 '_', Y6 word
// (any of Y1-Y4, or the high bit of the byte itself: VPMOVMSKB reads only
// the high bits), Y7 '-'..'/', Y8 '#'..'$', Y9 '=', Y10 '@', Y11 nameStop
// (word or any of Y7-Y10).
#define CLASSIFY32(off, rw, ru, rs) \
	VMOVDQU   off(SI), Y0 \
	VPSUBB    k30<>(SB), Y0, Y1 \
	VPMINUB   k09<>(SB), Y1, Y5 \
	VPCMPEQB  Y5, Y1, Y1 \
	VPSUBB    k61<>(SB), Y0, Y2 \
	VPMINUB   k25<>(SB), Y2, Y5 \
	VPCMPEQB  Y5, Y2, Y2 \
	VPSUBB    k41<>(SB), Y0, Y3 \
	VPMINUB   k25<>(SB), Y3, Y5 \
	VPCMPEQB  Y5, Y3, Y3 \
	VPCMPEQB  k5f<>(SB), Y0, Y4 \
	VPOR      Y1, Y2, Y6 \
	VPOR      Y3, Y6, Y6 \
	VPOR      Y4, Y6, Y6 \
	VPOR      Y0, Y6, Y6 \
	VPSUBB    k2d<>(SB), Y0, Y7 \
	VPMINUB   k02<>(SB), Y7, Y5 \
	VPCMPEQB  Y5, Y7, Y7 \
	VPSUBB    k23<>(SB), Y0, Y8 \
	VPMINUB   k01<>(SB), Y8, Y5 \
	VPCMPEQB  Y5, Y8, Y8 \
	VPCMPEQB  k3d<>(SB), Y0, Y9 \
	VPCMPEQB  k40<>(SB), Y0, Y10 \
	VPOR      Y6, Y7, Y11 \
	VPOR      Y8, Y11, Y11 \
	VPOR      Y9, Y11, Y11 \
	VPOR      Y10, Y11, Y11 \
	VPMOVMSKB Y6, rw \
	VPMOVMSKB Y3, ru \
	VPMOVMSKB Y11, rs

// func classifyAVX2(p *byte, m *blockMasks)
//
// Each mask is stored with one 64-bit store: two 32-bit stores read back
// by a 64-bit load cannot be forwarded and stall the load.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ m+8(FP), DI
	CLASSIFY32(0, AX, BX, CX)
	CLASSIFY32(32, DX, R8, R9)
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, 0(DI)
	SHLQ $32, R8
	ORQ  R8, BX
	MOVQ BX, 8(DI)
	SHLQ $32, R9
	ORQ  R9, CX
	MOVQ CX, 16(DI)
	VZEROUPPER
	RET

// func emailBytesAVX2(p *byte, n int) uint8
//
// The OR over the n >= 32 bytes at p of 1 for '@', 2 for '&' and 4 for
// '%': 32 bytes a step, the last step on the last 32 bytes (which may
// overlap the one before; only presence counts).
TEXT ·emailBytesAVX2(SB), NOSPLIT, $0-17
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVDQU k40<>(SB), Y13
	VMOVDQU k26<>(SB), Y14
	VMOVDQU k25p<>(SB), Y15
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11
	VPXOR   Y12, Y12, Y12
	LEAQ    -32(SI)(CX*1), DX

loop:
	CMPQ     SI, DX
	JAE      last
	VMOVDQU  (SI), Y0
	VPCMPEQB Y13, Y0, Y1
	VPOR     Y1, Y10, Y10
	VPCMPEQB Y14, Y0, Y2
	VPOR     Y2, Y11, Y11
	VPCMPEQB Y15, Y0, Y3
	VPOR     Y3, Y12, Y12
	ADDQ     $32, SI
	JMP      loop

last:
	VMOVDQU   (DX), Y0
	VPCMPEQB  Y13, Y0, Y1
	VPOR      Y1, Y10, Y10
	VPCMPEQB  Y14, Y0, Y2
	VPOR      Y2, Y11, Y11
	VPCMPEQB  Y15, Y0, Y3
	VPOR      Y3, Y12, Y12
	XORL      DI, DI
	VPMOVMSKB Y10, AX
	TESTL     AX, AX
	JZ        2(PC)
	ORL       $1, DI
	VPMOVMSKB Y11, AX
	TESTL     AX, AX
	JZ        2(PC)
	ORL       $2, DI
	VPMOVMSKB Y12, AX
	TESTL     AX, AX
	JZ        2(PC)
	ORL       $4, DI
	MOVB      DI, ret+16(FP)
	VZEROUPPER
	RET
