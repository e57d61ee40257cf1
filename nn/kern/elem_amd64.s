//go:build amd64 && !purego

#include "textflag.h"

// Elementwise kernels over n elements: AVX2+FMA with n a multiple of 8 (32
// for the reductions), then the AVX-512 exp family with n a multiple of 16.
// The Go wrappers do the tail with the scalar code. Outputs may alias
// inputs: each step loads before it stores. exp follows expScalar step by
// step (same clamp, reduction, polynomial and split 2ⁿ scale) with fused
// multiply–adds.

// Each constant is stored 8 times (one ymm) so that it can be a memory
// operand.

DATA expc<>+0(SB)/4, $0xc2d00000
DATA expc<>+4(SB)/4, $0xc2d00000
DATA expc<>+8(SB)/4, $0xc2d00000
DATA expc<>+12(SB)/4, $0xc2d00000
DATA expc<>+16(SB)/4, $0xc2d00000
DATA expc<>+20(SB)/4, $0xc2d00000
DATA expc<>+24(SB)/4, $0xc2d00000
DATA expc<>+28(SB)/4, $0xc2d00000
DATA expc<>+32(SB)/4, $0x42b20000
DATA expc<>+36(SB)/4, $0x42b20000
DATA expc<>+40(SB)/4, $0x42b20000
DATA expc<>+44(SB)/4, $0x42b20000
DATA expc<>+48(SB)/4, $0x42b20000
DATA expc<>+52(SB)/4, $0x42b20000
DATA expc<>+56(SB)/4, $0x42b20000
DATA expc<>+60(SB)/4, $0x42b20000
DATA expc<>+64(SB)/4, $0x3fb8aa3b
DATA expc<>+68(SB)/4, $0x3fb8aa3b
DATA expc<>+72(SB)/4, $0x3fb8aa3b
DATA expc<>+76(SB)/4, $0x3fb8aa3b
DATA expc<>+80(SB)/4, $0x3fb8aa3b
DATA expc<>+84(SB)/4, $0x3fb8aa3b
DATA expc<>+88(SB)/4, $0x3fb8aa3b
DATA expc<>+92(SB)/4, $0x3fb8aa3b
DATA expc<>+96(SB)/4, $0x3f318000
DATA expc<>+100(SB)/4, $0x3f318000
DATA expc<>+104(SB)/4, $0x3f318000
DATA expc<>+108(SB)/4, $0x3f318000
DATA expc<>+112(SB)/4, $0x3f318000
DATA expc<>+116(SB)/4, $0x3f318000
DATA expc<>+120(SB)/4, $0x3f318000
DATA expc<>+124(SB)/4, $0x3f318000
DATA expc<>+128(SB)/4, $0xb95e8083
DATA expc<>+132(SB)/4, $0xb95e8083
DATA expc<>+136(SB)/4, $0xb95e8083
DATA expc<>+140(SB)/4, $0xb95e8083
DATA expc<>+144(SB)/4, $0xb95e8083
DATA expc<>+148(SB)/4, $0xb95e8083
DATA expc<>+152(SB)/4, $0xb95e8083
DATA expc<>+156(SB)/4, $0xb95e8083
DATA expc<>+160(SB)/4, $0x39500d01
DATA expc<>+164(SB)/4, $0x39500d01
DATA expc<>+168(SB)/4, $0x39500d01
DATA expc<>+172(SB)/4, $0x39500d01
DATA expc<>+176(SB)/4, $0x39500d01
DATA expc<>+180(SB)/4, $0x39500d01
DATA expc<>+184(SB)/4, $0x39500d01
DATA expc<>+188(SB)/4, $0x39500d01
DATA expc<>+192(SB)/4, $0x3ab60b61
DATA expc<>+196(SB)/4, $0x3ab60b61
DATA expc<>+200(SB)/4, $0x3ab60b61
DATA expc<>+204(SB)/4, $0x3ab60b61
DATA expc<>+208(SB)/4, $0x3ab60b61
DATA expc<>+212(SB)/4, $0x3ab60b61
DATA expc<>+216(SB)/4, $0x3ab60b61
DATA expc<>+220(SB)/4, $0x3ab60b61
DATA expc<>+224(SB)/4, $0x3c088889
DATA expc<>+228(SB)/4, $0x3c088889
DATA expc<>+232(SB)/4, $0x3c088889
DATA expc<>+236(SB)/4, $0x3c088889
DATA expc<>+240(SB)/4, $0x3c088889
DATA expc<>+244(SB)/4, $0x3c088889
DATA expc<>+248(SB)/4, $0x3c088889
DATA expc<>+252(SB)/4, $0x3c088889
DATA expc<>+256(SB)/4, $0x3d2aaaab
DATA expc<>+260(SB)/4, $0x3d2aaaab
DATA expc<>+264(SB)/4, $0x3d2aaaab
DATA expc<>+268(SB)/4, $0x3d2aaaab
DATA expc<>+272(SB)/4, $0x3d2aaaab
DATA expc<>+276(SB)/4, $0x3d2aaaab
DATA expc<>+280(SB)/4, $0x3d2aaaab
DATA expc<>+284(SB)/4, $0x3d2aaaab
DATA expc<>+288(SB)/4, $0x3e2aaaab
DATA expc<>+292(SB)/4, $0x3e2aaaab
DATA expc<>+296(SB)/4, $0x3e2aaaab
DATA expc<>+300(SB)/4, $0x3e2aaaab
DATA expc<>+304(SB)/4, $0x3e2aaaab
DATA expc<>+308(SB)/4, $0x3e2aaaab
DATA expc<>+312(SB)/4, $0x3e2aaaab
DATA expc<>+316(SB)/4, $0x3e2aaaab
DATA expc<>+320(SB)/4, $0x3f000000
DATA expc<>+324(SB)/4, $0x3f000000
DATA expc<>+328(SB)/4, $0x3f000000
DATA expc<>+332(SB)/4, $0x3f000000
DATA expc<>+336(SB)/4, $0x3f000000
DATA expc<>+340(SB)/4, $0x3f000000
DATA expc<>+344(SB)/4, $0x3f000000
DATA expc<>+348(SB)/4, $0x3f000000
DATA expc<>+352(SB)/4, $0x3f800000
DATA expc<>+356(SB)/4, $0x3f800000
DATA expc<>+360(SB)/4, $0x3f800000
DATA expc<>+364(SB)/4, $0x3f800000
DATA expc<>+368(SB)/4, $0x3f800000
DATA expc<>+372(SB)/4, $0x3f800000
DATA expc<>+376(SB)/4, $0x3f800000
DATA expc<>+380(SB)/4, $0x3f800000
DATA expc<>+384(SB)/4, $0x0000007f
DATA expc<>+388(SB)/4, $0x0000007f
DATA expc<>+392(SB)/4, $0x0000007f
DATA expc<>+396(SB)/4, $0x0000007f
DATA expc<>+400(SB)/4, $0x0000007f
DATA expc<>+404(SB)/4, $0x0000007f
DATA expc<>+408(SB)/4, $0x0000007f
DATA expc<>+412(SB)/4, $0x0000007f
GLOBL expc<>(SB), RODATA|NOPTR, $416

