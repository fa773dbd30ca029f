/*
 * cpu/sse_ops.h - the SSE operations the host executes (cpu/fpu_host.c builds one stub per
 * entry, cpu/exec_sse.c dispatches to them).
 *
 * Each stub runs "op xmm0, xmm1" (or with RAX for the integer conversions) on the host,
 * so an entry names its encoding. Columns are the mandatory prefix: 0 none, 1 66, 2 F3,
 * 3 F2. Kinds say what the result is and which exceptions it can raise:
 *
 *   PS/SS/PD/SD   floating-point result in 4/1/2/1 lanes of 32/64 bits (may underflow)
 *   PS2           two single lanes (CVTPD2PS)
 *   NOUF          floating-point exceptions but never underflow (compares, conversions)
 *   FLAGS         COMISS family: RFLAGS result, no register written
 *   TOGPR         conversion to a general register (RAX)
 *   FROMGPR       conversion from a general register or memory integer (RAX)
 *   INT           integer or logic: no MXCSR involvement
 *
 * The last field is the size of the memory operand the register form stands for.
 *
 * X(name, col, opcode, kind, msize)        encoding PFX 0F opcode C1, dispatch entry
 * XB(name, col, opcode, kind, msize, "b")  explicit bytes, dispatch entry (first variant)
 * XV(name, col, opcode, kind, msize, "b")  explicit bytes, a further variant of the entry
 *                                          before it (CMP predicate, REX.W)
 */
#ifndef MMEMU_CPU_SSE_OPS_H
#define MMEMU_CPU_SSE_OPS_H

#define SSE_PFX_0 ""
#define SSE_PFX_1 "0x66,"
#define SSE_PFX_2 "0xf3,"
#define SSE_PFX_3 "0xf2,"

