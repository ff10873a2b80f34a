#include "bench/stats.h"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace bench {

int64_t now_us() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

namespace {
double rank_ms(const std::vector<int64_t>& sorted, double p) {
  // Nearest rank: the smallest sample with at least p% of samples <= it.
  size_t n = sorted.size();
  size_t rank = size_t(std::ceil(p / 100.0 * double(n)));
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return double(sorted[rank - 1]) / 1000.0;
}
}  // namespace

Summary summarize(std::vector<int64_t>& samples_us) {
  Summary s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  s.min_ms = double(samples_us.front()) / 1000.0;
  s.p50_ms = rank_ms(samples_us, 50);
  s.p90_ms = rank_ms(samples_us, 90);
  s.p99_ms = rank_ms(samples_us, 99);
  s.max_ms = double(samples_us.back()) / 1000.0;
  return s;
}

void print_histogram(FILE* out, const std::vector<int64_t>& samples_us) {
  if (samples_us.empty()) return;
  constexpr int kRows = 20;  // 0.125 ms .. 65 s, then one overflow row
  size_t rows[kRows + 1] = {};
  for (int64_t v : samples_us) {
    int64_t limit = 125;
    int r = 0;
    while (r < kRows && v > limit) {
      limit *= 2;
      ++r;
    }
    ++rows[r];
  }
  size_t most = *std::max_element(rows, rows + kRows + 1);
  int last = kRows;
  while (last > 0 && rows[last] == 0) --last;
  int first = 0;
  while (first < last && rows[first] == 0) ++first;
  double limit_ms = 0.125 * double(1 << first);
  for (int r = first; r <= last; ++r, limit_ms *= 2) {
    int bar = most ? int(50.0 * double(rows[r]) / double(most) + 0.5) : 0;
    if (r == kRows)
      std::fprintf(out, "   > %9.3f ms %8zu  %s\n", limit_ms / 2, rows[r], std::string(bar, '#').c_str());
    else
      std::fprintf(out, "  <= %9.3f ms %8zu  %s\n", limit_ms, rows[r], std::string(bar, '#').c_str());
  }
}

std::string format_summary(const std::string& prefix, const Summary& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%sp50_ms=%.3f %sp90_ms=%.3f %sp99_ms=%.3f %smax_ms=%.3f",
                prefix.c_str(), s.p50_ms, prefix.c_str(), s.p90_ms, prefix.c_str(), s.p99_ms,
                prefix.c_str(), s.max_ms);
  return buf;
}

}  // namespace bench