#define K_LO expc<>+0(SB)
#define K_HI expc<>+32(SB)
#define K_LOG2E expc<>+64(SB)
#define K_LN2HI expc<>+96(SB)
#define K_LN2LO expc<>+128(SB)
#define K_C7 expc<>+160(SB)
#define K_C6 expc<>+192(SB)
#define K_C5 expc<>+224(SB)
#define K_C4 expc<>+256(SB)
#define K_C3 expc<>+288(SB)
#define K_C2 expc<>+320(SB)
#define K_ONE expc<>+352(SB)
#define K_BIAS expc<>+384(SB)

// EXPY sets p = e^x lane-wise (x is clamped in place; NaN lanes stay NaN).
// Needs Y14 = lo, Y15 = hi. Clobbers r, n.
#define EXPY(x, r, p, n) \
	VMAXPS       x, Y14, x; \
	VMINPS       x, Y15, x; \
	VMULPS       K_LOG2E, x, n; \
	VROUNDPS     $0, n, n; \
	VMOVAPS      x, r; \
	VFNMADD231PS K_LN2HI, n, r; \
	VFNMADD231PS K_LN2LO, n, r; \
	VMOVUPS      K_C7, p; \
	VFMADD213PS  K_C6, r, p; \
	VFMADD213PS  K_C5, r, p; \
	VFMADD213PS  K_C4, r, p; \
	VFMADD213PS  K_C3, r, p; \
	VFMADD213PS  K_C2, r, p; \
	VFMADD213PS  K_ONE, r, p; \
	VFMADD213PS  K_ONE, r, p; \
	VCVTPS2DQ    n, n; \
	VPSRAD       $1, n, r; \
	VPSUBD       r, n, n; \
	VPADDD       K_BIAS, r, r; \
	VPADDD       K_BIAS, n, n; \
	VPSLLD       $23, r, r; \
	VPSLLD       $23, n, n; \
	VMULPS       r, p, p; \
	VMULPS       n, p, p

