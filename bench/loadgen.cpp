// rpdns-loadgen: a batched UDP DNS load generator.
//
// It reads a query file in dnsperf's format ("name type" per line), opens many UDP
// sockets connected to one server address, and keeps a bounded number of queries
// outstanding on each. Queries go out with sendmmsg and replies come back with
// recvmmsg on non-blocking sockets, so one thread on one core can offer more load
// than a single-threaded server can answer: the server, not the client, is then the
// bottleneck. Replies are matched per socket by ID (and question); a query with no
// reply after the timeout is lost. It stops by itself after -l seconds plus a drain
// of at most the timeout, and prints a summary in dnsperf's layout.
//
// --wait-for NAME polls the server with one query every few milliseconds until an
// authoritative answer arrives (used to time zone loads); see usage().

#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_signal(int) { g_interrupted = 1; }

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t epoch_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const std::string& message) {
  std::cerr << "rpdns-loadgen: " << message << "\n";
  std::exit(2);
}

void usage(std::FILE* out) {
  std::fputs(
      "Usage: rpdns-loadgen [-s ADDR] [-p PORT] -d QUERYFILE [-l SECONDS] [-c SOCKETS]\n"
      "                     [-q OUTSTANDING] [-Q MAX_QPS] [-b BATCH] [-t TIMEOUT] [-e]\n"
      "       rpdns-loadgen [-s ADDR] [-p PORT] --wait-for NAME[/TYPE] [--interval MS] [-l SECONDS]\n"
      "\n"
      "  -s ADDR         server address, IPv4 or IPv6 (default 127.0.0.1)\n"
      "  -p PORT         server port (default 53)\n"
      "  -d QUERYFILE    dnsperf format: \"name type\" per line; ';' and '#' start comments\n"
      "  -l SECONDS      stop sending after this long (default 10), then drain\n"
      "  -c SOCKETS      number of UDP sockets (clients) (default 64)\n"
      "  -q OUTSTANDING  most queries outstanding in total, spread evenly over the\n"
      "                  sockets, at least one each (default 128)\n"
      "  -Q MAX_QPS      send at most this many queries per second (default: no limit)\n"
      "  -b BATCH        most datagrams per sendmmsg/recvmmsg call (default 32)\n"
      "  -t TIMEOUT      seconds after which an unanswered query is lost (default 1)\n"
      "  -e              add an EDNS(0) OPT record (payload 1232) to every query\n"
      "  --wait-for NAME[/TYPE]\n"
      "                  send NAME (type SOA unless given) every --interval ms (default 10)\n"
      "                  until an authoritative NOERROR answer with records arrives; print\n"
      "                  its wall-clock time and exit 0, or exit 1 after -l seconds\n"
      "  -h, --help      this help\n"
      "\n"
      "Exit status: 0 after a run (losses are reported, not failures), 1 when --wait-for\n"
      "gave up, 2 on usage or system errors.\n",
      out);
}

// ---------------------------------------------------------------------------------
// Query file: names and types to DNS wire format.

struct TypeName {
  std::string_view name;
  std::uint16_t code;
};

constexpr std::array kTypes{
    TypeName{"A", 1},      TypeName{"NS", 2},      TypeName{"CNAME", 5},  TypeName{"SOA", 6},    TypeName{"PTR", 12},
    TypeName{"HINFO", 13}, TypeName{"MX", 15},     TypeName{"TXT", 16},   TypeName{"AAAA", 28},  TypeName{"SRV", 33},
    TypeName{"NAPTR", 35}, TypeName{"DNAME", 39},  TypeName{"DS", 43},    TypeName{"SSHFP", 44}, TypeName{"RRSIG", 46},
    TypeName{"NSEC", 47},  TypeName{"DNSKEY", 48}, TypeName{"NSEC3", 50}, TypeName{"TLSA", 52},  TypeName{"SVCB", 64},
    TypeName{"HTTPS", 65}, TypeName{"SPF", 99},    TypeName{"IXFR", 251}, TypeName{"AXFR", 252}, TypeName{"ANY", 255},
    TypeName{"CAA", 257},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::uint16_t> parse_type(std::string_view text) {
  for (const auto& t : kTypes) {
    if (iequals(t.name, text)) return t.code;
  }
  if (text.size() > 4 && iequals(text.substr(0, 4), "TYPE")) {
    unsigned value = 0;
    auto digits = text.substr(4);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size() && value <= 65535) {
      return static_cast<std::uint16_t>(value);
    }
  }
  return std::nullopt;
}

