// TSIG (RFC 8945): signing and verifying single messages and transfers
// (dns/tsig), checked against ldns's independent implementation, and what
// respond() makes of signed requests: signed replies, NOTAUTH with the TSIG
// error, and access lists that ask for a key.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "answer/answer.hpp"
#include "dns/tsig.hpp"
#include "dns/wire.hpp"
#include "support/ldns_decode.hpp"
#include "support/ldns_query.hpp"
#include "support/net.hpp"
#include "support/packet.hpp"
#include "zone/loader.hpp"

namespace {

namespace tsig = rpdns::dns::tsig;
using rpdns::dns::header_rcode;
using rpdns::test::PacketBuilder;
using rpdns::test::sa;
using rpdns::test::wire;

constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";  // "secret-secret-secret-secret!"

tsig::Key make_key(tsig::Algorithm algorithm = tsig::Algorithm::hmac_sha256, const char* secret = kSecret,
                   const std::string& name = "transfer-key") {
  tsig::Key key;
  key.name = wire(name);
  key.algorithm = algorithm;
  key.secret = *tsig::decode_base64(secret);
  return key;
}

uint64_t now() { return static_cast<uint64_t>(std::time(nullptr)); }

constexpr std::size_t kQtypeLow = 12 + 13 + 1;  // header, "example.com" in wire form, QTYPE's high byte

std::vector<uint8_t> soa_query(uint16_t id = 0x2468) {
  PacketBuilder p;
  p.header(id, 0, 1, 0, 0, 0).question("example.com", 6);
  return p.b;
}

// Signs `message` in place; fails the test when there is no room.
void sign_in_place(std::vector<uint8_t>& message, const tsig::Key& key, std::span<const uint8_t> request_mac = {},
                   uint64_t at = now()) {
  std::size_t len = message.size();
  message.resize(len + tsig::record_size(key));
  std::size_t signed_len = tsig::sign(message.data(), len, message.size(), key, request_mac, at);
  ASSERT_GT(signed_len, len);
  message.resize(signed_len);
}

tsig::Record record_of(const std::vector<uint8_t>& message) {
  tsig::Record r;
  bool present = false;
  EXPECT_TRUE(tsig::find(message.data(), message.size(), r, present));
  EXPECT_TRUE(present);
  return r;
}

// The algorithms ldns 1.8 signs and verifies; SHA-224 and SHA-384 are
// checked against kdig instead (tests/interop, Secondary.KnotTransfersWithTsig).
const struct {
  tsig::Algorithm algorithm;
  const char* ldns_name;
} kAlgorithms[] = {{tsig::Algorithm::hmac_sha1, "hmac-sha1."},
                   {tsig::Algorithm::hmac_sha256, "hmac-sha256."},
                   {tsig::Algorithm::hmac_sha512, "hmac-sha512."}};

// What we sign, ldns verifies.
TEST(Tsig, LdnsVerifiesWhatWeSign) {
  for (const auto& a : kAlgorithms) {
    auto message = soa_query();
    sign_in_place(message, make_key(a.algorithm));
    rpdns::test::Packet pkt = rpdns::test::decode(message);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tsig_verify(pkt.get(), message.data(), message.size(), "transfer-key.", kSecret, nullptr))
        << a.ldns_name;
  }
}

// What ldns signs, we verify; one changed byte is BADSIG.
TEST(Tsig, WeVerifyWhatLdnsSigns) {
  for (const auto& a : kAlgorithms) {
    auto query = soa_query();
    rpdns::test::Packet pkt = rpdns::test::decode(query);
    ASSERT_TRUE(pkt);
    ASSERT_EQ(ldns_pkt_tsig_sign(pkt.get(), "transfer-key.", kSecret, 300, a.ldns_name, nullptr), LDNS_STATUS_OK)
        << a.ldns_name;
    std::vector<uint8_t> message = rpdns::test::to_wire_and_free(pkt.release());
    ASSERT_FALSE(message.empty());

    tsig::Keyring keys;
    keys.add(make_key(a.algorithm));
    tsig::Verdict v = tsig::verify_request(message.data(), record_of(message), keys, now());
    EXPECT_EQ(v.error, 0) << a.ldns_name;
    EXPECT_FALSE(v.formerr);
    EXPECT_EQ(v.mac_len, tsig::mac_size(a.algorithm));

    message[kQtypeLow] ^= 1;  // the question's type: covered by the MAC
    v = tsig::verify_request(message.data(), record_of(message), keys, now());
    EXPECT_EQ(v.error, tsig::BADSIG) << a.ldns_name;
  }
}

