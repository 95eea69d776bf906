// A primary for testing rpdns as a secondary: one zone, served from a
// thread of the test process on 127.0.0.1 (one ephemeral port for UDP and
// TCP). It answers SOA queries over both, AXFR over TCP, counts what it was
// asked, and sends NOTIFY. Its transfers can misbehave on purpose: never
// end, trickle, or be any messages a test builds (see set_axfr_reply).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns/wire.hpp"

namespace rpdns::test {

class FakePrimary {
 public:
  enum class AxfrMode {
    normal,   // the SOA, the records, the SOA again, in one message
    endless,  // the SOA, then messages of records forever, never the closing SOA
    trickle,  // like endless, but one small message every trickle_interval
  };
  // Builds the messages of one AXFR (unframed), given the request.
  using AxfrReply = std::function<std::vector<std::vector<uint8_t>>(const std::vector<uint8_t>& request)>;
  // Builds the reply to one SOA query, over UDP or TCP; empty: no reply.
  using SoaReply = std::function<std::vector<uint8_t>(const std::vector<uint8_t>& request)>;

  // `origin` in presentation form with the final dot ("sec.example.").
  explicit FakePrimary(std::string origin);
  ~FakePrimary();
  FakePrimary(const FakePrimary&) = delete;
  FakePrimary& operator=(const FakePrimary&) = delete;

  uint16_t port() const { return port_; }
  const std::string& origin() const { return origin_; }

  // The zone's SOA serial and timers (refresh, retry, expire; RFC 1035 §3.3.13).
  void set_serial(uint32_t serial);
  void set_timers(uint32_t refresh, uint32_t retry, uint32_t expire);
  // Records besides the SOA, in presentation form, owners relative to the origin or absolute.
  void set_records(std::vector<std::string> records);
  void set_axfr_mode(AxfrMode mode);
  // Replaces the AXFR messages altogether (null: back to the mode's).
  void set_axfr_reply(AxfrReply reply);
  // Replaces the replies to SOA queries (null: back to the zone's SOA).
  void set_soa_reply(SoaReply reply);

  // The zone's SOA record in presentation form, as served now, or with `serial`.
  std::string soa_text() const;
  std::string soa_with(uint32_t serial) const;
  // Answers IXFR over TCP with these messages, then closes the connection
  // (null: REFUSED, as a primary without IXFR).
  void set_ixfr_reply(AxfrReply reply);
  // The messages of a normal AXFR answering `request` (for set_axfr_reply).
  std::vector<std::vector<uint8_t>> normal_axfr(const std::vector<uint8_t>& request) const;
  // A reply to `request` (ID and question echoed, AA) holding `records` in its answer section.
  static std::vector<uint8_t> reply(const std::vector<uint8_t>& request, const std::vector<std::string>& records);

  int soa_queries() const { return soa_queries_.load(); }
  int axfr_queries() const { return axfr_queries_.load(); }
  int ixfr_queries() const { return ixfr_queries_.load(); }
  // Transfers in which the secondary closed the connection while we were still sending.
  int transfers_cut() const { return transfers_cut_.load(); }

  // Sends one NOTIFY for the zone to 127.0.0.1:`port` over UDP (RFC 1996
  // §3.7), with the SOA of `serial` in its answer section if given; returns
  // the reply's rcode, or -1 when none came within a second.
  int notify(uint16_t port, std::optional<uint32_t> serial = std::nullopt, uint16_t qtype = dns::type::SOA) const;
  // Sends `count` NOTIFYs as fast as it can without waiting for replies.
  void notify_flood(uint16_t port, int count, std::optional<uint32_t> serial = std::nullopt) const;

  std::chrono::milliseconds trickle_interval{300};

 private:
  void run();
  void answer_udp();
  void accept_tcp();
  void serve_tcp(int fd);
  bool send_message(int fd, const std::vector<uint8_t>& message);
  void stream_forever(int fd, const std::vector<uint8_t>& request, bool trickle);
  // The zone's SOA record with `serial`; the caller holds mutex_.
  std::vector<uint8_t> notify_message(uint16_t id, std::optional<uint32_t> serial, uint16_t qtype) const;
  std::vector<uint8_t> answer_query(const std::vector<uint8_t>& request);

  std::string origin_;
  uint16_t port_ = 0;
  int udp_ = -1;
  int tcp_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<int> soa_queries_{0};
  std::atomic<int> axfr_queries_{0};
  std::atomic<int> ixfr_queries_{0};
  std::atomic<int> transfers_cut_{0};
  mutable std::mutex mutex_;  // guards what follows
  uint32_t serial_ = 1;
  uint32_t refresh_ = 3600, retry_ = 600, expire_ = 604800;
  std::vector<std::string> records_;
  AxfrMode mode_ = AxfrMode::normal;
  AxfrReply axfr_reply_;
  AxfrReply ixfr_reply_;
  SoaReply soa_reply_;
  std::vector<std::thread> connections_;
  std::thread thread_;
};

}  // namespace rpdns::test