// Appends NAME (presentation format, absolute or not: the root is always added) in
// wire format. Understands \DDD and \X escapes. Returns an error message or "".
std::string append_wire_name(std::string_view name, std::vector<std::uint8_t>& out) {
  if (name == ".") {
    out.push_back(0);
    return "";
  }
  std::vector<std::uint8_t> label;
  std::size_t total = 1;
  auto flush = [&]() -> std::string {
    if (label.empty()) return "empty label";
    if (label.size() > 63) return "label longer than 63 octets";
    total += label.size() + 1;
    if (total > 255) return "name longer than 255 octets";
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    label.clear();
    return "";
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\\') {
      if (i + 1 >= name.size()) return "dangling backslash";
      if (name[i + 1] >= '0' && name[i + 1] <= '9') {
        if (i + 3 >= name.size()) return "short \\DDD escape";
        int value = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
          char d = name[i + k];
          if (d < '0' || d > '9') return "bad \\DDD escape";
          value = value * 10 + (d - '0');
        }
        if (value > 255) return "\\DDD escape above 255";
        label.push_back(static_cast<std::uint8_t>(value));
        i += 3;
      } else {
        label.push_back(static_cast<std::uint8_t>(name[i + 1]));
        i += 1;
      }
    } else if (c == '.') {
      if (auto error = flush(); !error.empty()) return error;
    } else {
      label.push_back(static_cast<std::uint8_t>(c));
    }
  }
  if (!label.empty()) {
    if (auto error = flush(); !error.empty()) return error;
  }
  out.push_back(0);
  return "";
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

struct Query {
  std::vector<std::uint8_t> wire;  // bytes 0-1 (the ID) are filled in when sent
  std::size_t question_end = 0;    // the question occupies [12, question_end)
};

// Builds a query: header (ID 0, RD clear), one question of class IN, optional OPT.
std::optional<Query> build_query(std::string_view name, std::uint16_t type, bool edns, std::string& error) {
  Query q;
  q.wire = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(edns ? 1 : 0)};
  error = append_wire_name(name, q.wire);
  if (!error.empty()) return std::nullopt;
  put16(q.wire, type);
  put16(q.wire, 1);  // class IN
  q.question_end = q.wire.size();
  if (edns) {
    q.wire.push_back(0);  // root owner
    put16(q.wire, 41);    // OPT
    put16(q.wire, 1232);  // UDP payload size
    put16(q.wire, 0);     // extended RCODE, version
    put16(q.wire, 0);     // flags
    put16(q.wire, 0);     // RDLENGTH
  }
  return q;
}

std::vector<Query> read_query_file(const std::string& path, bool edns) {
  std::ifstream in(path);
  if (!in) die("cannot open query file " + path + ": " + std::strerror(errno));
  std::vector<Query> queries;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (auto cut = line.find_first_of(";#"); cut != std::string::npos) line.erase(cut);
    std::string_view rest(line);
    auto next_word = [&rest]() {
      auto start = rest.find_first_not_of(" \t\r");
      if (start == std::string_view::npos) {
        rest = {};
        return std::string_view{};
      }
      rest.remove_prefix(start);
      auto end = rest.find_first_of(" \t\r");
      auto word = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
      return word;
    };
    auto name = next_word();
    if (name.empty()) continue;
    auto type_text = next_word();
    if (type_text.empty()) type_text = "A";
    if (!next_word().empty()) die(path + ":" + std::to_string(line_no) + ": expected \"name type\"");
    auto type = parse_type(type_text);
    if (!type) die(path + ":" + std::to_string(line_no) + ": unknown type '" + std::string(type_text) + "'");
    std::string error;
    auto query = build_query(name, *type, edns, error);
    if (!query) die(path + ":" + std::to_string(line_no) + ": " + error);
    queries.push_back(std::move(*query));
  }
  if (queries.empty()) die("no queries in " + path);
  return queries;
}