// SIGY sets s = σ(x) = 1/(1+e^−x); x is kept. Needs Y13 = 0, Y14, Y15.
// Clobbers t, r, n.
#define SIGY(x, t, r, n, s) \
	VSUBPS  x, Y13, t; \
	EXPY(t, r, s, n); \
	VADDPS  K_ONE, s, s; \
	VMOVUPS K_ONE, t; \
	VDIVPS  s, t, s

#define SETUP \
	VXORPS  Y13, Y13, Y13; \
	VMOVUPS K_LO, Y14; \
	VMOVUPS K_HI, Y15

// func expAVX2(y, x *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SETUP
	SHRQ $3, CX
	JEQ  expdone

exploop:
	VMOVUPS (SI), Y0
	EXPY(Y0, Y1, Y2, Y3)
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     exploop

expdone:
	VZEROUPPER
	RET

// func siluAVX2(y, x *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SETUP
	SHRQ $3, CX
	JEQ  siludone

siluloop:
	VMOVUPS (SI), Y0
	SIGY(Y0, Y1, Y2, Y3, Y4)
	VMULPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     siluloop

siludone:
	VZEROUPPER
	RET

// func siluGradAVX2(dx, x, dy *float32, n int, acc bool)
//
// g = dy·σ·(1 + x·(1−σ)); dx = g, or dx += g if acc.
TEXT ·siluGradAVX2(SB), NOSPLIT, $0-33
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	MOVB acc+32(FP), AX
	SETUP
	SHRQ $3, CX
	JEQ  sgdone
	TESTB AL, AL
	JNE  sgaccloop

