// The process's descriptor budget. Every TCP connection costs one
// descriptor, from the same RLIMIT_NOFILE as the sockets, zone files and
// NOTIFY sockets; a TCP limit above what the budget allows would end in
// EMFILE for whatever asks next.
#pragma once

#include <cstdint>
#include <string>

namespace rpdns::ops {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
// in force afterwards (UINT64_MAX when unlimited).
uint64_t raise_descriptor_limit();

// Descriptors kept for everything but TCP connections: standard streams,
// per worker its UDP socket, TCP listener and io_context (epoll, eventfd,
// timerfd), the stats endpoint and its connections (at most
// HttpStats::kMaxConnections, 8), zone files and NOTIFY sockets during a
// reload, with a margin.
unsigned reserved_descriptors(unsigned workers);

// The number of TCP connections that fit in `limit` descriptors beside
// what `workers` workers need, never above `wanted` and never below 1.
unsigned fit_tcp_connections(unsigned wanted, uint64_t limit, unsigned workers);

}  // namespace rpdns::ops