tsig::Keyring ring(const tsig::Key& key) {
  tsig::Keyring keys;
  keys.add(key);
  return keys;
}

// RFC 8945 §5.2: an unknown key or another algorithm is BADKEY, a time
// outside the fudge BADTIME (MAC fine), a MAC shorter than allowed FORMERR.
TEST(Tsig, RequestErrors) {
  auto message = soa_query();
  sign_in_place(message, make_key());
  auto record = record_of(message);
  EXPECT_EQ(tsig::verify_request(message.data(), record, ring(make_key(tsig::Algorithm::hmac_sha256, kSecret, "other")),
                                 now())
                .error,
            tsig::BADKEY);
  EXPECT_EQ(tsig::verify_request(message.data(), record, ring(make_key(tsig::Algorithm::hmac_sha512)), now()).error,
            tsig::BADKEY);
  EXPECT_EQ(
      tsig::verify_request(message.data(), record, ring(make_key(tsig::Algorithm::hmac_sha256, "b3RoZXI=")), now())
          .error,
      tsig::BADSIG);
  tsig::Verdict late = tsig::verify_request(message.data(), record, ring(make_key()), now() + 301);
  EXPECT_EQ(late.error, tsig::BADTIME);
  EXPECT_NE(late.key, nullptr);  // known, so the BADTIME reply can be signed
  EXPECT_EQ(tsig::verify_request(message.data(), record, ring(make_key()), now() + 299).error, 0);
  tsig::Record truncated = record;
  truncated.mac_len = 9;
  EXPECT_TRUE(tsig::verify_request(message.data(), truncated, ring(make_key()), now()).formerr);
}

// §5.1: a TSIG anywhere but last in the additional section is malformed.
TEST(Tsig, OnlyTheLastRecord) {
  auto message = soa_query();
  sign_in_place(message, make_key());
  PacketBuilder opt;
  opt.opt(1232, 0, false);
  message.insert(message.end(), opt.b.begin(), opt.b.end());
  rpdns::dns::write_u16(message.data() + 10, 2);
  tsig::Record r;
  bool present = false;
  EXPECT_FALSE(tsig::find(message.data(), message.size(), r, present));
  EXPECT_TRUE(present);
}

// §5.3.1: a transfer's messages each chain to the previous MAC; unsigned
// messages between signed ones are digested into the next; the first must
// be signed, and a changed message in the middle breaks the chain.
TEST(Tsig, StreamChainsMessages) {
  tsig::Key key = make_key();
  auto request = soa_query();
  sign_in_place(request, key);
  auto request_mac = record_of(request);
  std::span<const uint8_t> mac{request_mac.mac.data(), request_mac.mac_len};

  auto reply = [](uint8_t n) {
    PacketBuilder p;
    p.header(0x2468, 0x8400, 0, 1, 0, 0).name("example.com").u16(1).u16(1).u32(60).u16(4).u8(192).u8(0).u8(2).u8(n);
    return p.b;
  };
  tsig::StreamSigner signer(key, mac);
  std::vector<std::vector<uint8_t>> messages;
  for (uint8_t i = 0; i < 3; ++i) {
    auto m = reply(i);
    std::size_t len = m.size();
    m.resize(len + tsig::record_size(key));
    m.resize(signer.sign(m.data(), len, m.size(), now()));
    ASSERT_GT(m.size(), len);
    messages.push_back(m);
  }
  {
    tsig::StreamVerifier verifier(key, mac);
    for (const auto& m : messages) EXPECT_EQ(verifier.check(m.data(), m.size(), now()), "");
    EXPECT_TRUE(verifier.signed_last());
  }
  {
    auto changed = messages;
    changed[1][changed[1].size() - 60] ^= 1;  // inside the middle message's MAC or data
    tsig::StreamVerifier verifier(key, mac);
    EXPECT_EQ(verifier.check(changed[0].data(), changed[0].size(), now()), "");
    EXPECT_NE(verifier.check(changed[1].data(), changed[1].size(), now()), "");
  }
  {
    tsig::StreamVerifier verifier(key, mac);
    auto unsigned_first = reply(0);
    EXPECT_NE(verifier.check(unsigned_first.data(), unsigned_first.size(), now()), "");
  }
}

