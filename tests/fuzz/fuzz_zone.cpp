// libFuzzer target: the zone loader (our master-file reader around ldns)
// must reject or accept any file without crashing or leaking.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "zone/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/rpdns-fuzz-zone-" + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto result = rpdns::zone::load_zone("example.com", path);
  // Either a zone or at least one error naming the file, never both or neither.
  if (static_cast<bool>(result.zone) == !result.errors.empty()) __builtin_trap();
  return 0;
}