// ---------------------------------------------------------------------------------
// Sockets.

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;
};

Target resolve(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) die("bad server address " + host + " port " + port + ": " + gai_strerror(rc));
  Target target;
  std::memcpy(&target.addr, result->ai_addr, result->ai_addrlen);
  target.len = static_cast<socklen_t>(result->ai_addrlen);
  freeaddrinfo(result);
  target.text = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  return target;
}

int open_socket(const Target& target) {
  int fd = socket(target.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
  // A roomy receive buffer so that bursts of replies are not dropped on our side
  // (the force variant works for root and ignores net.core.rmem_max).
  int size = 1 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  // Connected: the kernel skips a route lookup per datagram and delivers only the
  // server's replies to this socket.
  if (connect(fd, reinterpret_cast<const sockaddr*>(&target.addr), target.len) != 0) {
    die(std::string("connect: ") + std::strerror(errno));
  }
  return fd;
}

// ---------------------------------------------------------------------------------
// Load mode.

struct Options {
  std::string server = "127.0.0.1";
  std::string port = "53";
  std::string query_file;
  double seconds = 10;
  unsigned sockets = 64;
  unsigned outstanding = 128;
  double max_qps = 0;
  unsigned batch = 32;
  double timeout = 1;
  bool edns = false;
  std::string wait_for;
  unsigned interval_ms = 10;
};

struct Slot {
  std::uint64_t sent_ns = 0;
  std::uint32_t query = 0;
  std::uint16_t id = 0;
  std::uint16_t generation = 0;
  bool busy = false;
};

struct Client {
  int fd = -1;
  std::vector<Slot> slots;
  std::vector<std::uint16_t> free_slots;  // a stack of slot indices
};

struct Stats {
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t lost = 0;
  std::uint64_t unexpected = 0;  // late replies, or ones matching no outstanding query
  std::uint64_t send_errors = 0;
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::array<std::uint64_t, 16> rcodes{};
  double latency_sum = 0;  // seconds
  double latency_sq_sum = 0;
  double latency_min = 1e9;
  double latency_max = 0;
  std::uint64_t last_reply_ns = 0;
};

constexpr std::array<const char*, 16> kRcodeNames{"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                                  "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "RCODE11",
                                                  "RCODE12",  "RCODE13", "RCODE14",  "RCODE15"};

class LoadGenerator {
 public:
  LoadGenerator(const Options& options, const Target& target, std::vector<Query> queries)
      : options_(options), queries_(std::move(queries)) {
    unsigned per_socket = std::max(1U, (options.outstanding + options.sockets - 1) / options.sockets);
    per_socket = std::min(per_socket, 4096U);
    unsigned slot_count = 1;
    slot_bits_ = 0;
    while (slot_count < per_socket) {
      slot_count <<= 1;
      ++slot_bits_;
    }
    per_socket_ = per_socket;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) die(std::string("epoll_create1: ") + std::strerror(errno));
    clients_.resize(options.sockets);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      auto& client = clients_[i];
      client.fd = open_socket(target);
      client.slots.resize(slot_count);
      for (std::size_t s = per_socket; s-- > 0;) client.free_slots.push_back(static_cast<std::uint16_t>(s));
      // Start every slot's generation somewhere different so that the sockets' IDs differ.
      for (std::size_t s = 0; s < slot_count; ++s) {
        client.slots[s].generation = static_cast<std::uint16_t>((i * 7919 + s * 104729) & 0xffff);
      }
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<std::uint32_t>(i);
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client.fd, &event) != 0) {
        die(std::string("epoll_ctl: ") + std::strerror(errno));
      }
    }
    std::size_t batch = options.batch;
    send_headers_.resize(batch);
    send_ids_.resize(batch);
    send_slots_.resize(batch);
    send_iov_.resize(batch * 2);
    recv_headers_.resize(batch);
    recv_iov_.resize(batch);
    recv_buffers_.resize(batch * kReceiveSize);
    for (std::size_t i = 0; i < batch; ++i) {
      recv_iov_[i].iov_base = recv_buffers_.data() + i * kReceiveSize;
      recv_iov_[i].iov_len = kReceiveSize;
      recv_headers_[i].msg_hdr.msg_iov = &recv_iov_[i];
      recv_headers_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  ~LoadGenerator() {
    for (auto& client : clients_) close(client.fd);
    close(epoll_fd_);
  }

  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Returns the reason the sending stopped.
  const char* run() {
    const std::uint64_t timeout_ns = static_cast<std::uint64_t>(options_.timeout * 1e9);
    start_ns_ = now_ns();
    const std::uint64_t send_end = start_ns_ + static_cast<std::uint64_t>(options_.seconds * 1e9);
    std::uint64_t drain_end = 0;
    std::uint64_t next_scan = start_ns_ + kScanInterval;
    const char* reason = "time limit";
    bool sending = true;
    std::vector<epoll_event> events(clients_.size());
    std::size_t next_client = 0;

    for (;;) {
      std::uint64_t now = now_ns();
      if (sending && (now >= send_end || g_interrupted != 0)) {
        sending = false;
        if (g_interrupted != 0) reason = "interrupted";
        send_end_ns_ = now;
        drain_end = now + timeout_ns;
      }
      if (!sending && (outstanding_ == 0 || now >= drain_end)) break;

      bool sent_any = false;
      bool budget_left = true;
      std::uint64_t budget = UINT64_MAX;
      if (sending && options_.max_qps > 0) {
        double allowed = options_.max_qps * static_cast<double>(now - start_ns_) / 1e9 + 1;
        auto allowed_count = static_cast<std::uint64_t>(allowed);
        budget = allowed_count > stats_.sent ? allowed_count - stats_.sent : 0;
      }
      if (sending) {
        for (std::size_t k = 0; k < clients_.size() && budget > 0; ++k) {
          std::size_t index = (next_client + k) % clients_.size();
          auto& client = clients_[index];
          if (client.free_slots.empty()) continue;
          auto n = std::min<std::uint64_t>({options_.batch, client.free_slots.size(), budget});
          auto sent = send_batch(client, static_cast<std::size_t>(n), now);
          budget -= std::min<std::uint64_t>(budget, sent);
          sent_any = sent_any || sent > 0;
        }
        next_client = (next_client + 1) % clients_.size();
        budget_left = budget > 0;
      }

      // Wait for replies. Do not block when more can be sent right away.
      int wait_ms = 0;
      if (!sent_any) {
        std::uint64_t wake = std::min(next_scan, sending ? send_end : drain_end);
        if (sending && options_.max_qps > 0 && !budget_left) {
          wake = std::min(wake, now + static_cast<std::uint64_t>(1e9 / options_.max_qps) + 1);
        }
        // Free slots and budget but nothing went out (a send error): retry soon.
        if (sending && budget_left && outstanding_ < per_socket_ * clients_.size()) {
          wake = std::min(wake, now + 1'000'000);
        }
        wait_ms = wake > now ? static_cast<int>((wake - now + 999'999) / 1'000'000) : 0;
      }
      int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (ready < 0 && errno != EINTR) die(std::string("epoll_wait: ") + std::strerror(errno));
      for (int i = 0; i < ready; ++i) receive_all(clients_[events[static_cast<std::size_t>(i)].data.u32]);

      now = now_ns();
      if (now >= next_scan) {
        expire(now, timeout_ns);
        next_scan = now + kScanInterval;
      }
    }
    end_ns_ = now_ns();
    if (send_end_ns_ == 0) send_end_ns_ = end_ns_;
    // Whatever is still outstanding now is lost.
    for (auto& client : clients_) {
      for (std::size_t s = 0; s < client.slots.size(); ++s) {
        if (client.slots[s].busy) release(client, s, true);
      }
    }
    return reason;
  }

  void print_summary(std::ostream& out, const char* reason) const {
    auto pct = [this](std::uint64_t part) {
      return stats_.sent == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(stats_.sent);
    };
    // Run time: from the first query to the last reply (or to the end of sending if
    // that was later), so waiting out the timeout for lost queries does not count.
    std::uint64_t run_end = std::max(stats_.last_reply_ns, send_end_ns_);
    double run_time = static_cast<double>(run_end - start_ns_) / 1e9;
    char buffer[256];
    out << "[Status] Testing complete (" << reason << ")\n\nStatistics:\n\n";
    std::snprintf(buffer, sizeof buffer, "  Queries sent:         %llu\n",
                  static_cast<unsigned long long>(stats_.sent));
    out << buffer;
    std::snprintf(buffer, sizeof buffer, "  Queries completed:    %llu (%.2f%%)\n",
                  static_cast<unsigned long long>(stats_.completed), pct(stats_.completed));
    out << buffer;
    std::snprintf(buffer, sizeof buffer, "  Queries lost:         %llu (%.2f%%)\n",
                  static_cast<unsigned long long>(stats_.lost), pct(stats_.lost));
    out << buffer;
    if (stats_.unexpected > 0) {
      std::snprintf(buffer, sizeof buffer, "  Unexpected replies:   %llu\n",
                    static_cast<unsigned long long>(stats_.unexpected));
      out << buffer;
    }
    if (stats_.send_errors > 0) {
      std::snprintf(buffer, sizeof buffer, "  Send errors:          %llu\n",
                    static_cast<unsigned long long>(stats_.send_errors));
      out << buffer;
    }
    out << "\n  Response codes:       ";
    bool first = true;
    for (std::size_t r = 0; r < stats_.rcodes.size(); ++r) {
      if (stats_.rcodes[r] == 0) continue;
      double share = 100.0 * static_cast<double>(stats_.rcodes[r]) / static_cast<double>(stats_.completed);
      std::snprintf(buffer, sizeof buffer, "%s%s %llu (%.2f%%)", first ? "" : ", ", kRcodeNames[r],
                    static_cast<unsigned long long>(stats_.rcodes[r]), share);
      out << buffer;
      first = false;
    }
    out << "\n";
    auto average = [](std::uint64_t total, std::uint64_t count) {
      return count == 0 ? 0ULL : static_cast<unsigned long long>(total / count);
    };
    std::snprintf(buffer, sizeof buffer, "  Average packet size:  request %llu, response %llu\n",
                  average(stats_.request_bytes, stats_.sent), average(stats_.response_bytes, stats_.completed));
    out << buffer;
    std::snprintf(buffer, sizeof buffer, "  Run time (s):         %.6f\n", run_time);
    out << buffer;
    double qps = run_time > 0 ? static_cast<double>(stats_.completed) / run_time : 0.0;
    std::snprintf(buffer, sizeof buffer, "  Queries per second:   %.6f\n\n", qps);
    out << buffer;
    double n = static_cast<double>(stats_.completed);
    double mean = n > 0 ? stats_.latency_sum / n : 0.0;
    double variance = n > 1 ? (stats_.latency_sq_sum - n * mean * mean) / (n - 1) : 0.0;
    std::snprintf(buffer, sizeof buffer, "  Average Latency (s):  %.6f (min %.6f, max %.6f)\n", mean,
                  n > 0 ? stats_.latency_min : 0.0, stats_.latency_max);
    out << buffer;
    std::snprintf(buffer, sizeof buffer, "  Latency StdDev (s):   %.6f\n\n", std::sqrt(std::max(0.0, variance)));
    out << buffer;
    // Our own CPU: near 100% of the run time means the client, not the server, may
    // have been the limit.
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    double user = seconds(usage.ru_utime);
    double system = seconds(usage.ru_stime);
    double wall = static_cast<double>(end_ns_ - start_ns_) / 1e9;
    std::snprintf(buffer, sizeof buffer, "  Client CPU (s):       user %.3f, system %.3f (%.0f%% of one core)\n\n",
                  user, system, wall > 0 ? 100.0 * (user + system) / wall : 0.0);
    out << buffer;
  }

 private:
  static constexpr std::size_t kReceiveSize = 4096;
  static constexpr std::uint64_t kScanInterval = 10'000'000;  // 10 ms

  std::size_t send_batch(Client& client, std::size_t n, std::uint64_t now) {
    auto& used = send_slots_;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t s = client.free_slots.back();
      client.free_slots.pop_back();
      used[i] = s;
      Slot& slot = client.slots[s];
      slot.generation = static_cast<std::uint16_t>(slot.generation + 1);
      slot.id = static_cast<std::uint16_t>((slot.generation << slot_bits_) | s);
      slot.query = static_cast<std::uint32_t>(cursor_);
      slot.sent_ns = now;
      slot.busy = true;
      const Query& query = queries_[cursor_];
      cursor_ = cursor_ + 1 == queries_.size() ? 0 : cursor_ + 1;
      send_ids_[i] = {static_cast<std::uint8_t>(slot.id >> 8), static_cast<std::uint8_t>(slot.id & 0xff)};
      send_iov_[2 * i].iov_base = send_ids_[i].data();
      send_iov_[2 * i].iov_len = 2;
      send_iov_[2 * i + 1].iov_base = const_cast<std::uint8_t*>(query.wire.data() + 2);
      send_iov_[2 * i + 1].iov_len = query.wire.size() - 2;
      send_headers_[i] = {};
      send_headers_[i].msg_hdr.msg_iov = &send_iov_[2 * i];
      send_headers_[i].msg_hdr.msg_iovlen = 2;
    }
    int rc = sendmmsg(client.fd, send_headers_.data(), static_cast<unsigned>(n), 0);
    std::size_t sent = rc > 0 ? static_cast<std::size_t>(rc) : 0;
    if (rc < 0) ++stats_.send_errors;
    for (std::size_t i = 0; i < n; ++i) {
      if (i < sent) {
        ++stats_.sent;
        ++outstanding_;
        stats_.request_bytes += queries_[client.slots[used[i]].query].wire.size();
      } else {
        client.slots[used[i]].busy = false;
        client.free_slots.push_back(used[i]);
      }
    }
    return sent;
  }

  void receive_all(Client& client) {
    for (;;) {
      for (auto& header : recv_headers_) header.msg_len = 0;
      int rc =
          recvmmsg(client.fd, recv_headers_.data(), static_cast<unsigned>(recv_headers_.size()), MSG_DONTWAIT, nullptr);
      if (rc <= 0) return;  // EAGAIN, or an ICMP error (ECONNREFUSED) to ignore
      std::uint64_t now = now_ns();
      for (int i = 0; i < rc; ++i) {
        auto index = static_cast<std::size_t>(i);
        handle_reply(client, recv_buffers_.data() + index * kReceiveSize, recv_headers_[index].msg_len, now);
      }
      if (static_cast<std::size_t>(rc) < recv_headers_.size()) return;
    }
  }

  void handle_reply(Client& client, const std::uint8_t* p, std::size_t len, std::uint64_t now) {
    if (len < 12 || (p[2] & 0x80) == 0) {
      ++stats_.unexpected;
      return;
    }
    std::uint16_t id = get16(p);
    std::size_t s = id & ((1U << slot_bits_) - 1);
    Slot& slot = client.slots[s];
    if (!slot.busy || slot.id != id) {
      ++stats_.unexpected;
      return;
    }
    const Query& query = queries_[slot.query];
    std::size_t qlen = query.question_end - 12;
    if (len < query.question_end || std::memcmp(p + 12, query.wire.data() + 12, qlen) != 0) {
      ++stats_.unexpected;
      return;
    }
    double latency = static_cast<double>(now - slot.sent_ns) / 1e9;
    stats_.latency_sum += latency;
    stats_.latency_sq_sum += latency * latency;
    stats_.latency_min = std::min(stats_.latency_min, latency);
    stats_.latency_max = std::max(stats_.latency_max, latency);
    ++stats_.completed;
    ++stats_.rcodes[p[3] & 0x0f];
    stats_.response_bytes += len;
    stats_.last_reply_ns = now;
    release(client, s, false);
  }

  void release(Client& client, std::size_t s, bool lost) {
    client.slots[s].busy = false;
    client.free_slots.push_back(static_cast<std::uint16_t>(s));
    --outstanding_;
    if (lost) ++stats_.lost;
  }

  void expire(std::uint64_t now, std::uint64_t timeout_ns) {
    for (auto& client : clients_) {
      for (std::size_t s = 0; s < client.slots.size(); ++s) {
        const Slot& slot = client.slots[s];
        if (slot.busy && now - slot.sent_ns >= timeout_ns) release(client, s, true);
      }
    }
  }

  const Options& options_;
  std::vector<Query> queries_;
  std::vector<Client> clients_;
  unsigned slot_bits_ = 0;
  std::size_t per_socket_ = 1;
  int epoll_fd_ = -1;
  std::size_t cursor_ = 0;
  std::size_t outstanding_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t send_end_ns_ = 0;
  std::uint64_t end_ns_ = 0;
  Stats stats_;
  std::vector<mmsghdr> send_headers_;
  std::vector<std::array<std::uint8_t, 2>> send_ids_;
  std::vector<std::uint16_t> send_slots_;
  std::vector<iovec> send_iov_;
  std::vector<mmsghdr> recv_headers_;
  std::vector<iovec> recv_iov_;
  std::vector<std::uint8_t> recv_buffers_;
};

// ---------------------------------------------------------------------------------
// Wait mode: poll until the first authoritative answer.

int wait_for_answer(const Options& options, const Target& target) {
  std::string name = options.wait_for;
  std::uint16_t type = 6;  // SOA
  if (auto slash = name.rfind('/'); slash != std::string::npos) {
    auto parsed = parse_type(std::string_view(name).substr(slash + 1));
    if (!parsed) die("unknown type in --wait-for " + name);
    type = *parsed;
    name.erase(slash);
  }
  std::string error;
  auto query = build_query(name, type, options.edns, error);
  if (!query) die("--wait-for " + name + ": " + error);
  int fd = open_socket(target);
  const std::uint64_t start = now_ns();
  const std::uint64_t give_up = start + static_cast<std::uint64_t>(options.seconds * 1e9);
  const std::uint64_t interval = std::uint64_t{options.interval_ms} * 1'000'000;
  std::uint16_t id = static_cast<std::uint16_t>(getpid());
  std::uint64_t next_send = start;
  std::array<std::uint8_t, 4096> reply{};
  while (g_interrupted == 0) {
    std::uint64_t now = now_ns();
    if (now >= give_up) break;
    if (now >= next_send) {
      id = static_cast<std::uint16_t>(id + 1);
      query->wire[0] = static_cast<std::uint8_t>(id >> 8);
      query->wire[1] = static_cast<std::uint8_t>(id & 0xff);
      (void)send(fd, query->wire.data(), query->wire.size(), 0);  // refused while nobody listens
      next_send = now + interval;
    }
    pollfd pfd{fd, POLLIN, 0};
    std::uint64_t wake = std::min(next_send, give_up);
    int wait_ms = wake > now ? static_cast<int>((wake - now + 999'999) / 1'000'000) : 0;
    if (poll(&pfd, 1, wait_ms) <= 0) continue;
    for (;;) {
      ssize_t n = recv(fd, reply.data(), reply.size(), MSG_DONTWAIT);
      if (n < 0) break;
      auto len = static_cast<std::size_t>(n);
      // Any of our queries will do (IDs of earlier ones too): QR, AA, NOERROR, ANCOUNT > 0,
      // and the question we asked.
      bool ok = len >= query->question_end && (reply[2] & 0x80) != 0 && (reply[2] & 0x04) != 0 &&
                (reply[3] & 0x0f) == 0 && get16(reply.data() + 6) > 0 &&
                std::memcmp(reply.data() + 12, query->wire.data() + 12, query->question_end - 12) == 0;
      if (ok) {
        std::uint64_t wall = epoch_ns();
        double elapsed = static_cast<double>(now_ns() - start) / 1e9;
        std::printf("first answer after %.3f s (polling every %u ms)\nfirst_answer_epoch_ns %llu\n", elapsed,
                    options.interval_ms, static_cast<unsigned long long>(wall));
        close(fd);
        return 0;
      }
    }
  }
  close(fd);
  std::fprintf(stderr, "rpdns-loadgen: no authoritative answer for %s from %s within %.1f s\n", name.c_str(),
               target.text.c_str(), options.seconds);
  return 1;
}

// ---------------------------------------------------------------------------------

double parse_number(const char* text, const char* option, double min, double max) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value >= min && value <= max)) {
    die(std::string("bad value for ") + option + ": '" + text + "'");
  }
  return value;
}

