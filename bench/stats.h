// Latency statistics shared by the load generator and the end-to-end
// report: exact percentiles over all samples (runs are bounded, so keeping
// every sample is cheap and avoids the bucket error of an HDR histogram)
// plus a coarse power-of-two histogram for the human-readable output.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

// Microseconds on CLOCK_MONOTONIC. The clock is system-wide, so the load
// generator and the Maildir watcher (separate processes) can subtract each
// other's timestamps.
int64_t now_us() noexcept;

struct Summary {
  size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, min_ms = 0;
};

// Nearest-rank percentiles (p in 0..100) of samples in microseconds.
// Sorts its argument. An empty input gives an all-zero Summary.
Summary summarize(std::vector<int64_t>& samples_us);

// Prints "  <= 1 ms  1234  #####" rows, buckets doubling from 0.125 ms.
// Negative samples (a delivery seen before its 250 reached the client) go
// to the first row.
void print_histogram(FILE* out, const std::vector<int64_t>& samples_us);

// "p50_ms=1.234 p90_ms=... p99_ms=... max_ms=..." with the given key prefix.
std::string format_summary(const std::string& prefix, const Summary& s);

}  // namespace bench
