// DNS over TCP (RFC 7766) and zone transfers (RFC 5936, RFC 1995) against
// the real binary; replies decoded with ldns.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

const std::string kDiff = RPDNS_TEST_ZONES "/diff/diff.example.zone";

std::vector<std::string> diff_zone(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--zone", "diff.example=" + kDiff, "--workers", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// RFC 7766 §5: a reply truncated over UDP comes whole over TCP.
TEST(Tcp, TruncatedUdpAnswerIsCompleteOverTcp) {
  ServerProcess server(diff_zone(), "diff.example.");
  auto udp = query(server.port(), "huge.diff.example.", LDNS_RR_TYPE_TXT);
  ASSERT_TRUE(udp);
  EXPECT_TRUE(ldns_pkt_tc(udp.get()));
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(udp.get())), 0u);
  TcpClient tcp(server.port());
  ASSERT_TRUE(tcp.connected());
  ASSERT_TRUE(tcp.send(make_query("huge.diff.example.", LDNS_RR_TYPE_TXT)));
  auto reply = tcp.receive();
  ASSERT_TRUE(reply);
  auto pkt = decode(*reply);
  ASSERT_TRUE(pkt);
  EXPECT_FALSE(ldns_pkt_tc(pkt.get()));
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 6u);
}

// RFC 7766 §6.2.1: several queries on one connection, sent before reading.
TEST(Tcp, PipelinedQueriesAllAnswered) {
  ServerProcess server(diff_zone(), "diff.example.");
  TcpClient tcp(server.port());
  ASSERT_TRUE(tcp.connected());
  const char* names[] = {"www.diff.example.", "mail.diff.example.", "nothere.diff.example.", "alias.diff.example."};
  uint16_t id = 100;
  for (const char* name : names) ASSERT_TRUE(tcp.send(make_query(name, LDNS_RR_TYPE_A, false, id++)));
  std::set<uint16_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto reply = tcp.receive();
    ASSERT_TRUE(reply) << "reply " << i;
    ids.insert(static_cast<uint16_t>((*reply)[0] << 8 | (*reply)[1]));
  }
  EXPECT_EQ(ids, (std::set<uint16_t>{100, 101, 102, 103}));
}

// RFC 7766 §6.2.3: idle connections are closed after the timeout.
TEST(Tcp, IdleConnectionClosedAfterTimeout) {
  std::string dir = temp_dir();
  std::string config = dir + "/idle.yaml";
  std::ofstream(config) << "tcp-idle-timeout: 1\nzones:\n  - origin: diff.example\n    file: " + kDiff + "\n";
  ServerProcess server({"--config", config}, "diff.example.");
  TcpClient tcp(server.port());
  ASSERT_TRUE(tcp.connected());
  EXPECT_TRUE(tcp.closed_by_peer(3000));
}

// A flood of idle connections neither stops UDP nor keeps new TCP clients out.
TEST(Tcp, IdleFloodDoesNotStarveOthers) {
  std::string dir = temp_dir();
  std::string config = dir + "/flood.yaml";
  std::ofstream(config) << "workers: 2\ntcp-max-connections: 8\nzones:\n  - origin: diff.example\n    file: " + kDiff +
                               "\n";
  ServerProcess server({"--config", config}, "diff.example.");
  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 64; ++i) idle.push_back(std::make_unique<TcpClient>(server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(query(server.port(), "www.diff.example.", LDNS_RR_TYPE_A));
  for (int i = 0; i < 5; ++i) {
    TcpClient fresh(server.port());
    ASSERT_TRUE(fresh.connected());
    ASSERT_TRUE(fresh.send(make_query("www.diff.example.", LDNS_RR_TYPE_A)));
    EXPECT_TRUE(fresh.receive()) << "new client " << i;
  }
}

// An AXFR or IXFR request; IXFR carries the client's SOA (RFC 1995 §3).
std::vector<uint8_t> transfer_request(ldns_rr_type type, uint32_t serial, const std::string& name = "diff.example.") {
  ldns_pkt* pkt = new_query(name, type);
  if (type == LDNS_RR_TYPE_IXFR) {
    ldns_rr* soa = nullptr;
    std::string text = name + " 0 IN SOA a. b. " + std::to_string(serial) + " 0 0 0 0";
    ldns_rr_new_frm_str(&soa, text.c_str(), 0, nullptr, nullptr);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
  }
  return to_wire_and_free(pkt);
}

std::vector<std::vector<uint8_t>> transfer(uint16_t port, ldns_rr_type type, uint32_t serial = 0,
                                           const std::string& name = "diff.example.") {
  std::vector<uint8_t> request = transfer_request(type, serial, name);
  TcpClient tcp(port);
  std::vector<std::vector<uint8_t>> messages;
  if (!tcp.send(request)) return messages;
  int soas = 0;
  while (auto reply = tcp.receive()) {
    messages.push_back(*reply);
    auto decoded = decode(*reply);
    if (!decoded || ldns_pkt_get_rcode(decoded.get()) != LDNS_RCODE_NOERROR) break;
    const ldns_rr_list* answer = ldns_pkt_answer(decoded.get());
    soas += static_cast<int>(count_type(answer, LDNS_RR_TYPE_SOA));
    if (soas >= 2 || (soas == 1 && ldns_rr_list_rr_count(answer) == 1)) break;
  }
  return messages;
}

std::size_t answer_count(const std::vector<std::vector<uint8_t>>& messages) {
  std::size_t n = 0;
  for (const auto& m : messages) {
    auto pkt = decode(m);
    if (pkt) n += ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get()));
  }
  return n;
}

