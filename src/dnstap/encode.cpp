#include "dnstap/encode.hpp"

#include "dnstap/dnstap.pb-c.h"

namespace rpdns::dnstap {
namespace {

ProtobufCBinaryData bytes(const void* data, std::size_t size) {
  // protobuf-c's type is not const-correct; packing only reads it.
  return {size, static_cast<uint8_t*>(const_cast<void*>(data))};
}

ProtobufCBinaryData bytes(std::span<const uint8_t> data) { return bytes(data.data(), data.size()); }

// An address's bytes and port; false for a family dnstap has no name for,
// or (when `skip_wildcard`) for an unspecified address.
bool address(const sockaddr* sa, bool skip_wildcard, ProtobufCBinaryData& out, uint32_t& port) {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (skip_wildcard && in->sin_addr.s_addr == htonl(INADDR_ANY)) return false;
    out = bytes(&in->sin_addr, 4);
    port = ntohs(in->sin_port);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (skip_wildcard && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) return false;
    out = bytes(&in6->sin6_addr, 16);
    port = ntohs(in6->sin6_port);
    return true;
  }
  return false;
}

void set_peers(Dnstap__Message& m, const Exchange& e) {
  if (e.client == nullptr) return;
  m.has_socket_family = 1;
  m.socket_family = e.client->sa_family == AF_INET6 ? DNSTAP__SOCKET_FAMILY__INET6 : DNSTAP__SOCKET_FAMILY__INET;
  m.has_socket_protocol = 1;
  m.socket_protocol = e.protocol == Protocol::tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
  m.has_query_address = m.has_query_port = address(e.client, false, m.query_address, m.query_port);
  m.has_response_address = m.has_response_port = address(e.server, true, m.response_address, m.response_port);
}

}  // namespace

bool encode(Ring& ring, const Settings& settings, const Exchange& exchange, bool response) {
  Dnstap__Message m = DNSTAP__MESSAGE__INIT;
  m.type = response ? DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE : DNSTAP__MESSAGE__TYPE__AUTH_QUERY;
  set_peers(m, exchange);
  // Both kinds carry the query's time (the spec's recommendation for AUTH_RESPONSE too).
  m.has_query_time_sec = m.has_query_time_nsec = 1;
  m.query_time_sec = static_cast<uint64_t>(exchange.query_time.tv_sec);
  m.query_time_nsec = static_cast<uint32_t>(exchange.query_time.tv_nsec);
  if (response) {
    m.has_response_time_sec = m.has_response_time_nsec = 1;
    m.response_time_sec = static_cast<uint64_t>(exchange.response_time.tv_sec);
    m.response_time_nsec = static_cast<uint32_t>(exchange.response_time.tv_nsec);
    m.has_response_message = 1;
    m.response_message = bytes(exchange.response);
  } else {
    m.has_query_message = 1;
    m.query_message = bytes(exchange.query);
  }
  Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
  d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
  d.message = &m;
  if (!settings.identity.empty()) {
    d.has_identity = 1;
    d.identity = bytes(settings.identity.data(), settings.identity.size());
  }
  if (!settings.version.empty()) {
    d.has_version = 1;
    d.version = bytes(settings.version.data(), settings.version.size());
  }
  std::size_t size = dnstap__dnstap__get_packed_size(&d);
  uint8_t* out = ring.reserve(size);
  if (out == nullptr) return false;
  dnstap__dnstap__pack(&d, out);
  ring.commit();
  return true;
}

}  // namespace rpdns::dnstap
