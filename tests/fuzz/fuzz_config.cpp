// libFuzzer target: the YAML configuration loader.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/rpdns-fuzz-config-" + std::to_string(getpid()) + ".yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::vector<std::string> errors;
  auto config = rpdns::config::load_file(path, errors);
  if (static_cast<bool>(config) == !errors.empty()) __builtin_trap();
  return 0;
}
