/* dispatch.c — picks the kernel table at run time. The build never assumes the CPU it runs on
 * (no -march=native): each ISA file is compiled for its own target and chosen here after asking
 * the CPU (cpuid, via the compiler's builtins, which also check that the OS saves the wide
 * registers). SEKISHO_CPU=scalar|avx2|avx512|amx caps the level, so benchmarks and tests can
 * compare levels on one machine. */
#include <stdlib.h>
#include <string.h>

#include "engine/cpu/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static int has_f16c(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & bit_F16C) != 0;
}

static cpu_level detect(void) {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c()))
    return CPU_SCALAR;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
    return cpu_amx_usable() ? CPU_AMX : CPU_AVX512;
  return CPU_AVX2;
}
#else
static cpu_level detect(void) { return CPU_SCALAR; }
#endif

cpu_level cpu_best_level(void) {
  static int cached = -1; /* racing first calls compute the same value */
  if (cached < 0) cached = (int)detect();
  return (cpu_level)cached;
}

const char *cpu_level_name(cpu_level level) {
  switch (level) {
  case CPU_AVX2: return "avx2";
  case CPU_AVX512: return "avx512";
  case CPU_AMX: return "amx";
  default: return "scalar";
  }
}

const cpu_kernels *cpu_kernels_level(cpu_level level) {
  if (level > cpu_best_level()) return NULL;
  switch (level) {
  case CPU_AMX: return cpu_kernels_amx();
  case CPU_AVX512: return cpu_kernels_avx512();
  case CPU_AVX2: return cpu_kernels_avx2();
  default: return cpu_kernels_scalar();
  }
}

const cpu_kernels *cpu_kernels_get(void) {
  cpu_level level = cpu_best_level();
  const char *env = getenv("SEKISHO_CPU");
  if (env) {
    for (int l = CPU_SCALAR; l <= CPU_LEVEL_BEST_KNOWN; l++)
      if (strcmp(env, cpu_level_name((cpu_level)l)) == 0 && (cpu_level)l < level)
        level = (cpu_level)l;
  }
  const cpu_kernels *k = cpu_kernels_level(level);
  return k ? k : cpu_kernels_scalar();
}