// An unsigned message in the middle (a primary signing only every few) is
// digested into the next signed one, which verifies only with that message
// as it was sent.
TEST(Tsig, UnsignedMessagesBetweenSignedOnes) {
  tsig::Key key = make_key();
  std::vector<uint8_t> request_mac(32, 7);
  auto message = [](uint8_t n) {
    PacketBuilder p;
    p.header(1, 0x8400, 0, 1, 0, 0).name("example.com").u16(1).u16(1).u32(60).u16(4).u8(192).u8(0).u8(2).u8(n);
    return p.b;
  };
  auto signed_one = [&](tsig::StreamSigner& signer, uint8_t n) {
    auto m = message(n);
    std::size_t len = m.size();
    m.resize(len + tsig::record_size(key));
    m.resize(signer.sign(m.data(), len, m.size(), now()));
    return m;
  };
  tsig::StreamSigner signer(key, request_mac);
  auto first = signed_one(signer, 1);
  auto middle = message(2);
  signer.absorb(middle.data(), middle.size());
  auto last = signed_one(signer, 3);
  {
    tsig::StreamVerifier verifier(key, request_mac);
    EXPECT_EQ(verifier.check(first.data(), first.size(), now()), "");
    EXPECT_EQ(verifier.check(middle.data(), middle.size(), now()), "");
    EXPECT_FALSE(verifier.signed_last());
    EXPECT_EQ(verifier.check(last.data(), last.size(), now()), "");
    EXPECT_TRUE(verifier.signed_last());
  }
  middle.back() ^= 1;  // changed on the way: the last message no longer verifies
  tsig::StreamVerifier verifier(key, request_mac);
  EXPECT_EQ(verifier.check(first.data(), first.size(), now()), "");
  EXPECT_EQ(verifier.check(middle.data(), middle.size(), now()), "");
  EXPECT_NE(verifier.check(last.data(), last.size(), now()), "");
}

// ---- respond(): signed requests (RFC 8945 §5.2, §5.3) ----

struct SignedServer {
  rpdns::answer::Snapshot snapshot;
  rpdns::zone::ZoneSet& zones = snapshot.zones;
  // 192.0.2.10: transfers need the key; 198.51.100.1: address alone
  sockaddr_in keyed = rpdns::test::ipv4("192.0.2.10"), open = rpdns::test::ipv4("198.51.100.1");

  SignedServer() {
    auto loaded = rpdns::zone::load_zone("example.com", std::string(RPDNS_TEST_ZONES) + "/unit/example.com.zone");
    zones.add(loaded.zone);
    snapshot.access.allow_transfer(loaded.zone->origin,
                                   {{*rpdns::policy::Prefix::parse("192.0.2.0/24"), wire("transfer-key")},
                                    {*rpdns::policy::Prefix::parse("198.51.100.1"), ""}});
    snapshot.keys = ring(make_key());
  }
  rpdns::answer::Reply ask(const std::vector<uint8_t>& request, const sockaddr_in& from, std::vector<uint8_t>& out,
                           bool tcp = false) {
    out.assign(rpdns::dns::kMaxMessageSize, 0);
    auto o = rpdns::answer::respond(request.data(), request.size(), snapshot, {}, tcp, out.data(), sa(from));
    out.resize(o.size);
    return o;
  }
};