unsigned parse_count(const char* text, const char* option, unsigned min, unsigned max) {
  double value = parse_number(text, option, min, max);
  if (value != std::floor(value)) die(std::string("bad value for ") + option + ": '" + text + "'");
  return static_cast<unsigned>(value);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const option long_options[] = {
      {"wait-for", required_argument, nullptr, 'W'},
      {"interval", required_argument, nullptr, 'I'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  int opt = 0;
  while ((opt = getopt_long(argc, argv, "s:p:d:l:c:q:Q:b:t:eh", long_options, nullptr)) != -1) {
    switch (opt) {
      case 's':
        options.server = optarg;
        break;
      case 'p':
        options.port = std::to_string(parse_count(optarg, "-p", 1, 65535));
        break;
      case 'd':
        options.query_file = optarg;
        break;
      case 'l':
        options.seconds = parse_number(optarg, "-l", 0.001, 86400);
        break;
      case 'c':
        options.sockets = parse_count(optarg, "-c", 1, 4096);
        break;
      case 'q':
        options.outstanding = parse_count(optarg, "-q", 1, 1'000'000);
        break;
      case 'Q':
        options.max_qps = parse_number(optarg, "-Q", 1, 1e9);
        break;
      case 'b':
        options.batch = parse_count(optarg, "-b", 1, 1024);
        break;
      case 't':
        options.timeout = parse_number(optarg, "-t", 0.001, 3600);
        break;
      case 'e':
        options.edns = true;
        break;
      case 'W':
        options.wait_for = optarg;
        break;
      case 'I':
        options.interval_ms = parse_count(optarg, "--interval", 1, 60'000);
        break;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return 2;
  }

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Target target = resolve(options.server, options.port);
  if (!options.wait_for.empty()) return wait_for_answer(options, target);
  if (options.query_file.empty()) die("a query file is required (-d FILE); see --help");

  auto queries = read_query_file(options.query_file, options.edns);
  std::cout << "rpdns-loadgen: batched DNS load generator\n\n"
            << "[Status] Command line: rpdns-loadgen";
  for (int i = 1; i < argc; ++i) std::cout << ' ' << argv[i];
  std::cout << "\n[Status] Sending queries (to " << target.text << ")\n";
  std::time_t started = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", std::localtime(&started));
  std::cout << "[Status] Started at: " << when << "\n";
  std::printf("[Status] Stopping after %.6f seconds\n", options.seconds);
  std::fflush(stdout);
  LoadGenerator generator(options, target, std::move(queries));
  const char* reason = generator.run();
  generator.print_summary(std::cout, reason);
  return 0;
}
