#include "support/fake_primary.hpp"

#include <poll.h>

#include <cerrno>
#include <stdexcept>

#include "support/ldns_decode.hpp"
#include "support/ldns_query.hpp"
#include "support/net.hpp"

namespace rpdns::test {
namespace {

constexpr auto kPoll = 100;  // ms between looks at stopping_

int bound_socket(int type, uint16_t port) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in a = loopback(port);
  if (fd >= 0 && bind(fd, sa(a), sizeof a) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

ldns_rr* make_rr(const std::string& text) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr) != LDNS_STATUS_OK)
    throw std::runtime_error("fake primary: bad record '" + text + "'");
  return rr;
}

// True when `request` decodes and asks one question, of `type`.
bool asks_for(const std::vector<uint8_t>& request, ldns_rr_type type) {
  Packet query = decode(request);
  return query && ldns_rr_list_rr_count(ldns_pkt_question(query.get())) == 1 &&
         ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(query.get()), 0)) == type;
}

// Reads exactly `n` bytes, giving up when the peer closes or we stop.
bool read_exact(int fd, uint8_t* out, std::size_t n, const std::atomic<bool>& stopping) {
  std::size_t got = 0;
  while (got < n && !stopping) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kPoll) <= 0) continue;
    ssize_t r = recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return got == n;
}

// The peer closed its side (or reset): what a secondary does to abort.
bool peer_closed(int fd, int wait_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, wait_ms) <= 0) return false;
  uint8_t byte = 0;
  return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

}  // namespace

FakePrimary::FakePrimary(std::string origin) : origin_(std::move(origin)) {
  records_ = {origin_ + " 3600 IN NS ns1." + origin_, "ns1." + origin_ + " 3600 IN A 192.0.2.53",
              "www." + origin_ + " 3600 IN A 192.0.2.80"};
  for (int attempt = 0; attempt < 20 && udp_ < 0; ++attempt) {
    tcp_ = bound_socket(SOCK_STREAM, 0);
    if (tcp_ < 0 || listen(tcp_, 16) != 0) throw std::runtime_error("fake primary: cannot listen on TCP");
    port_ = bound_port(tcp_);
    udp_ = bound_socket(SOCK_DGRAM, port_);
    if (udp_ < 0) close(tcp_);  // the UDP port is taken: another one
  }
  if (udp_ < 0 || pipe(wake_) != 0) throw std::runtime_error("fake primary: cannot bind");
  thread_ = std::thread([this] { run(); });
}

FakePrimary::~FakePrimary() {
  stopping_ = true;
  [[maybe_unused]] ssize_t ignored = write(wake_[1], "x", 1);
  thread_.join();
  for (auto& t : connections_) t.join();
  for (int fd : {udp_, tcp_, wake_[0], wake_[1]}) close(fd);
}

void FakePrimary::set_serial(uint32_t serial) {
  std::lock_guard lock(mutex_);
  serial_ = serial;
}

void FakePrimary::set_timers(uint32_t refresh, uint32_t retry, uint32_t expire) {
  std::lock_guard lock(mutex_);
  refresh_ = refresh;
  retry_ = retry;
  expire_ = expire;
}

void FakePrimary::set_records(std::vector<std::string> records) {
  std::lock_guard lock(mutex_);
  records_ = std::move(records);
}

void FakePrimary::set_axfr_mode(AxfrMode mode) {
  std::lock_guard lock(mutex_);
  mode_ = mode;
}

void FakePrimary::set_axfr_reply(AxfrReply reply) {
  std::lock_guard lock(mutex_);
  axfr_reply_ = std::move(reply);
}

void FakePrimary::set_soa_reply(SoaReply reply) {
  std::lock_guard lock(mutex_);
  soa_reply_ = std::move(reply);
}

void FakePrimary::set_ixfr_reply(AxfrReply reply) {
  std::lock_guard lock(mutex_);
  ixfr_reply_ = std::move(reply);
}

std::string FakePrimary::soa_text() const {
  std::lock_guard lock(mutex_);
  return soa_with(serial_);
}

