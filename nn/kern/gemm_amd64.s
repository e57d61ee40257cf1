//go:build amd64 && !purego

#include "textflag.h"

// GEMM micro-kernels. Each computes one MR×NR tile
//
//	C[r][j] = Σ_p A[p][r]·B[p][j] + beta·C[r][j]   (beta == ±0: C not read)
//
// a holds k groups of MR values (packed columns of the A sliver); b holds
// the k rows of the B sliver, NR values each, ldb elements apart (ldb = NR
// for a packed sliver, or B's own stride when B is used in place). C is
// row-major with row stride ldc. Strides are in elements.

// func kern8x48AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)
//
// 8 rows × 48 columns: 24 zmm accumulators Z0–Z23 (row r in Z(3r)…Z(3r+2)),
// B row in Z24–Z26, A values broadcast into Z27/Z28.
#define ROW512(off, bc, c0, c1, c2) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  Z24, bc, c0; \
	VFMADD231PS  Z25, bc, c1; \
	VFMADD231PS  Z26, bc, c2

#define STORE512(c0, c1, c2) \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 64(DX); \
	VMOVUPS c2, 128(DX); \
	ADDQ    BX, DX

#define STOREBETA512(c0, c1, c2) \
	VFMADD231PS (DX), Z24, c0; \
	VFMADD231PS 64(DX), Z24, c1; \
	VFMADD231PS 128(DX), Z24, c2; \
	STORE512(c0, c1, c2)

