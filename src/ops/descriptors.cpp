#include "ops/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace rpdns::ops {
namespace {

constexpr unsigned kFixedReserve = 128;  // streams, stats endpoint, reload files, NOTIFY, margin
constexpr unsigned kPerWorker = 6;       // UDP socket, TCP listener, epoll, eventfd, timerfd, spare

}  // namespace

uint64_t raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

unsigned reserved_descriptors(unsigned workers) { return kFixedReserve + kPerWorker * workers; }

unsigned fit_tcp_connections(unsigned wanted, uint64_t limit, unsigned workers) {
  uint64_t reserved = reserved_descriptors(workers);
  if (limit <= reserved) return 1;
  return static_cast<unsigned>(std::clamp<uint64_t>(limit - reserved, 1, wanted));
}

}  // namespace rpdns::ops
