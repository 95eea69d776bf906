// A test suite over zone files loaded once for the whole suite, as the
// snapshot answer::respond() takes: the suite's SetUpTestSuite() calls
// load(); a zone that does not load fails every test of the suite.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "answer/snapshot.hpp"
#include "zone/loader.hpp"

namespace rpdns::test {

// `Suite` is the fixture deriving from this one, so that each suite has a
// snapshot of its own.
template <class Suite>
class LoadedZones : public ::testing::Test {
 protected:
  // Loads each (origin, file in `dir`) into a fresh snapshot.
  static void load(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& zones) {
    zones_ = new answer::Snapshot;
    for (const auto& [origin, file] : zones) {
      auto result = zone::load_zone(origin, dir + file);
      for (const auto& e : result.errors) load_errors_ += e.to_string() + "\n";
      if (result.zone) zones_->zones.add(result.zone);
    }
  }
  static void TearDownTestSuite() {
    delete zones_;
    zones_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(load_errors_.empty()) << load_errors_; }

  static inline answer::Snapshot* zones_ = nullptr;
  static inline std::string load_errors_;
};

}  // namespace rpdns::test