TEXT ·kern8x48AVX512(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX
	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z0, Z15
	VMOVAPS Z0, Z16
	VMOVAPS Z0, Z17
	VMOVAPS Z0, Z18
	VMOVAPS Z0, Z19
	VMOVAPS Z0, Z20
	VMOVAPS Z0, Z21
	VMOVAPS Z0, Z22
	VMOVAPS Z0, Z23
	TESTQ CX, CX
	JEQ   store512

loop512:
	VMOVUPS (DI), Z24
	VMOVUPS 64(DI), Z25
	VMOVUPS 128(DI), Z26
	ROW512(0, Z27, Z0, Z1, Z2)
	ROW512(4, Z28, Z3, Z4, Z5)
	ROW512(8, Z27, Z6, Z7, Z8)
	ROW512(12, Z28, Z9, Z10, Z11)
	ROW512(16, Z27, Z12, Z13, Z14)
	ROW512(20, Z28, Z15, Z16, Z17)
	ROW512(24, Z27, Z18, Z19, Z20)
	ROW512(28, Z28, Z21, Z22, Z23)
	ADDQ $32, SI
	ADDQ R8, DI
	DECQ CX
	JNE  loop512

store512:
	MOVL  beta+48(FP), AX
	ANDL  $0x7fffffff, AX
	JEQ   overwrite512
	VBROADCASTSS beta+48(FP), Z24
	STOREBETA512(Z0, Z1, Z2)
	STOREBETA512(Z3, Z4, Z5)
	STOREBETA512(Z6, Z7, Z8)
	STOREBETA512(Z9, Z10, Z11)
	STOREBETA512(Z12, Z13, Z14)
	STOREBETA512(Z15, Z16, Z17)
	STOREBETA512(Z18, Z19, Z20)
	STOREBETA512(Z21, Z22, Z23)
	VZEROUPPER
	RET

overwrite512:
	STORE512(Z0, Z1, Z2)
	STORE512(Z3, Z4, Z5)
	STORE512(Z6, Z7, Z8)
	STORE512(Z9, Z10, Z11)
	STORE512(Z12, Z13, Z14)
	STORE512(Z15, Z16, Z17)
	STORE512(Z18, Z19, Z20)
	STORE512(Z21, Z22, Z23)
	VZEROUPPER
	RET

// func kern6x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32)
//
// 6 rows × 16 columns: 12 ymm accumulators Y4–Y15 (row r in Y(4+2r),
// Y(5+2r)), B row in Y0/Y1, A values broadcast into Y2/Y3.
#define ROW256(off, bc, c0, c1) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  Y0, bc, c0; \
	VFMADD231PS  Y1, bc, c1

#define STORE256(c0, c1) \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 32(DX); \
	ADDQ    BX, DX

#define STOREBETA256(c0, c1) \
	VFMADD231PS (DX), Y0, c0; \
	VFMADD231PS 32(DX), Y0, c1; \
	STORE256(c0, c1)

TEXT ·kern6x16AVX2(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX
	VXORPS Y4, Y4, Y4
	VMOVAPS Y4, Y5
	VMOVAPS Y4, Y6
	VMOVAPS Y4, Y7
	VMOVAPS Y4, Y8
	VMOVAPS Y4, Y9
	VMOVAPS Y4, Y10
	VMOVAPS Y4, Y11
	VMOVAPS Y4, Y12
	VMOVAPS Y4, Y13
	VMOVAPS Y4, Y14
	VMOVAPS Y4, Y15
	TESTQ CX, CX
	JEQ   store256

loop256:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	ROW256(0, Y2, Y4, Y5)
	ROW256(4, Y3, Y6, Y7)
	ROW256(8, Y2, Y8, Y9)
	ROW256(12, Y3, Y10, Y11)
	ROW256(16, Y2, Y12, Y13)
	ROW256(20, Y3, Y14, Y15)
	ADDQ $24, SI
	ADDQ R8, DI
	DECQ CX
	JNE  loop256

store256:
	MOVL  beta+48(FP), AX
	ANDL  $0x7fffffff, AX
	JEQ   overwrite256
	VBROADCASTSS beta+48(FP), Y0
	STOREBETA256(Y4, Y5)
	STOREBETA256(Y6, Y7)
	STOREBETA256(Y8, Y9)
	STOREBETA256(Y10, Y11)
	STOREBETA256(Y12, Y13)
	STOREBETA256(Y14, Y15)
	VZEROUPPER
	RET

overwrite256:
	STORE256(Y4, Y5)
	STORE256(Y6, Y7)
	STORE256(Y8, Y9)
	STORE256(Y10, Y11)
	STORE256(Y12, Y13)
	STORE256(Y14, Y15)
	VZEROUPPER
	RET

// func transpose8AVX2(d *float32, w int, src *float32, lds, kc int, alpha float32)
//
// d[p*w+r] = alpha·src[r*lds+p] for r < 8, p < kc (kc a multiple of 8): an
// 8×8 block transpose per step (unpack, shuffle, 128-bit permute).
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-44
	MOVQ d+0(FP), DI
	MOVQ w+8(FP), R10
	SHLQ $2, R10                  // output stride in bytes
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R8
	SHLQ $2, R8                   // input stride in bytes
	MOVQ kc+32(FP), CX
	SHRQ $3, CX
	JEQ  trdone
	LEAQ (SI)(R8*2), AX
	ADDQ R8, AX                   // row 3
	LEAQ (SI)(R8*4), BX
	ADDQ R8, BX                   // row 5
	LEAQ (DI)(R10*2), R11
	ADDQ R10, R11                 // output column 3
	LEAQ (DI)(R10*4), R12
	ADDQ R10, R12                 // output column 5
	MOVQ R10, R13
	SHLQ $3, R13                  // 8 output columns

trloop:
	VBROADCASTSS alpha+40(FP), Y8
	VMULPS (SI), Y8, Y0
	VMULPS (SI)(R8*1), Y8, Y1
	VMULPS (SI)(R8*2), Y8, Y2
	VMULPS (AX), Y8, Y3
	VMULPS (SI)(R8*4), Y8, Y4
	VMULPS (BX), Y8, Y5
	VMULPS (BX)(R8*1), Y8, Y6
	VMULPS (AX)(R8*4), Y8, Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R10*1)
	VMOVUPS Y10, (DI)(R10*2)
	VMOVUPS Y11, (R11)
	VMOVUPS Y12, (DI)(R10*4)
	VMOVUPS Y13, (R12)
	VMOVUPS Y14, (R12)(R10*1)
	VMOVUPS Y15, (R11)(R10*4)
	ADDQ $32, SI
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ R13, DI
	ADDQ R13, R11
	ADDQ R13, R12
	DECQ CX
	JNE  trloop

trdone:
	VZEROUPPER
	RET

// func copy8AVX2(d *float32, src *float32, lds, kc int, alpha float32)
//
// d[p*8+r] = alpha·src[p*lds+r] for r < 8, p < kc: packs an 8-row sliver of
// a transposed A, whose sliver columns are contiguous.
TEXT ·copy8AVX2(SB), NOSPLIT, $0-36
	MOVQ d+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y8
	TESTQ CX, CX
	JEQ  cpdone

cploop:
	VMULPS  (SI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ    R8, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     cploop

cpdone:
	VZEROUPPER
	RET

// func kern8x48AVX512Edge(k int, a, b *float32, ldb int, c *float32, ldc int, beta float32, cols int)
//
// kern8x48AVX512 for a ragged last sliver of 0 < cols < 48 columns: B is
// loaded and C loaded and stored under the column masks K1–K3, so neither
// is touched past column cols (B may be read in place at the matrix edge).
#define EROW512(off, bc, c0, c1, c2) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  Z24, bc, c0; \
	VFMADD231PS  Z25, bc, c1; \
	VFMADD231PS  Z26, bc, c2

#define ESTORE512(c0, c1, c2) \
	VMOVUPS c0, K1, (DX); \
	VMOVUPS c1, K2, 64(DX); \
	VMOVUPS c2, K3, 128(DX); \
	ADDQ    BX, DX

#define ESTOREBETA512(c0, c1, c2) \
	VMOVUPS.Z (DX), K1, Z25; \
	VMOVUPS.Z 64(DX), K2, Z26; \
	VMOVUPS.Z 128(DX), K3, Z27; \
	VFMADD231PS Z25, Z24, c0; \
	VFMADD231PS Z26, Z24, c1; \
	VFMADD231PS Z27, Z24, c2; \
	ESTORE512(c0, c1, c2)

TEXT ·kern8x48AVX512Edge(SB), NOSPLIT, $0-64
	MOVQ cols+56(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX                       // mask of the cols low bits
	KMOVW AX, K1
	SHRQ $16, AX
	KMOVW AX, K2
	SHRQ $16, AX
	KMOVW AX, K3
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX
	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z0, Z15
	VMOVAPS Z0, Z16
	VMOVAPS Z0, Z17
	VMOVAPS Z0, Z18
	VMOVAPS Z0, Z19
	VMOVAPS Z0, Z20
	VMOVAPS Z0, Z21
	VMOVAPS Z0, Z22
	VMOVAPS Z0, Z23
	TESTQ CX, CX
	JEQ   store

loop:
	VMOVUPS.Z (DI), K1, Z24
	VMOVUPS.Z 64(DI), K2, Z25
	VMOVUPS.Z 128(DI), K3, Z26
	EROW512(0, Z27, Z0, Z1, Z2)
	EROW512(4, Z28, Z3, Z4, Z5)
	EROW512(8, Z27, Z6, Z7, Z8)
	EROW512(12, Z28, Z9, Z10, Z11)
	EROW512(16, Z27, Z12, Z13, Z14)
	EROW512(20, Z28, Z15, Z16, Z17)
	EROW512(24, Z27, Z18, Z19, Z20)
	EROW512(28, Z28, Z21, Z22, Z23)
	ADDQ $32, SI
	ADDQ R8, DI
	DECQ CX
	JNE  loop

store:
	MOVL  beta+48(FP), AX
	ANDL  $0x7fffffff, AX
	JEQ   overwrite
	VBROADCASTSS beta+48(FP), Z24
	ESTOREBETA512(Z0, Z1, Z2)
	ESTOREBETA512(Z3, Z4, Z5)
	ESTOREBETA512(Z6, Z7, Z8)
	ESTOREBETA512(Z9, Z10, Z11)
	ESTOREBETA512(Z12, Z13, Z14)
	ESTOREBETA512(Z15, Z16, Z17)
	ESTOREBETA512(Z18, Z19, Z20)
	ESTOREBETA512(Z21, Z22, Z23)
	VZEROUPPER
	RET

overwrite:
	ESTORE512(Z0, Z1, Z2)
	ESTORE512(Z3, Z4, Z5)
	ESTORE512(Z6, Z7, Z8)
	ESTORE512(Z9, Z10, Z11)
	ESTORE512(Z12, Z13, Z14)
	ESTORE512(Z15, Z16, Z17)
	ESTORE512(Z18, Z19, Z20)
	ESTORE512(Z21, Z22, Z23)
	VZEROUPPER
	RET
