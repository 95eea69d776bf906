#include "zone/master_writer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "zone/loader.hpp"

namespace rpdns::zone {
namespace {

// A <character-string> (RFC 1035 §3.3) quoted, with '"' and '\' escaped
// and every byte outside printable ASCII as \DDD (RFC 1035 §5.1).
void append_string(std::string& out, const uint8_t* p, std::size_t len) {
  out += '"';
  for (std::size_t i = 0; i < len; ++i) {
    uint8_t c = p[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// The uncompressed name at `p` (checked by zone/record_check before the zone
// was built), in presentation form; moves `p` past it.
std::string name_at(const uint8_t*& p) {
  std::size_t len = dns::name_length(p, dns::kMaxNameLength);
  std::string text = dns::to_text({reinterpret_cast<const char*>(p), len});
  p += len;
  return text;
}

void append_generic(std::string& out, std::span<const uint8_t> rdata) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\# " + std::to_string(rdata.size());
  if (!rdata.empty()) out += ' ';
  for (uint8_t b : rdata) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

// RDATA in presentation form: the usual one for the common types, the
// generic one for the rest.
void append_rdata(std::string& out, uint16_t type, std::span<const uint8_t> rdata) {
  const uint8_t* p = rdata.data();
  char address[INET6_ADDRSTRLEN];
  switch (type) {
    case dns::type::A:
    case dns::type::AAAA:
      out += inet_ntop(type == dns::type::A ? AF_INET : AF_INET6, p, address, sizeof address);
      return;
    case dns::type::NS:
    case dns::type::CNAME:
    case dns::type::PTR:
    case dns::type::DNAME:
      out += name_at(p);
      return;
    case dns::type::MX:
      out += std::to_string(dns::read_u16(p)) + ' ';
      p += 2;
      out += name_at(p);
      return;
    case dns::type::SOA:
      out += name_at(p) + ' ';
      out += name_at(p);
      for (int i = 0; i < 5; ++i, p += 4) out += ' ' + std::to_string(dns::read_u32(p));
      return;
    case dns::type::TXT:
      for (const uint8_t* end = p + rdata.size(); p < end; p += 1u + *p) {
        if (p != rdata.data()) out += ' ';
        append_string(out, p + 1, *p);
      }
      return;
    default:
      append_generic(out, rdata);
  }
}

void append_rrset(std::string& out, std::string_view owner, const RRset& rrset) {
  std::string head = dns::to_text(owner) + ' ' + std::to_string(rrset.ttl) + " IN " + type_text(rrset.type) + ' ';
  const uint8_t* rec = rrset.records().data();
  for (unsigned i = 0; i < rrset.count; ++i) {
    uint16_t rdlen = dns::read_u16(rec + 4);
    out += head;
    append_rdata(out, rrset.type, {rec + 6, rdlen});
    out += '\n';
    rec += 6u + rdlen;
  }
}

bool same_rrsets(const Node& a, const Node& b) {
  if (a.rrsets().size() != b.rrsets().size()) return false;
  for (std::size_t i = 0; i < a.rrsets().size(); ++i) {
    const RRset& x = a.rrsets()[i];
    const RRset& y = b.rrsets()[i];
    if (x.type != y.type || x.ttl != y.ttl || x.count != y.count || x.records().size() != y.records().size() ||
        std::memcmp(x.records().data(), y.records().data(), x.records().size()) != 0)
      return false;
  }
  return true;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Hands `put` the master text of `zone` in pieces of about a megabyte, the
// SOA first, so a big zone's text need never be whole in memory.
template <class Put>
void master_pieces(const Zone& zone, Put put) {
  constexpr std::size_t kPiece = std::size_t{1} << 20;
  std::string out =
      "; " + dns::to_text(zone.origin) + " serial " + std::to_string(zone.serial) + ", written by rpdns\n";
  append_rrset(out, zone.origin, *zone.soa);
  for (const Node& node : zone.nodes) {
    for (const RRset& rrset : node.rrsets()) {
      if (&rrset != zone.soa) append_rrset(out, node.name(), rrset);
    }
    if (out.size() >= kPiece) {
      put(out);
      out.clear();
    }
  }
  put(out);
}

// Makes `path` hold what `write` writes to a descriptor, atomically, as the
// header says; false, with `error`, when it could not.
template <class Write>
bool replace_file(const std::string& path, std::string& error, Write write) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on
  // "." + std::string&&, and the Release build treats warnings as errors.
  std::string name = ".";
  name += target.filename().string();
  name += ".XXXXXX";
  std::string temp = (dir / name).string();
  int fd = mkstemp(temp.data());
  if (fd < 0) {
    error = temp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = write(fd) && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ok = false;
  }
  if (!ok) {
    error = path + ": " + std::strerror(saved);
    ::unlink(temp.c_str());
    return false;
  }
  // The rename is durable once the directory is.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    ::close(dir_fd);
  }
  return true;
}

}  // namespace

bool write_atomically(const std::string& text, const std::string& path, std::string& error) {
  return replace_file(path, error, [&text](int fd) { return write_all(fd, text); });
}

bool write_master_pieces(const Zone& zone, const std::string& path, std::string& error) {
  return replace_file(path, error, [&zone](int fd) {
    bool ok = true;
    master_pieces(zone, [&](const std::string& piece) { ok = ok && write_all(fd, piece); });
    return ok;
  });
}

std::string master_text(const Zone& zone) {
  std::string out;
  master_pieces(zone, [&out](const std::string& piece) { out += piece; });
  return out;
}

std::string first_difference(const Zone& a, const Zone& b) {
  if (a.origin != b.origin) return "another origin";
  if (a.nodes.size() != b.nodes.size() || a.record_count != b.record_count) {
    return std::to_string(a.record_count) + " records at " + std::to_string(a.nodes.size()) + " names against " +
           std::to_string(b.record_count) + " at " + std::to_string(b.nodes.size());
  }
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    if (a.nodes[i].name() != b.nodes[i].name()) return "a name differs: " + dns::to_text(a.nodes[i].name());
    if (!same_rrsets(a.nodes[i], b.nodes[i])) return "the records of " + dns::to_text(a.nodes[i].name()) + " differ";
  }
  return "";
}

std::string load_back_problem(const Zone& zone, const std::string& text, const std::string& name) {
  LoadResult back = load_zone_text(dns::WireName(zone.origin), name, text);
  if (!back.zone) return "it would not load back: " + back.errors.front().to_string();
  std::string difference = first_difference(zone, *back.zone);
  return difference.empty() ? "" : "it would load back as other data: " + difference;
}

WriteStatus write_master_file(const Zone& zone, const std::string& path, std::string& error) {
  std::string text = master_text(zone);
  error = load_back_problem(zone, text, path);
  if (!error.empty()) return WriteStatus::does_not_load_back;
  return write_atomically(text, path, error) ? WriteStatus::written : WriteStatus::io_error;
}

bool touch_file(const std::string& path, int64_t mtime) {
  timespec times[2] = {{static_cast<time_t>(mtime), 0}, {static_cast<time_t>(mtime), 0}};
  return utimensat(AT_FDCWD, path.c_str(), times, 0) == 0;
}

}  // namespace rpdns::zone