std::vector<uint8_t> question(const std::string& name, unsigned type) {
  PacketBuilder p;
  p.header(0x1357, 0, 1, 0, 0, 0).question(name, type);
  return p.b;
}

// A signed query gets a signed reply that verifies against the request's MAC.
TEST(TsigAnswers, SignedQueryGetsSignedReply) {
  SignedServer s;
  tsig::Key key = make_key();
  auto request = question("www.example.com", 1);
  sign_in_place(request, key);
  auto request_record = record_of(request);
  std::vector<uint8_t> out;
  auto o = s.ask(request, s.open, out);
  ASSERT_GT(o.size, 0u);
  EXPECT_EQ(header_rcode(out.data()), 0u);
  EXPECT_EQ(rpdns::dns::read_u16(out.data() + 6), 1u);  // the answer
  tsig::StreamVerifier verifier(key, {request_record.mac.data(), request_record.mac_len});
  EXPECT_EQ(verifier.check(out.data(), out.size(), now()), "");
  // Unsigned, the same query gets an unsigned reply.
  auto plain = question("www.example.com", 1);
  s.ask(plain, s.open, out);
  tsig::Record r;
  bool present = true;
  tsig::find(out.data(), out.size(), r, present);
  EXPECT_FALSE(present);
}

// §5.2.1, §5.2.2: an unknown key or a bad MAC is NOTAUTH, the error in an
// unsigned TSIG; nothing of the zone is in the reply.
TEST(TsigAnswers, BadKeyAndBadSigAreNotauth) {
  SignedServer s;
  std::vector<uint8_t> out;
  auto unknown = question("www.example.com", 1);
  sign_in_place(unknown, make_key(tsig::Algorithm::hmac_sha256, kSecret, "stranger-key"));
  s.ask(unknown, s.open, out);
  EXPECT_EQ(header_rcode(out.data()), 9u);
  EXPECT_EQ(rpdns::dns::read_u16(out.data() + 6), 0u);
  auto r = record_of(out);
  EXPECT_EQ(r.error, tsig::BADKEY);
  EXPECT_EQ(r.mac_len, 0u);
  EXPECT_EQ(r.key_view(), wire("stranger-key"));

  auto wrong = question("www.example.com", 1);
  sign_in_place(wrong, make_key(tsig::Algorithm::hmac_sha256, "d3Jvbmc="));
  s.ask(wrong, s.open, out);
  EXPECT_EQ(header_rcode(out.data()), 9u);
  EXPECT_EQ(record_of(out).error, tsig::BADSIG);
}

// §5.2.3: a time outside the fudge is BADTIME, signed, with the request's
// time signed and the server's time as other data.
TEST(TsigAnswers, BadTimeIsSignedWithOurTime) {
  SignedServer s;
  tsig::Key key = make_key();
  auto request = question("www.example.com", 1);
  uint64_t then = now() - 1000;
  sign_in_place(request, key, {}, then);
  std::vector<uint8_t> out;
  s.ask(request, s.open, out);
  EXPECT_EQ(header_rcode(out.data()), 9u);
  auto r = record_of(out);
  EXPECT_EQ(r.error, tsig::BADTIME);
  EXPECT_EQ(r.time_signed, then);
  EXPECT_NEAR(static_cast<double>(r.other_time), static_cast<double>(now()), 2.0);
  EXPECT_EQ(r.mac_len, 32u);
}