sgloop:
	VMOVUPS (SI), Y0
	SIGY(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS K_ONE, Y5
	VSUBPS  Y4, Y5, Y6        // 1−σ
	VFMADD213PS Y5, Y0, Y6    // x·(1−σ) + 1
	VMULPS  (DX), Y4, Y4      // dy·σ
	VMULPS  Y6, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     sgloop
	JMP     sgdone

sgaccloop:
	VMOVUPS (SI), Y0
	SIGY(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS K_ONE, Y5
	VSUBPS  Y4, Y5, Y6
	VFMADD213PS Y5, Y0, Y6
	VMULPS  (DX), Y4, Y4
	VFMADD213PS (DI), Y6, Y4  // (dy·σ)·q + dx
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     sgaccloop

sgdone:
	VZEROUPPER
	RET

// func affineSiLUAVX2(y, t, x *float32, n int, a, b float32)
//
// t_i = a·x_i + b (stored if t != nil), y_i = t_i·σ(t_i).
TEXT ·affineSiLUAVX2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ t+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Y11
	VBROADCASTSS b+36(FP), Y12
	SETUP
	SHRQ $3, CX
	JEQ  asdone
	TESTQ DX, DX
	JEQ  asnotloop

asloop:
	VMOVUPS (SI), Y0
	VFMADD132PS Y11, Y12, Y0  // x·a + b
	VMOVUPS Y0, (DX)
	SIGY(Y0, Y1, Y2, Y3, Y4)
	VMULPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     asloop
	JMP     asdone

asnotloop:
	VMOVUPS (SI), Y0
	VFMADD132PS Y11, Y12, Y0
	SIGY(Y0, Y1, Y2, Y3, Y4)
	VMULPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     asnotloop

asdone:
	VZEROUPPER
	RET

// func affineAVX2(y, x *float32, n int, a, b float32)
TEXT ·affineAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y11
	VBROADCASTSS b+28(FP), Y12
	SHRQ $3, CX
	JEQ  afdone

afloop:
	VMOVUPS (SI), Y0
	VFMADD132PS Y11, Y12, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     afloop

afdone:
	VZEROUPPER
	RET

// func axpyAVX2(alpha float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y11
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JEQ  axdone

axloop:
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y11, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     axloop

axdone:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x *float32, n int)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y11
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JEQ  scdone

scloop:
	VMULPS  (DI), Y11, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNE     scloop

scdone:
	VZEROUPPER
	RET

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JEQ  addone

adloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     adloop

addone:
	VZEROUPPER
	RET

// func emaAVX2(ema, p *float32, n int, decay, od float32)
//
// ema = decay·ema + od·p with od = 1−decay.
TEXT ·emaAVX2(SB), NOSPLIT, $0-32
	MOVQ ema+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS decay+24(FP), Y11
	VBROADCASTSS od+28(FP), Y12
	SHRQ $3, CX
	JEQ  emdone

emloop:
	VMULPS  (SI), Y12, Y0
	VMOVUPS (DI), Y1
	VFMADD231PS Y11, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     emloop

emdone:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, b1, ob1, b2, ob2, eps, step, isq, wd float32)
//
// g = grad + wd·p; m = b1·m + ob1·g; v = b2·v + ob2·g²;
// p −= step·m / (√v·isq + eps).
TEXT ·adamAVX2(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS ob1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS ob2+52(FP), Y11
	VBROADCASTSS eps+56(FP), Y12
	VBROADCASTSS step+60(FP), Y13
	VBROADCASTSS isq+64(FP), Y14
	VBROADCASTSS wd+68(FP), Y15
	SHRQ $3, CX
	JEQ  addone2

adamloop:
	VMOVUPS (DI), Y0          // p
	VMOVUPS (SI), Y1          // g
	VFMADD231PS Y15, Y0, Y1   // g += wd·p
	VMULPS  Y1, Y9, Y2        // ob1·g
	VFMADD231PS (DX), Y8, Y2  // m = b1·m + ob1·g
	VMOVUPS Y2, (DX)
	VMULPS  Y1, Y1, Y3        // g²
	VMULPS  Y3, Y11, Y3       // ob2·g²
	VFMADD231PS (BX), Y10, Y3 // v = b2·v + ob2·g²
	VMOVUPS Y3, (BX)
	VSQRTPS Y3, Y3
	VFMADD213PS Y12, Y14, Y3  // √v·isq + eps
	VMULPS  Y2, Y13, Y2       // step·m
	VDIVPS  Y3, Y2, Y2
	VSUBPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNE     adamloop

addone2:
	VZEROUPPER
	RET

// The float64 reductions keep 32 partial sums in eight ymm registers
// Y0–Y7 (Yj: i mod 32 = 4j…4j+3) and return them combined in
// combine32's order.
#define COMBINE32 \
	VADDPD       Y4, Y0, Y0; \
	VADDPD       Y5, Y1, Y1; \
	VADDPD       Y6, Y2, Y2; \
	VADDPD       Y7, Y3, Y3; \
	VADDPD       Y2, Y0, Y0; \
	VADDPD       Y3, Y1, Y1; \
	VADDPD       Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPD       X1, X0, X0; \
	VPERMILPD    $1, X0, X1; \
	VADDSD       X1, X0, X0

#define ZERO8 \
	VXORPD Y0, Y0, Y0; \
	VXORPD Y1, Y1, Y1; \
	VXORPD Y2, Y2, Y2; \
	VXORPD Y3, Y3, Y3; \
	VXORPD Y4, Y4, Y4; \
	VXORPD Y5, Y5, Y5; \
	VXORPD Y6, Y6, Y6; \
	VXORPD Y7, Y7, Y7

// func sumAVX2(x *float32, n int) float64
//
// n is a multiple of 32.
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	ZERO8
	SHRQ $5, CX
	JEQ  done

loop:
	VCVTPS2PD (SI), Y8
	VCVTPS2PD 16(SI), Y9
	VCVTPS2PD 32(SI), Y10
	VCVTPS2PD 48(SI), Y11
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	VADDPD    Y10, Y2, Y2
	VADDPD    Y11, Y3, Y3
	VCVTPS2PD 64(SI), Y8
	VCVTPS2PD 80(SI), Y9
	VCVTPS2PD 96(SI), Y10
	VCVTPS2PD 112(SI), Y11
	VADDPD    Y8, Y4, Y4
	VADDPD    Y9, Y5, Y5
	VADDPD    Y10, Y6, Y6
	VADDPD    Y11, Y7, Y7
	ADDQ      $128, SI
	DECQ      CX
	JNE       loop

done:
	COMBINE32
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqAVX2(x *float32, n int) float64
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	ZERO8
	SHRQ $5, CX
	JEQ  done

loop:
	VCVTPS2PD   (SI), Y8
	VCVTPS2PD   16(SI), Y9
	VCVTPS2PD   32(SI), Y10
	VCVTPS2PD   48(SI), Y11
	VFMADD231PD Y8, Y8, Y0
	VFMADD231PD Y9, Y9, Y1
	VFMADD231PD Y10, Y10, Y2
	VFMADD231PD Y11, Y11, Y3
	VCVTPS2PD   64(SI), Y8
	VCVTPS2PD   80(SI), Y9
	VCVTPS2PD   96(SI), Y10
	VCVTPS2PD   112(SI), Y11
	VFMADD231PD Y8, Y8, Y4
	VFMADD231PD Y9, Y9, Y5
	VFMADD231PD Y10, Y10, Y6
	VFMADD231PD Y11, Y11, Y7
	ADDQ        $128, SI
	DECQ        CX
	JNE         loop

done:
	COMBINE32
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float64
TEXT ·dotAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	ZERO8
	SHRQ $5, CX
	JEQ  done

loop:
	VCVTPS2PD   (SI), Y8
	VCVTPS2PD   16(SI), Y9
	VCVTPS2PD   32(SI), Y10
	VCVTPS2PD   48(SI), Y11
	VCVTPS2PD   (DI), Y12
	VCVTPS2PD   16(DI), Y13
	VCVTPS2PD   32(DI), Y14
	VCVTPS2PD   48(DI), Y15
	VFMADD231PD Y12, Y8, Y0
	VFMADD231PD Y13, Y9, Y1
	VFMADD231PD Y14, Y10, Y2
	VFMADD231PD Y15, Y11, Y3
	VCVTPS2PD   64(SI), Y8
	VCVTPS2PD   80(SI), Y9
	VCVTPS2PD   96(SI), Y10
	VCVTPS2PD   112(SI), Y11
	VCVTPS2PD   64(DI), Y12
	VCVTPS2PD   80(DI), Y13
	VCVTPS2PD   96(DI), Y14
	VCVTPS2PD   112(DI), Y15
	VFMADD231PD Y12, Y8, Y4
	VFMADD231PD Y13, Y9, Y5
	VFMADD231PD Y14, Y10, Y6
	VFMADD231PD Y15, Y11, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNE         loop

done:
	COMBINE32
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// AVX-512 versions of the exp-based kernels of elem_amd64.s: 16 lanes, the
// constants held in Z17–Z31, n a multiple of 16. Same steps as expScalar;
// VRNDSCALEPS $0 rounds to nearest even like VROUNDPS $0.

// EXPZ sets p = e^x lane-wise (x clamped in place). Clobbers r, n.
#define EXPZ(x, r, p, n) \
	VMAXPS       x, Z17, x; \
	VMINPS       x, Z18, x; \
	VMULPS       Z19, x, n; \
	VRNDSCALEPS  $0, n, n; \
	VMOVAPS      x, r; \
	VFNMADD231PS Z20, n, r; \
	VFNMADD231PS Z21, n, r; \
	VMOVAPS      Z22, p; \
	VFMADD213PS  Z23, r, p; \
	VFMADD213PS  Z24, r, p; \
	VFMADD213PS  Z25, r, p; \
	VFMADD213PS  Z26, r, p; \
	VFMADD213PS  Z27, r, p; \
	VFMADD213PS  Z28, r, p; \
	VFMADD213PS  Z28, r, p; \
	VCVTPS2DQ    n, n; \
	VPSRAD       $1, n, r; \
	VPSUBD       r, n, n; \
	VPADDD       Z29, r, r; \
	VPADDD       Z29, n, n; \
	VPSLLD       $23, r, r; \
	VPSLLD       $23, n, n; \
	VMULPS       r, p, p; \
	VMULPS       n, p, p

// SIGZ sets s = σ(x); x is kept. Clobbers t, r, n.
#define SIGZ(x, t, r, n, s) \
	VSUBPS  x, Z30, t; \
	EXPZ(t, r, s, n); \
	VADDPS  Z28, s, s; \
	VDIVPS  s, Z28, s

// SETUPZ loads the constants (table layout of elem_amd64.s, 32 bytes apart).
#define SETUPZ \
	VBROADCASTSS expc<>+0(SB), Z17; \
	VBROADCASTSS expc<>+32(SB), Z18; \
	VBROADCASTSS expc<>+64(SB), Z19; \
	VBROADCASTSS expc<>+96(SB), Z20; \
	VBROADCASTSS expc<>+128(SB), Z21; \
	VBROADCASTSS expc<>+160(SB), Z22; \
	VBROADCASTSS expc<>+192(SB), Z23; \
	VBROADCASTSS expc<>+224(SB), Z24; \
	VBROADCASTSS expc<>+256(SB), Z25; \
	VBROADCASTSS expc<>+288(SB), Z26; \
	VBROADCASTSS expc<>+320(SB), Z27; \
	VBROADCASTSS expc<>+352(SB), Z28; \
	VPBROADCASTD expc<>+384(SB), Z29; \
	VPXORD       Z30, Z30, Z30

// func expAVX512(y, x *float32, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SETUPZ
	SHRQ $4, CX
	JEQ  done

loop:
	VMOVUPS (SI), Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNE     loop

done:
	VZEROUPPER
	RET

// func siluAVX512(y, x *float32, n int)
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SETUPZ
	SHRQ $4, CX
	JEQ  done

loop:
	VMOVUPS (SI), Z0
	SIGZ(Z0, Z1, Z2, Z3, Z4)
	VMULPS  Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNE     loop

done:
	VZEROUPPER
	RET

// func siluGradAVX512(dx, x, dy *float32, n int, acc bool)
TEXT ·siluGradAVX512(SB), NOSPLIT, $0-33
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	MOVB acc+32(FP), AX
	SETUPZ
	SHRQ $4, CX
	JEQ  done
	TESTB AL, AL
	JNE  accloop

loop:
	VMOVUPS (SI), Z0
	SIGZ(Z0, Z1, Z2, Z3, Z4)
	VSUBPS  Z4, Z28, Z6         // 1−σ
	VFMADD213PS Z28, Z0, Z6     // x·(1−σ) + 1
	VMULPS  (DX), Z4, Z4        // dy·σ
	VMULPS  Z6, Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNE     loop
	JMP     done

accloop:
	VMOVUPS (SI), Z0
	SIGZ(Z0, Z1, Z2, Z3, Z4)
	VSUBPS  Z4, Z28, Z6
	VFMADD213PS Z28, Z0, Z6
	VMULPS  (DX), Z4, Z4
	VFMADD213PS (DI), Z6, Z4
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNE     accloop

done:
	VZEROUPPER
	RET

// func affineSiLUAVX512(y, t, x *float32, n int, a, b float32)
TEXT ·affineSiLUAVX512(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ t+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Z15
	VBROADCASTSS b+36(FP), Z16
	SETUPZ
	SHRQ $4, CX
	JEQ  done
	TESTQ DX, DX
	JEQ  notloop

loop:
	VMOVUPS (SI), Z0
	VFMADD132PS Z15, Z16, Z0
	VMOVUPS Z0, (DX)
	SIGZ(Z0, Z1, Z2, Z3, Z4)
	VMULPS  Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNE     loop
	JMP     done

notloop:
	VMOVUPS (SI), Z0
	VFMADD132PS Z15, Z16, Z0
	SIGZ(Z0, Z1, Z2, Z3, Z4)
	VMULPS  Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNE     notloop

done:
	VZEROUPPER
	RET
