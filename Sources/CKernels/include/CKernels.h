// The attention kernel's inner loops, in C so that they can use the widest
// vectors the CPU has (AVX-512, else AVX2 with FMA, else scalar), chosen at
// run time (x86-64; elsewhere scalar): Swift compiles for baseline x86-64,
// where its SIMD8 runs as two SSE halves and exp cost as much as a tenth of
// the kernel. softmax.c: exp and max of a row of scores; panels.c: the
// tile's two products.
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

/// The attention tile's two products without a BLAS (panels.c), for AVX-512:
/// sgemm packs both operands on every call, these read operands already laid
/// out for them. Keys come packed per kv head in panels of RINGC_PANEL_KEYS:
/// panel p is d rows of keys 32p…32p+31 (keys past m zero).
enum { RINGC_PANEL_KEYS = 32 };
/// Packs keys k[j·ldk + c] (j < m, c < d) into ceil(m/32)·32·d floats.
void ringc_pack_key_panels(const float *k, long m, long d, long ldk, float *panels);
/// s[i·lds + j] = Σ_c q[i·d + c]·key_j[c] for i < rows, j < cols, the keys
/// read from `panels` (the panel of the tile's first key).
void ringc_panel_scores(const float *q, long rows, long d, const float *panels, long cols, float *s, long lds);
/// o[i·ldo + c] = (accumulate ? o[i·ldo + c] : 0) + Σ_j p[i·ldp + j]·v[j·ldv + c]
/// for i < rows, c < dv, j < cols.
void ringc_panel_outputs(
    const float *p, long rows, long cols, long ldp, const float *v, long ldv, long dv, float *o, long ldo, int accumulate);

#endif
