// Helpers shared by the unit tests: a byte-by-byte packet builder and a
// temporary directory that cleans up after itself.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dns/name.hpp"

namespace rpdns::testing {

// "www.example.com" -> "\3www\7example\3com\0", built by hand from the text.
inline std::string wire(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string::npos) dot = text.size();
    out += static_cast<char>(dot - start);
    out += text.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
  return out;
}

// The same as the type names cross rooms in.
inline dns::WireName wire_name(const std::string& text) { return dns::WireName(wire(text)); }

// Builds a DNS message byte by byte, so tests can write malformed ones too.
struct PacketBuilder {
  std::vector<uint8_t> b;

  PacketBuilder& u8(unsigned v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  PacketBuilder& u16(unsigned v) { return u8(v >> 8).u8(v & 0xFF); }
  PacketBuilder& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
  PacketBuilder& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // Presentation name, case kept, uncompressed.
  PacketBuilder& name(const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t dot = text.find('.', start);
      if (dot == std::string::npos) dot = text.size();
      u8(static_cast<unsigned>(dot - start));
      for (std::size_t i = start; i < dot; ++i) u8(static_cast<uint8_t>(text[i]));
      start = dot + 1;
    }
    return u8(0);
  }
  PacketBuilder& question(const std::string& text, unsigned qtype = 1, unsigned qclass = 1) {
    return name(text).u16(qtype).u16(qclass);
  }
  // OPT RR (RFC 6891 §6.1.2): root owner, CLASS = UDP size, TTL = ext-rcode,
  // version, DO and Z.
  PacketBuilder& opt(unsigned size, unsigned version, bool do_bit, const std::vector<uint8_t>& rdata = {}) {
    u8(0).u16(41).u16(size).u8(0).u8(version).u16(do_bit ? 0x8000 : 0).u16(static_cast<unsigned>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
    return *this;
  }
};

// A fresh directory under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("rpdns-unit-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace rpdns::testing
