// What a zone was read from, to tell on reload whether it changed
// (loader.hpp: stamp_file, sources_unchanged).
#include "zone/loader.hpp"

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <string_view>

namespace rpdns::zone {
namespace {

// Only compared with hashes made by this same process, so any good hash does;
// the standard one reads eight bytes at a time.
uint64_t content_hash(const std::string& data) { return std::hash<std::string_view>{}(data); }

}  // namespace

bool stamp_file(const std::string& path, SourceFile& out, std::string* contents) {
  struct stat st {};
  std::ifstream in(path, std::ios::binary);
  if (!in || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  out.path = path;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.hash = content_hash(data);
  if (contents != nullptr) *contents = std::move(data);
  return true;
}

bool sources_unchanged(const Zone& zone) {
  for (const auto& old : zone.sources) {
    struct stat st {};
    if (stat(old.path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != old.size) return false;
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (mtime == old.mtime_ns) continue;
    SourceFile now;
    if (!stamp_file(old.path, now) || now.hash != old.hash) return false;
  }
  return true;
}

}  // namespace rpdns::zone
