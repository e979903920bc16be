// The softmax inner loops of the attention kernel, in C so that they can use
// the widest vectors the CPU has (AVX-512, else AVX2 with FMA, else scalar),
// chosen at run time (x86-64; elsewhere scalar): Swift compiles for baseline x86-64, where its SIMD8
// runs as two SSE halves and exp cost as much as a tenth of the kernel.
#ifndef RINGC_KERNELS_H
#define RINGC_KERNELS_H

/// Instruction sets the loops come in; `ringc_best_isa` is the widest this CPU runs.
enum { RINGC_ISA_SCALAR = 0, RINGC_ISA_AVX2 = 1, RINGC_ISA_AVX512 = 2 };
int ringc_best_isa(void);

/// Replaces x[i] by exp(x[i] - shift) for i < n and returns their sum. exp as
/// x = k·ln2 + r (|r| ≤ ln2/2, Cody–Waite), a degree-6 polynomial for exp(r),
/// 2^k from exponent bits: within 5e-7 relative up to 88.37 (larger inputs
/// give exp(88.37)); inputs below -87.3 give 0 (-inf included). Off x86-64
/// only the scalar loop exists. `isa` must be one this CPU runs (≤ ringc_best_isa()).
float ringc_exp_shifted_sum(float *x, long n, float shift, int isa);

/// The largest of x[0..<n] (-inf for n = 0).
float ringc_max(const float *x, long n, int isa);

#endif
