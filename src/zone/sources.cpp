// What a zone was read from, to tell on reload whether it changed
// (loader.hpp: stamp_file, sources_unchanged).
#include "zone/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string_view>

namespace rpdns::zone {
namespace {

// Only compared with hashes made by this same process, so any good hash does;
// the standard one reads eight bytes at a time.
uint64_t content_hash(const std::string& data) { return std::hash<std::string_view>{}(data); }

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

// open, fstat and read rather than an ifstream: a stream builds a locale
// and buffers for each of 100,000 small zone files, which showed in the
// profile of a start-up; fstat on the open file also stamps exactly what is read.
bool stamp_file(const std::string& path, SourceFile& out, std::string* contents) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  std::string data;
  if (ok) {
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    data.resize(got);
  }
  ::close(fd);
  if (!ok) return false;
  out.path = path;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = mtime_ns(st);
  out.inode = static_cast<uint64_t>(st.st_ino);
  out.hash = content_hash(data);
  if (contents != nullptr) *contents = std::move(data);
  return true;
}

// Size, modification time and inode alike: unchanged, from one stat. A
// different size: changed. Otherwise (touched, or replaced by a copy of
// itself) the contents decide.
bool sources_unchanged(const Zone& zone) {
  for (const auto& old : zone.sources) {
    struct stat st {};
    if (::stat(old.path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != old.size) return false;
    if (mtime_ns(st) == old.mtime_ns && static_cast<uint64_t>(st.st_ino) == old.inode) continue;
    SourceFile now;
    if (!stamp_file(old.path, now) || now.hash != old.hash) return false;
  }
  return true;
}

}  // namespace rpdns::zone