std::string FakePrimary::soa_with(uint32_t serial) const {
  return origin_ + " 3600 IN SOA ns1." + origin_ + " hostmaster." + origin_ + " " + std::to_string(serial) + " " +
         std::to_string(refresh_) + " " + std::to_string(retry_) + " " + std::to_string(expire_) + " 60";
}

std::vector<uint8_t> FakePrimary::reply(const std::vector<uint8_t>& request, const std::vector<std::string>& records) {
  Packet query = decode(request);
  if (!query) return {};
  ldns_pkt* out = ldns_pkt_new();
  ldns_pkt_set_id(out, ldns_pkt_id(query.get()));
  ldns_pkt_set_qr(out, true);
  ldns_pkt_set_aa(out, true);
  ldns_pkt_set_opcode(out, ldns_pkt_get_opcode(query.get()));
  const ldns_rr_list* question = ldns_pkt_question(query.get());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(question); ++i)
    ldns_pkt_push_rr(out, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(question, i)));
  for (const auto& text : records) ldns_pkt_push_rr(out, LDNS_SECTION_ANSWER, make_rr(text));
  return to_wire_and_free(out);
}

std::vector<std::vector<uint8_t>> FakePrimary::normal_axfr(const std::vector<uint8_t>& request) const {
  std::vector<std::string> all = {soa_text()};
  {
    std::lock_guard lock(mutex_);
    all.insert(all.end(), records_.begin(), records_.end());
  }
  all.push_back(all.front());
  return {reply(request, all)};
}

void FakePrimary::run() {
  while (!stopping_) {
    pollfd fds[3] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) <= 0) continue;
    if (fds[0].revents & POLLIN) answer_udp();
    if (fds[1].revents & POLLIN) accept_tcp();
  }
}

void FakePrimary::answer_udp() {
  std::vector<uint8_t> buf(65535);
  sockaddr_storage from{};
  socklen_t from_len = sizeof from;
  ssize_t n = recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n <= 0) return;
  buf.resize(static_cast<std::size_t>(n));
  auto out = answer_query(buf);
  if (!out.empty()) sendto(udp_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
}

void FakePrimary::accept_tcp() {
  int fd = accept(tcp_, nullptr, nullptr);
  if (fd < 0) return;
  timeval timeout{0, 200000};  // a send blocked this long lets stream_forever look at stopping_
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  connections_.emplace_back([this, fd] {
    serve_tcp(fd);
    close(fd);
  });
}

// A SOA query answered with the SOA; anything else but AXFR REFUSED (no reply for a response).
std::vector<uint8_t> FakePrimary::answer_query(const std::vector<uint8_t>& request) {
  Packet query = decode(request);
  if (!query || ldns_pkt_qr(query.get())) return {};
  if (!asks_for(request, LDNS_RR_TYPE_SOA)) {
    auto out = reply(request, {});
    if (out.size() > 3) out[3] = static_cast<uint8_t>((out[3] & 0xF0) | LDNS_RCODE_REFUSED);
    return out;
  }
  soa_queries_ += 1;
  SoaReply custom;
  {
    std::lock_guard lock(mutex_);
    custom = soa_reply_;
  }
  return custom ? custom(request) : reply(request, {soa_text()});
}

void FakePrimary::serve_tcp(int fd) {
  while (!stopping_) {
    uint8_t length[2];
    if (!read_exact(fd, length, 2, stopping_)) return;
    std::vector<uint8_t> request(static_cast<std::size_t>(length[0] << 8 | length[1]));
    if (!read_exact(fd, request.data(), request.size(), stopping_)) return;
    if (asks_for(request, LDNS_RR_TYPE_IXFR)) {
      AxfrReply ixfr;
      {
        std::lock_guard lock(mutex_);
        ixfr = ixfr_reply_;
      }
      if (ixfr) {
        ixfr_queries_ += 1;
        for (const auto& message : ixfr(request))
          if (!send_message(fd, message)) return;
        return;  // closed: an answer cut short ends here
      }
    }
    if (!asks_for(request, LDNS_RR_TYPE_AXFR)) {
      auto answer = answer_query(request);
      if (answer.empty() || !send_message(fd, answer)) return;
      continue;
    }
    axfr_queries_ += 1;
    AxfrReply custom;
    AxfrMode mode;
    {
      std::lock_guard lock(mutex_);
      custom = axfr_reply_;
      mode = mode_;
    }
    if (!custom && mode != AxfrMode::normal) return stream_forever(fd, request, mode == AxfrMode::trickle);
    for (const auto& message : custom ? custom(request) : normal_axfr(request))
      if (!send_message(fd, message)) return;
  }
}