#define SSE_CMP8(XB, XV, name, col, msize, pfx)                                              \
	XB(name##0, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,0")                           \
	XV(name##1, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,1")                           \
	XV(name##2, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,2")                           \
	XV(name##3, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,3")                           \
	XV(name##4, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,4")                           \
	XV(name##5, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,5")                           \
	XV(name##6, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,6")                           \
	XV(name##7, col, 0xc2, NOUF, msize, pfx "0x0f,0xc2,0xc1,7")

/* The four forms of an arithmetic opcode: ps, pd, ss, sd. */
#define SSE_ARITH4(X, op, n)                                                                 \
	X(n##PS, 0, op, PS, 16) X(n##PD, 1, op, PD, 16) X(n##SS, 2, op, SS, 4)                \
	X(n##SD, 3, op, SD, 8)

/* The same for operations that cannot underflow (square root, minimum, maximum). */
#define SSE_ARITH4N(X, op, n)                                                                \
	X(n##PS, 0, op, NOUF, 16) X(n##PD, 1, op, NOUF, 16) X(n##SS, 2, op, NOUF, 4)          \
	X(n##SD, 3, op, NOUF, 8)

#define SSE_INT66(X, op, n) X(n, 1, op, INT, 16)

#define SSE_STUB_LIST(X, XB, XV)                                                             \
	SSE_ARITH4N(X, 0x51, SQRT)                                                            \
	SSE_ARITH4(X, 0x58, ADD)                                                             \
	SSE_ARITH4(X, 0x59, MUL)                                                             \
	SSE_ARITH4(X, 0x5c, SUB)                                                             \
	SSE_ARITH4N(X, 0x5d, MIN)                                                             \
	SSE_ARITH4(X, 0x5e, DIV)                                                             \
	SSE_ARITH4N(X, 0x5f, MAX)                                                             \
	X(ADDSUBPD, 1, 0xd0, PD, 16) X(ADDSUBPS, 3, 0xd0, PS, 16)                          \
	X(HADDPD, 1, 0x7c, PD, 16) X(HADDPS, 3, 0x7c, PS, 16)                              \
	X(HSUBPD, 1, 0x7d, PD, 16) X(HSUBPS, 3, 0x7d, PS, 16)                              \
	X(RSQRTPS, 0, 0x52, NOUF, 16) X(RSQRTSS, 2, 0x52, NOUF, 4)                          \
	X(RCPPS, 0, 0x53, NOUF, 16) X(RCPSS, 2, 0x53, NOUF, 4)                              \
	X(CVTPS2PD, 0, 0x5a, NOUF, 8) X(CVTPD2PS, 1, 0x5a, PS2, 16)                         \
	X(CVTSS2SD, 2, 0x5a, NOUF, 4) X(CVTSD2SS, 3, 0x5a, SS, 8)                           \
	X(CVTDQ2PS, 0, 0x5b, NOUF, 16) X(CVTPS2DQ, 1, 0x5b, NOUF, 16)                       \
	X(CVTTPS2DQ, 2, 0x5b, NOUF, 16)                                                      \
	X(CVTTPD2DQ, 1, 0xe6, NOUF, 16) X(CVTDQ2PD, 2, 0xe6, NOUF, 8)                       \
	X(CVTPD2DQ, 3, 0xe6, NOUF, 16)                                                       \
	SSE_CMP8(XB, XV, CMPPS, 0, 16, "")                                                   \
	SSE_CMP8(XB, XV, CMPPD, 1, 16, "0x66,")                                              \
	SSE_CMP8(XB, XV, CMPSS, 2, 4, "0xf3,")                                               \
	SSE_CMP8(XB, XV, CMPSD, 3, 8, "0xf2,")                                               \
	X(UCOMISS, 0, 0x2e, FLAGS, 4) X(UCOMISD, 1, 0x2e, FLAGS, 8)                         \
	X(COMISS, 0, 0x2f, FLAGS, 4) X(COMISD, 1, 0x2f, FLAGS, 8)                           \
	XB(CVTSI2SS, 2, 0x2a, FROMGPR, 4, "0xf3,0x0f,0x2a,0xc0")                             \
	XV(CVTSI2SSQ, 2, 0x2a, FROMGPR, 8, "0xf3,0x48,0x0f,0x2a,0xc0")                       \
	XB(CVTSI2SD, 3, 0x2a, FROMGPR, 4, "0xf2,0x0f,0x2a,0xc0")                             \
	XV(CVTSI2SDQ, 3, 0x2a, FROMGPR, 8, "0xf2,0x48,0x0f,0x2a,0xc0")                       \
	XB(CVTTSS2SI, 2, 0x2c, TOGPR, 4, "0xf3,0x0f,0x2c,0xc1")                              \
	XV(CVTTSS2SIQ, 2, 0x2c, TOGPR, 4, "0xf3,0x48,0x0f,0x2c,0xc1")                        \
	XB(CVTTSD2SI, 3, 0x2c, TOGPR, 8, "0xf2,0x0f,0x2c,0xc1")                              \
	XV(CVTTSD2SIQ, 3, 0x2c, TOGPR, 8, "0xf2,0x48,0x0f,0x2c,0xc1")                        \
	XB(CVTSS2SI, 2, 0x2d, TOGPR, 4, "0xf3,0x0f,0x2d,0xc1")                               \
	XV(CVTSS2SIQ, 2, 0x2d, TOGPR, 4, "0xf3,0x48,0x0f,0x2d,0xc1")                         \
	XB(CVTSD2SI, 3, 0x2d, TOGPR, 8, "0xf2,0x0f,0x2d,0xc1")                               \
	XV(CVTSD2SIQ, 3, 0x2d, TOGPR, 8, "0xf2,0x48,0x0f,0x2d,0xc1")                         \
	X(UNPCKLPS, 0, 0x14, INT, 16) X(UNPCKLPD, 1, 0x14, INT, 16)                         \
	X(UNPCKHPS, 0, 0x15, INT, 16) X(UNPCKHPD, 1, 0x15, INT, 16)                         \
	X(ANDPS, 0, 0x54, INT, 16) X(ANDPD, 1, 0x54, INT, 16)                               \
	X(ANDNPS, 0, 0x55, INT, 16) X(ANDNPD, 1, 0x55, INT, 16)                             \
	X(ORPS, 0, 0x56, INT, 16) X(ORPD, 1, 0x56, INT, 16)                                 \
	X(XORPS, 0, 0x57, INT, 16) X(XORPD, 1, 0x57, INT, 16)                               \
	SSE_INT66(X, 0x60, PUNPCKLBW) SSE_INT66(X, 0x61, PUNPCKLWD)                          \
	SSE_INT66(X, 0x62, PUNPCKLDQ) SSE_INT66(X, 0x63, PACKSSWB)                           \
	SSE_INT66(X, 0x64, PCMPGTB) SSE_INT66(X, 0x65, PCMPGTW)                              \
	SSE_INT66(X, 0x66, PCMPGTD) SSE_INT66(X, 0x67, PACKUSWB)                             \
	SSE_INT66(X, 0x68, PUNPCKHBW) SSE_INT66(X, 0x69, PUNPCKHWD)                          \
	SSE_INT66(X, 0x6a, PUNPCKHDQ) SSE_INT66(X, 0x6b, PACKSSDW)                           \
	SSE_INT66(X, 0x6c, PUNPCKLQDQ) SSE_INT66(X, 0x6d, PUNPCKHQDQ)                        \
	SSE_INT66(X, 0x74, PCMPEQB) SSE_INT66(X, 0x75, PCMPEQW) SSE_INT66(X, 0x76, PCMPEQD)  \
	SSE_INT66(X, 0xd1, PSRLW) SSE_INT66(X, 0xd2, PSRLD) SSE_INT66(X, 0xd3, PSRLQ)        \
	SSE_INT66(X, 0xd4, PADDQ) SSE_INT66(X, 0xd5, PMULLW)                                 \
	SSE_INT66(X, 0xd8, PSUBUSB) SSE_INT66(X, 0xd9, PSUBUSW) SSE_INT66(X, 0xda, PMINUB)   \
	SSE_INT66(X, 0xdb, PAND) SSE_INT66(X, 0xdc, PADDUSB) SSE_INT66(X, 0xdd, PADDUSW)     \
	SSE_INT66(X, 0xde, PMAXUB) SSE_INT66(X, 0xdf, PANDN)                                 \
	SSE_INT66(X, 0xe0, PAVGB) SSE_INT66(X, 0xe1, PSRAW) SSE_INT66(X, 0xe2, PSRAD)        \
	SSE_INT66(X, 0xe3, PAVGW) SSE_INT66(X, 0xe4, PMULHUW) SSE_INT66(X, 0xe5, PMULHW)     \
	SSE_INT66(X, 0xe8, PSUBSB) SSE_INT66(X, 0xe9, PSUBSW) SSE_INT66(X, 0xea, PMINSW)     \
	SSE_INT66(X, 0xeb, POR) SSE_INT66(X, 0xec, PADDSB) SSE_INT66(X, 0xed, PADDSW)        \
	SSE_INT66(X, 0xee, PMAXSW) SSE_INT66(X, 0xef, PXOR)                                  \
	SSE_INT66(X, 0xf1, PSLLW) SSE_INT66(X, 0xf2, PSLLD) SSE_INT66(X, 0xf3, PSLLQ)        \
	SSE_INT66(X, 0xf4, PMULUDQ) SSE_INT66(X, 0xf5, PMADDWD) SSE_INT66(X, 0xf6, PSADBW)   \
	SSE_INT66(X, 0xf8, PSUBB) SSE_INT66(X, 0xf9, PSUBW) SSE_INT66(X, 0xfa, PSUBD)        \
	SSE_INT66(X, 0xfb, PSUBQ) SSE_INT66(X, 0xfc, PADDB) SSE_INT66(X, 0xfd, PADDW)        \
	SSE_INT66(X, 0xfe, PADDD)

#define SSE_ENUM_X(n, c, o, k, m) SSE_STUB_##n,
#define SSE_ENUM_XB(n, c, o, k, m, b) SSE_STUB_##n,
enum sse_stub {
	SSE_STUB_LIST(SSE_ENUM_X, SSE_ENUM_XB, SSE_ENUM_XB) SSE_NR_STUBS
};
#undef SSE_ENUM_X
#undef SSE_ENUM_XB

#endif /* MMEMU_CPU_SSE_OPS_H */
