#include "zone/master_writer.hpp"

#include <fcntl.h>
#include <ldns/ldns.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace rpdns::zone {
namespace {

// One record as ldns presentation text, from its wire form.
std::string record_text(std::string_view owner, uint16_t type, const uint8_t* rec) {
  uint16_t rdlen = dns::read_u16(rec + 4);
  std::vector<uint8_t> wire(owner.begin(), owner.end());
  uint8_t fixed[10];
  dns::write_u16(fixed, type);
  dns::write_u16(fixed + 2, dns::klass::IN);
  std::memcpy(fixed + 4, rec, 6);  // TTL and RDLENGTH
  wire.insert(wire.end(), fixed, fixed + 10);
  wire.insert(wire.end(), rec + 6, rec + 6 + rdlen);
  ldns_rr* rr = nullptr;
  std::size_t pos = 0;
  if (ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) return "";
  char* text = ldns_rr2str(rr);
  std::string out = text != nullptr ? text : "";
  free(text);
  ldns_rr_free(rr);
  return out;
}

void append_rrset(std::string& out, std::string_view owner, const RRset& rrset) {
  const uint8_t* rec = rrset.records.data();
  for (unsigned i = 0; i < rrset.count; ++i) {
    out += record_text(owner, rrset.type, rec);
    rec += 6u + dns::read_u16(rec + 4);
  }
}

std::string zone_text(const Zone& zone) {
  std::string out = "; " + dns::to_text(zone.origin) + " serial " + std::to_string(zone.serial) +
                    ", written by rpdns from a zone transfer\n";
  append_rrset(out, zone.origin, *zone.soa);
  for (const Node& node : zone.nodes) {
    for (const RRset& rrset : node.rrsets) {
      if (&rrset != zone.soa) append_rrset(out, node.name, rrset);
    }
  }
  return out;
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

}  // namespace

bool write_master_file(const Zone& zone, const std::string& path, std::string& error) {
  std::string text = zone_text(zone);
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
  bool ok = write_all(fd, text) && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
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

bool touch_file(const std::string& path, int64_t mtime) {
  timespec times[2] = {{static_cast<time_t>(mtime), 0}, {static_cast<time_t>(mtime), 0}};
  return utimensat(AT_FDCWD, path.c_str(), times, 0) == 0;
}

}  // namespace rpdns::zone