// allow-transfer with a key: from its prefix, only a request signed with
// that key may transfer; an address-only entry needs none.
TEST(TsigAnswers, TransferAclWithKey) {
  SignedServer s;
  std::vector<uint8_t> out;
  auto axfr = question("example.com", 252);
  auto o = s.ask(axfr, s.keyed, out, true);
  EXPECT_EQ(o.transfer, nullptr);
  EXPECT_EQ(header_rcode(out.data()), 5u);  // unsigned: REFUSED

  auto signed_axfr = axfr;
  sign_in_place(signed_axfr, make_key());
  o = s.ask(signed_axfr, s.keyed, out, true);
  ASSERT_NE(o.transfer, nullptr);
  ASSERT_NE(o.tsig_key, nullptr);
  EXPECT_EQ(o.tsig_mac_len, 32u);  // for the transfer's messages to chain from

  o = s.ask(axfr, s.open, out, true);
  EXPECT_NE(o.transfer, nullptr);  // address alone
}

// RFC 7314 §3: a SOA query with the EXPIRE option gets it back, for a zone
// we are the primary of with its SOA expire; a secondary's copy counts
// down from its expiry; other queries get none.
TEST(EdnsExpire, SoaCarriesExpire) {
  SignedServer s;
  auto ask = [&](const std::string& name, unsigned type) {
    PacketBuilder p;
    p.header(1, 0, 1, 0, 0, 1).question(name, type).opt(1232, 0, false, {0, 9, 0, 0});
    std::vector<uint8_t> out;
    s.ask(p.b, s.open, out);
    // The OPT is the reply's last record; EXPIRE its last option when there.
    if (out.size() < 8 || rpdns::dns::read_u16(out.data() + out.size() - 8) != 9) return int64_t{-1};
    return static_cast<int64_t>(rpdns::dns::read_u32(out.data() + out.size() - 4));
  };
  EXPECT_EQ(ask("example.com", 6), 1209600);
  EXPECT_EQ(ask("www.example.com", 1), -1);
  rpdns::zone::SecondaryState state;
  state.expires_at = static_cast<int64_t>(now()) + 500;
  s.zones.set_secondary(wire("example.com"), state);
  int64_t left = ask("example.com", 6);
  EXPECT_GE(left, 498);
  EXPECT_LE(left, 500);
}

// RFC 7314 §3: an AXFR asked with EXPIRE hands the transfer the seconds
// its messages carry: the SOA expire of a zone we are the primary of, a
// secondary's time left; none when not asked.
TEST(EdnsExpire, TransferCarriesExpire) {
  SignedServer s;
  auto ask = [&](bool with_expire) {
    PacketBuilder p;
    p.header(1, 0, 1, 0, 0, 1).question("example.com", 252);
    if (with_expire) {
      p.opt(1232, 0, false, {0, 9, 0, 0});
    } else {
      p.opt(1232, 0, false, {});
    }
    std::vector<uint8_t> out;
    auto o = s.ask(p.b, s.open, out, true);
    EXPECT_NE(o.transfer, nullptr);
    return o.transfer_expire;
  };
  EXPECT_EQ(ask(true), 1209600);
  EXPECT_EQ(ask(false), -1);
  rpdns::zone::SecondaryState state;
  state.expires_at = static_cast<int64_t>(now()) + 500;
  s.zones.set_secondary(wire("example.com"), state);
  int64_t left = ask(true);
  EXPECT_GE(left, 498);
  EXPECT_LE(left, 500);
}

TEST(Tsig, Base64AndAlgorithms) {
  EXPECT_EQ(tsig::decode_base64("aGVsbG8="), (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_FALSE(tsig::decode_base64("aGVsbG8"));
  EXPECT_FALSE(tsig::decode_base64("aGV*bG8="));
  EXPECT_FALSE(tsig::decode_base64(""));
  EXPECT_EQ(tsig::algorithm_from_text("HMAC-SHA256"), tsig::Algorithm::hmac_sha256);
  EXPECT_EQ(tsig::algorithm_from_text("hmac-sha512."), tsig::Algorithm::hmac_sha512);
  EXPECT_FALSE(tsig::algorithm_from_text("hmac-md5"));
}

}  // namespace
