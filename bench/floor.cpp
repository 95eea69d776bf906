// rpdns-floor: a no-work DNS responder, the floor of scripts/bench.sh.
//
// One thread, one UDP socket: recvmmsg a batch of up to 64 datagrams, turn each query
// into a canned reply (same ID and question, QR and AA set, one A record 198.18.0.1
// whatever was asked), and send the batch back with one sendmmsg. No zone, no parsing
// beyond finding the end of the question. A real server cannot be cheaper per query
// than this, so its CPU per query is the floor the servers are compared with.
//
// Usage: rpdns-floor ADDR PORT   (runs until SIGINT or SIGTERM)

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

constexpr std::size_t kBatch = 64;
constexpr std::size_t kBufferSize = 512;

// Length of the header and question of a query, or 0 when it is not one we answer.
std::size_t question_end(const std::uint8_t* p, std::size_t len) {
  if (len < 12 || (p[2] & 0x80) != 0 || p[4] != 0 || p[5] != 1) return 0;
  std::size_t i = 12;
  while (i < len && p[i] != 0) {
    if ((p[i] & 0xc0) != 0) return 0;
    i += std::size_t{p[i]} + 1;
  }
  i += 1 + 4;  // root label, type, class
  return i <= len ? i : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: rpdns-floor ADDR PORT\n");
    return 2;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* address = nullptr;
  if (int rc = getaddrinfo(argv[1], argv[2], &hints, &address); rc != 0) {
    std::fprintf(stderr, "rpdns-floor: bad address: %s\n", gai_strerror(rc));
    return 2;
  }
  int fd = socket(address->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, address->ai_addr, address->ai_addrlen) != 0) {
    std::fprintf(stderr, "rpdns-floor: cannot bind %s port %s: %s\n", argv[1], argv[2], std::strerror(errno));
    return 2;
  }
  freeaddrinfo(address);
  int size = 1 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }

  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: a signal interrupts recvmmsg
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::vector<std::uint8_t> in(kBatch * kBufferSize);
  std::vector<std::uint8_t> out(kBatch * kBufferSize);
  std::array<sockaddr_storage, kBatch> peers{};
  std::array<iovec, kBatch> in_iov{};
  std::array<iovec, kBatch> out_iov{};
  std::array<mmsghdr, kBatch> in_msgs{};
  std::array<mmsghdr, kBatch> out_msgs{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov[i] = {in.data() + i * kBufferSize, kBufferSize};
    in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
    in_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  // The answer: a pointer to the question name, type A, class IN, TTL 3600, 198.18.0.1.
  constexpr std::array<std::uint8_t, 16> kAnswer{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 0, 1};
  std::uint64_t answered = 0;

  while (g_stop == 0) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      in_msgs[i].msg_hdr.msg_name = &peers[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
    }
    int n = recvmmsg(fd, in_msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // EINTR
    unsigned replies = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const std::uint8_t* query = in.data() + i * kBufferSize;
      std::size_t end = question_end(query, in_msgs[i].msg_len);
      if (end == 0) continue;
      std::uint8_t* reply = out.data() + replies * kBufferSize;
      std::memcpy(reply, query, end);
      reply[2] = static_cast<std::uint8_t>(0x84 | (query[2] & 0x01));  // QR, AA, RD copied
      reply[3] = 0;
      reply[6] = 0;
      reply[7] = 1;  // ANCOUNT
      std::memset(reply + 8, 0, 4);
      std::memcpy(reply + end, kAnswer.data(), kAnswer.size());
      out_iov[replies] = {reply, end + kAnswer.size()};
      out_msgs[replies].msg_hdr = {};
      out_msgs[replies].msg_hdr.msg_name = &peers[i];
      out_msgs[replies].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
      out_msgs[replies].msg_hdr.msg_iov = &out_iov[replies];
      out_msgs[replies].msg_hdr.msg_iovlen = 1;
      ++replies;
    }
    if (replies > 0) {
      int sent = sendmmsg(fd, out_msgs.data(), replies, 0);
      if (sent > 0) answered += static_cast<std::uint64_t>(sent);
    }
  }
  std::fprintf(stderr, "rpdns-floor: answered %llu queries\n", static_cast<unsigned long long>(answered));
  close(fd);
  return 0;
}
