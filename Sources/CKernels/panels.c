#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <string.h>

// Register blocks: scores take 8 rows × 32 keys (16 accumulators), the
// output 4 rows × 64 columns (16 accumulators), out of AVX-512's 32.
#define SCORE_ROWS 8
#define OUT_ROWS 4
#define OUT_VECTORS 4

void ringc_pack_key_panels(const float *k, long m, long d, long ldk, float *panels) {
  for (long p = 0; p * RINGC_PANEL_KEYS < m; p++) {
    float *panel = panels + p * RINGC_PANEL_KEYS * d;
    long keys = m - p * RINGC_PANEL_KEYS < RINGC_PANEL_KEYS ? m - p * RINGC_PANEL_KEYS : RINGC_PANEL_KEYS;
    if (keys < RINGC_PANEL_KEYS) memset(panel, 0, sizeof(float) * RINGC_PANEL_KEYS * d);
    for (long j = 0; j < keys; j++) {
      const float *key = k + (p * RINGC_PANEL_KEYS + j) * ldk;
      for (long c = 0; c < d; c++) panel[c * RINGC_PANEL_KEYS + j] = key[c];
    }
  }
}

#if defined(__x86_64__)

static __mmask16 lanes(long n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

// R rows of scores against one panel; the panel's 32 keys are all computed
// (padding keys are zero), `keys` of them stored. Inlined with R constant.
__attribute__((target("avx512f"), always_inline)) static inline void score_block(
    int R, const float *q, long d, const float *panel, long keys, float *s, long lds) {
  __m512 acc[SCORE_ROWS][2];
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (long c = 0; c < d; c++) {
    __m512 k0 = _mm512_loadu_ps(panel + c * RINGC_PANEL_KEYS), k1 = _mm512_loadu_ps(panel + c * RINGC_PANEL_KEYS + 16);
    for (int r = 0; r < R; r++) {
      __m512 x = _mm512_set1_ps(q[r * d + c]);
      acc[r][0] = _mm512_fmadd_ps(x, k0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(x, k1, acc[r][1]);
    }
  }
  __mmask16 m0 = lanes(keys), m1 = lanes(keys - 16 > 0 ? keys - 16 : 0);
  for (int r = 0; r < R; r++) {
    _mm512_mask_storeu_ps(s + r * lds, m0, acc[r][0]);
    _mm512_mask_storeu_ps(s + r * lds + 16, m1, acc[r][1]);
  }
}

__attribute__((target("avx512f"))) void ringc_panel_scores(
    const float *q, long rows, long d, const float *panels, long cols, float *s, long lds) {
  for (long j = 0; j < cols; j += RINGC_PANEL_KEYS) {
    const float *panel = panels + j * d;
    long keys = cols - j < RINGC_PANEL_KEYS ? cols - j : RINGC_PANEL_KEYS;
    long i = 0;
    for (; i + SCORE_ROWS <= rows; i += SCORE_ROWS) score_block(SCORE_ROWS, q + i * d, d, panel, keys, s + i * lds + j, lds);
    const float *qt = q + i * d;
    float *st = s + i * lds + j;
    switch (rows - i) {
      case 7: score_block(7, qt, d, panel, keys, st, lds); break;
      case 6: score_block(6, qt, d, panel, keys, st, lds); break;
      case 5: score_block(5, qt, d, panel, keys, st, lds); break;
      case 4: score_block(4, qt, d, panel, keys, st, lds); break;
      case 3: score_block(3, qt, d, panel, keys, st, lds); break;
      case 2: score_block(2, qt, d, panel, keys, st, lds); break;
      case 1: score_block(1, qt, d, panel, keys, st, lds); break;
      default: break;
    }
  }
}

// R rows × W vectors of the output (the last vector `last`'s lanes), over
// all `cols` keys. Inlined with R and W constant.
__attribute__((target("avx512f"), always_inline)) static inline void out_block(
    int R, int W, __mmask16 last, const float *p, long cols, long ldp, const float *v, long ldv, float *o, long ldo,
    int accumulate) {
  __m512 acc[OUT_ROWS][OUT_VECTORS];
  for (int r = 0; r < R; r++)
    for (int w = 0; w < W; w++)
      acc[r][w] = accumulate ? _mm512_maskz_loadu_ps(w == W - 1 ? last : 0xFFFF, o + r * ldo + 16 * w) : _mm512_setzero_ps();
  for (long j = 0; j < cols; j++) {
    __m512 x[OUT_VECTORS];
    for (int w = 0; w < W; w++) x[w] = _mm512_maskz_loadu_ps(w == W - 1 ? last : 0xFFFF, v + j * ldv + 16 * w);
    for (int r = 0; r < R; r++) {
      __m512 weight = _mm512_set1_ps(p[r * ldp + j]);
      for (int w = 0; w < W; w++) acc[r][w] = _mm512_fmadd_ps(weight, x[w], acc[r][w]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int w = 0; w < W; w++) _mm512_mask_storeu_ps(o + r * ldo + 16 * w, w == W - 1 ? last : 0xFFFF, acc[r][w]);
}

#define OUT_BLOCK(R, W) out_block(R, W, last, pt, cols, ldp, vt, ldv, ot, ldo, accumulate)
#define OUT_ROWS_OF(W)                   \
  switch (R) {                           \
    case 4: OUT_BLOCK(4, W); break;      \
    case 3: OUT_BLOCK(3, W); break;      \
    case 2: OUT_BLOCK(2, W); break;      \
    default: OUT_BLOCK(1, W); break;     \
  }

__attribute__((target("avx512f"))) void ringc_panel_outputs(
    const float *p, long rows, long cols, long ldp, const float *v, long ldv, long dv, float *o, long ldo, int accumulate) {
  for (long c0 = 0; c0 < dv; c0 += 16 * OUT_VECTORS) {
    long width = dv - c0 < 16 * OUT_VECTORS ? dv - c0 : 16 * OUT_VECTORS;
    int W = (int)((width + 15) / 16);
    __mmask16 last = lanes(width - 16 * (W - 1));
    for (long i = 0; i < rows; i += OUT_ROWS) {
      int R = rows - i < OUT_ROWS ? (int)(rows - i) : OUT_ROWS;
      const float *pt = p + i * ldp, *vt = v + c0;
      float *ot = o + i * ldo + c0;
      switch (W) {
        case 4: OUT_ROWS_OF(4); break;
        case 3: OUT_ROWS_OF(3); break;
        case 2: OUT_ROWS_OF(2); break;
        default: OUT_ROWS_OF(1); break;
      }
    }
  }
}

#else

// Elsewhere the same products in plain loops (callers take the panels only
// where ringc_best_isa() is AVX-512, so these serve tests of other builds).
void ringc_panel_scores(const float *q, long rows, long d, const float *panels, long cols, float *s, long lds) {
  for (long i = 0; i < rows; i++)
    for (long j = 0; j < cols; j++) {
      const float *panel = panels + (j / RINGC_PANEL_KEYS) * RINGC_PANEL_KEYS * d + j % RINGC_PANEL_KEYS;
      float sum = 0;
      for (long c = 0; c < d; c++) sum += q[i * d + c] * panel[c * RINGC_PANEL_KEYS];
      s[i * lds + j] = sum;
    }
}

void ringc_panel_outputs(
    const float *p, long rows, long cols, long ldp, const float *v, long ldv, long dv, float *o, long ldo, int accumulate) {
  for (long i = 0; i < rows; i++)
    for (long c = 0; c < dv; c++) {
      float sum = accumulate ? o[i * ldo + c] : 0;
      for (long j = 0; j < cols; j++) sum += p[i * ldp + j] * v[j * ldv + c];
      o[i * ldo + c] = sum;
    }
}

#endif