// RFC 5936 §2.2: SOA first and last, every record in between.
TEST(Transfer, AxfrToAllowedClient) {
  ServerProcess server(diff_zone({"--allow-transfer", "127.0.0.0/8"}), "diff.example.");
  auto messages = transfer(server.port(), LDNS_RR_TYPE_AXFR);
  ASSERT_FALSE(messages.empty());
  auto first = decode(messages.front());
  auto last = decode(messages.back());
  ASSERT_TRUE(first && last);
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(first.get()), 0)), LDNS_RR_TYPE_SOA);
  const ldns_rr_list* tail = ldns_pkt_answer(last.get());
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(tail, ldns_rr_list_rr_count(tail) - 1)), LDNS_RR_TYPE_SOA);
  // The zone file's records (rpdns --check-config counts them) plus the closing SOA.
  RunResult check = run_rpdns({"--zone", "diff.example=" + kDiff, "--check-config", "/dev/null"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(check.output, m, std::regex(R"((\d+) records)"))) << check.output;
  EXPECT_EQ(answer_count(messages), std::stoul(m[1]) + 1);
}

// Nobody may transfer unless allowed: REFUSED.
TEST(Transfer, AxfrRefusedToOthers) {
  ServerProcess server(diff_zone({"--allow-transfer", "192.0.2.0/24"}), "diff.example.");
  auto messages = transfer(server.port(), LDNS_RR_TYPE_AXFR);
  ASSERT_EQ(messages.size(), 1u);
  auto reply = decode(messages[0]);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_REFUSED);
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(reply.get())), 0u);
}

// RFC 1995 §2: a client already at our serial gets the SOA alone; an older
// one gets the whole zone, AXFR-style.
TEST(Transfer, IxfrCurrentGetsSoaOlderGetsZone) {
  ServerProcess server(diff_zone({"--allow-transfer", "127.0.0.1"}), "diff.example.");
  auto current = transfer(server.port(), LDNS_RR_TYPE_IXFR, 2026112201);
  EXPECT_EQ(answer_count(current), 1u);
  auto older = transfer(server.port(), LDNS_RR_TYPE_IXFR, 2026112101);
  EXPECT_GT(answer_count(older), 50u);
}

// RFC 1995 §2: IXFR over UDP from an allowed client is answered with the
// SOA alone (the client then comes over TCP); others are refused as on TCP.
TEST(Transfer, IxfrOverUdpGetsSoaWhenAllowed) {
  ServerProcess allowed(diff_zone({"--allow-transfer", "127.0.0.1"}), "diff.example.");
  auto reply = exchange_raw(allowed.port(), transfer_request(LDNS_RR_TYPE_IXFR, 2026112101));
  ASSERT_TRUE(reply);
  auto pkt = decode(*reply);
  ASSERT_TRUE(pkt);
  EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(ldns_pkt_aa(pkt.get()));
  ASSERT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 1u);
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0)), LDNS_RR_TYPE_SOA);

  ServerProcess others(diff_zone({"--allow-transfer", "192.0.2.0/24"}), "diff.example.");
  auto refused = exchange_raw(others.port(), transfer_request(LDNS_RR_TYPE_IXFR, 2026112101));
  ASSERT_TRUE(refused);
  auto no = decode(*refused);
  ASSERT_TRUE(no);
  EXPECT_EQ(ldns_pkt_get_rcode(no.get()), LDNS_RCODE_REFUSED);
}

// RFC 5936 §2.2.1: a transfer of a name that is no zone apex of ours gets
// NOTAUTH, whoever asks: there is no zone whose access list could apply.
TEST(Transfer, NonApexNameIsNotauth) {
  ServerProcess server(diff_zone({"--allow-transfer", "127.0.0.1"}), "diff.example.");
  for (const char* name : {"www.diff.example.", "example.org."}) {
    auto messages = transfer(server.port(), LDNS_RR_TYPE_AXFR, 0, name);
    ASSERT_EQ(messages.size(), 1u) << name;
    auto reply = decode(messages[0]);
    ASSERT_TRUE(reply);
    EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NOTAUTH) << name;
  }
}

}  // namespace
}  // namespace rpdns::test
