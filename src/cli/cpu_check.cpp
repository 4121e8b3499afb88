// Refuses to start on a CPU that lacks an instruction-set extension the build may use. A build
// with KHSWEEP_NATIVE (the default) compiles for the build host; copied to an older node of a
// cluster it would die of SIGILL somewhere mid-run. This file is compiled for the baseline x86-64
// (CMakeLists.txt), and its check runs before any other code of the program, static initialisers
// included, so it can still say what is wrong.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "khsweep/core/exit_codes.hpp"

namespace khsweep::cli {

// In cpu_features.cpp, compiled with the flags of the rest: the extensions they enabled.
extern const char* const kBuiltForCpuFeatures[];

namespace {

// __builtin_cpu_supports takes only a literal, hence the list.
bool cpu_supports(const char* feature) {
#define KHSWEEP_FEATURE(name) \
  if (std::strcmp(feature, name) == 0) return __builtin_cpu_supports(name);
  KHSWEEP_FEATURE("sse4.2") KHSWEEP_FEATURE("popcnt") KHSWEEP_FEATURE("avx") KHSWEEP_FEATURE("avx2")
  KHSWEEP_FEATURE("fma") KHSWEEP_FEATURE("bmi") KHSWEEP_FEATURE("bmi2") KHSWEEP_FEATURE("f16c")
  KHSWEEP_FEATURE("avx512f") KHSWEEP_FEATURE("avx512bw") KHSWEEP_FEATURE("avx512vl") KHSWEEP_FEATURE("avx512dq")
  KHSWEEP_FEATURE("avx512cd") KHSWEEP_FEATURE("avx512ifma") KHSWEEP_FEATURE("avx512vbmi")
  KHSWEEP_FEATURE("avx512vbmi2") KHSWEEP_FEATURE("avx512vnni") KHSWEEP_FEATURE("avx512bitalg")
  KHSWEEP_FEATURE("avx512vpopcntdq") KHSWEEP_FEATURE("avx512bf16") KHSWEEP_FEATURE("avx512vp2intersect")
  KHSWEEP_FEATURE("gfni") KHSWEEP_FEATURE("vaes") KHSWEEP_FEATURE("vpclmulqdq")
#undef KHSWEEP_FEATURE
  return true;  // not one the check knows
}

__attribute__((constructor(101))) void refuse_a_cpu_the_build_cannot_run_on() {
  __builtin_cpu_init();  // libgcc's own constructor, which fills in the features, may not have run yet
  std::string missing;
  for (const char* const* feature = kBuiltForCpuFeatures; *feature != nullptr; ++feature)
    if (!cpu_supports(*feature)) missing += (missing.empty() ? "" : ", ") + std::string(*feature);
  if (missing.empty()) return;
#if defined(KHSWEEP_NATIVE_BUILD)
  const char* why = "it was compiled with -DKHSWEEP_NATIVE=ON, for the build host";
  const char* portable = "build with -DKHSWEEP_NATIVE=OFF";
#else
  const char* why = "it was compiled for a newer CPU by a -march option in CMAKE_CXX_FLAGS";
  const char* portable = "build without that -march option";
#endif
  std::fprintf(stderr,
               "khsweep: this binary was built for a CPU with %s, which this CPU lacks (%s). Build on a node "
               "like this one, or %s to run on every x86-64 node; results are bitwise the same either way "
               "(docs/cluster.md)\n",
               missing.c_str(), why, portable);
  std::_Exit(kExitInput);
}

}  // namespace

}  // namespace khsweep::cli
