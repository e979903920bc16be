#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <math.h>
#include <stdint.h>
#include <string.h>

// exp(r) ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2; the same constants in every width.
#define LOG2E 1.4426950408889634f
#define LN2_HI 0.693145751953125f
#define LN2_LO 1.428606765330187045e-6f
#define P0 1.98756915008e-4f
#define P1 1.3981999507e-3f
#define P2 8.3334519073e-3f
#define P3 4.1665795894e-2f
#define P4 1.6666665459e-1f
#define P5 5.0000001201e-1f
#define LOW -87.3f
// Above 88.37, k = 128 would not fit the exponent bits (exp(88.72) is FLT_MAX).
#define HIGH 88.37f

int ringc_best_isa(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return RINGC_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return RINGC_ISA_AVX2;
#endif
  return RINGC_ISA_SCALAR;
}

static float exp1(float x) {
  if (!(x >= LOW)) return 0;  // -inf and NaN-free inputs below the range
  float c = x > HIGH ? HIGH : x;
  float k = nearbyintf(c * LOG2E);
  float r = c - k * LN2_HI;
  r = r - k * LN2_LO;
  float p = P0;
  p = p * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * r * r + r + 1;
  uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static float exp_sum_scalar(float *x, long n, float shift) {
  float sum = 0;
  for (long i = 0; i < n; i++) {
    x[i] = exp1(x[i] - shift);
    sum += x[i];
  }
  return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static __m256 exp8(__m256 x) {
  __m256 c = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(LOW)), _mm256_set1_ps(HIGH));
  __m256 k = _mm256_round_ps(_mm256_mul_ps(c, _mm256_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(LN2_HI), c);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(LN2_LO), r);
  __m256 p = _mm256_set1_ps(P0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(P5));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  // Below the range (and -inf): 0.
  return _mm256_and_ps(y, _mm256_cmp_ps(x, _mm256_set1_ps(LOW), _CMP_GE_OQ));
}

__attribute__((target("avx2,fma"))) static float exp_sum_avx2(float *x, long n, float shift) {
  __m256 s = _mm256_set1_ps(shift), sum = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    _mm256_storeu_ps(x + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  float total = 0;
  for (int j = 0; j < 8; j++) total += lanes[j];
  return total + exp_sum_scalar(x + i, n - i, shift);
}

__attribute__((target("avx512f"))) static __m512 exp16(__m512 x) {
  __m512 c = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(LOW)), _mm512_set1_ps(HIGH));
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(LN2_HI), c);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(LN2_LO), r);
  __m512 p = _mm512_set1_ps(P0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P5));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1)));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
  __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(LOW), _CMP_GE_OQ), y);
}

__attribute__((target("avx512f"))) static float exp_sum_avx512(float *x, long n, float shift) {
  __m512 s = _mm512_set1_ps(shift), sum = _mm512_setzero_ps();
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {
    __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
  }
  return _mm512_reduce_add_ps(sum);
}

#endif

float ringc_exp_shifted_sum(float *x, long n, float shift, int isa) {
  switch (isa) {
#if defined(__x86_64__)
    case RINGC_ISA_AVX512: return exp_sum_avx512(x, n, shift);
    case RINGC_ISA_AVX2: return exp_sum_avx2(x, n, shift);
#endif
    default: return exp_sum_scalar(x, n, shift);
  }
}

static float max_scalar(const float *x, long n) {
  float top = -INFINITY;
  for (long i = 0; i < n; i++) top = x[i] > top ? x[i] : top;
  return top;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float max_avx2(const float *x, long n) {
  __m256 top = _mm256_set1_ps(-INFINITY);
  long i = 0;
  for (; i + 8 <= n; i += 8) top = _mm256_max_ps(top, _mm256_loadu_ps(x + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, top);
  float result = max_scalar(x + i, n - i);
  for (int j = 0; j < 8; j++) result = lanes[j] > result ? lanes[j] : result;
  return result;
}

__attribute__((target("avx512f"))) static float max_avx512(const float *x, long n) {
  __m512 top = _mm512_set1_ps(-INFINITY);
  long i = 0;
  for (; i + 16 <= n; i += 16) top = _mm512_max_ps(top, _mm512_loadu_ps(x + i));
  if (i < n) {
    __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    top = _mm512_mask_max_ps(top, m, top, _mm512_maskz_loadu_ps(m, x + i));
  }
  return _mm512_reduce_max_ps(top);
}

#endif

float ringc_max(const float *x, long n, int isa) {
  switch (isa) {
#if defined(__x86_64__)
    case RINGC_ISA_AVX512: return max_avx512(x, n);
    case RINGC_ISA_AVX2: return max_avx2(x, n);
#endif
    default: return max_scalar(x, n);
  }
}