bool FakePrimary::send_message(int fd, const std::vector<uint8_t>& message) {
  std::vector<uint8_t> framed = {static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  std::size_t sent = 0;
  while (sent < framed.size()) {
    if (stopping_) return false;
    ssize_t n = send(fd, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// The opening SOA and the records, then more records until the secondary
// closes the connection: a transfer that never ends.
void FakePrimary::stream_forever(int fd, const std::vector<uint8_t>& request, bool trickle) {
  std::vector<std::string> first = {soa_text()};
  {
    std::lock_guard lock(mutex_);
    first.insert(first.end(), records_.begin(), records_.end());
  }
  std::vector<std::string> filler;
  for (int i = 0; i < (trickle ? 1 : 100); ++i)
    filler.push_back("filler" + std::to_string(i) + "." + origin_ + " 3600 IN TXT \"" + std::string(200, 'x') + "\"");
  auto more = reply(request, filler);
  if (!send_message(fd, reply(request, first))) return;
  while (!stopping_) {
    if (peer_closed(fd, trickle ? static_cast<int>(trickle_interval.count()) : 0) || !send_message(fd, more)) {
      if (!stopping_) transfers_cut_ += 1;
      return;
    }
  }
}

std::vector<uint8_t> FakePrimary::notify_message(uint16_t id, std::optional<uint32_t> serial, uint16_t qtype) const {
  ldns_pkt* out = ldns_pkt_new();
  ldns_pkt_set_id(out, id);
  ldns_pkt_set_aa(out, true);
  ldns_pkt_set_opcode(out, LDNS_PACKET_NOTIFY);
  ldns_rr* question = ldns_rr_new();
  ldns_rr_set_question(question, true);
  ldns_rr_set_owner(question, ldns_dname_new_frm_str(origin_.c_str()));
  ldns_rr_set_type(question, static_cast<ldns_rr_type>(qtype));
  ldns_rr_set_class(question, LDNS_RR_CLASS_IN);
  ldns_pkt_push_rr(out, LDNS_SECTION_QUESTION, question);
  if (serial) {
    std::lock_guard lock(mutex_);
    ldns_pkt_push_rr(out, LDNS_SECTION_ANSWER, make_rr(soa_with(*serial)));
  }
  return to_wire_and_free(out);
}

int FakePrimary::notify(uint16_t port, std::optional<uint32_t> serial, uint16_t qtype) const {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = loopback(port);
  auto message = notify_message(4711, serial, qtype);
  int rcode = -1;
  if (fd >= 0 && connect(fd, sa(to), sizeof to) == 0 &&
      send(fd, message.data(), message.size(), 0) == static_cast<ssize_t>(message.size())) {
    pollfd p{fd, POLLIN, 0};
    uint8_t reply[512];
    if (poll(&p, 1, 1000) == 1) {
      ssize_t n = recv(fd, reply, sizeof reply, 0);
      if (n >= 4) rcode = dns::header_rcode(reply);
    }
  }
  if (fd >= 0) close(fd);
  return rcode;
}

void FakePrimary::notify_flood(uint16_t port, int count, std::optional<uint32_t> serial) const {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = loopback(port);
  if (fd < 0 || connect(fd, sa(to), sizeof to) != 0) return;
  for (int i = 0; i < count; ++i) {
    auto message = notify_message(static_cast<uint16_t>(i), serial, LDNS_RR_TYPE_SOA);
    send(fd, message.data(), message.size(), 0);
  }
  close(fd);
}

}  // namespace rpdns::test
