// Names inside a message, where a name may end in a pointer to an earlier
// one (RFC 1035 §4.1.4). The one walker of such names: the request parser,
// the reader of other servers' messages and the reply writer's compression
// all step through names with it. Inline and allocation-free: the query
// path runs it for every name of every request and reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/name.hpp"
#include "dns/wire.hpp"

namespace rpdns::dns {

// The two top bits of a length octet set: a pointer, whose other 14 bits
// and the next octet give the offset it points to (RFC 1035 §4.1.4).
constexpr uint8_t kPointerMark = 0xC0;
constexpr std::size_t kMaxPointerTarget = 0x3FFF;

// Steps through the name at `start` of `message` label by label, following
// pointers. Each pointer must point strictly before the one before it (the
// first: before `start`), which rules out loops and forward pointers and
// so bounds the walk; the labels, root included, may come to at most 255
// octets (RFC 1035 §2.3.4) wherever they lie. Length octets with 0x40 or
// 0x80 set are label types RFC 6891 §5 retired: malformed.
class LabelWalker {
 public:
  LabelWalker(const uint8_t* message, std::size_t len, std::size_t start)
      : m_(message), len_(len), at_(start), limit_(start) {}

  // Moves to the next label other than the root: true with it at label();
  // false at the root label, or when the name is malformed (ok() false).
  // Not to be called again once it returned false.
  bool next() {
    while (at_ < len_) {
      uint8_t octet = m_[at_];
      if ((octet & kPointerMark) == kPointerMark) {
        if (!follow(octet)) break;
        continue;
      }
      if (octet > kMaxLabelLength || len_ - at_ <= octet) break;  // a retired type, or past the end
      total_ += 1u + octet;
      if (total_ > kMaxNameLength) break;
      label_ = at_;
      at_ += 1u + octet;
      if (octet != 0) return true;
      if (end_ == 0) end_ = at_;
      return false;
    }
    end_ = 0;
    return false;
  }

  // Steps to the end of the name; whether it was well formed.
  bool skip() {
    while (next()) {
    }
    return ok();
  }

  // The label found by next(): its length octet, then its bytes.
  const uint8_t* label() const { return m_ + label_; }
  // After next() returned false: whether the name was well formed.
  bool ok() const { return end_ != 0; }
  // Once ok(): the offset just past the name where it stands, after its
  // root label or its first pointer.
  std::size_t end() const { return end_; }
  // Once ok(): the name's length uncompressed, root label included.
  std::size_t length() const { return total_; }

 private:
  bool follow(uint8_t octet) {
    if (len_ - at_ < 2) return false;
    std::size_t target = static_cast<std::size_t>(octet & 0x3F) << 8 | m_[at_ + 1];
    if (target >= limit_) return false;
    if (end_ == 0) end_ = at_ + 2;
    limit_ = at_ = target;
    return true;
  }

  const uint8_t* m_;
  std::size_t len_;
  std::size_t at_;
  std::size_t limit_;      // a pointer must point below this
  std::size_t label_ = 0;  // offset of the current label
  std::size_t end_ = 0;    // 0 until known (no name ends at offset 0)
  std::size_t total_ = 0;  // octets of the labels seen, uncompressed
};

// Whether the name at `at` of `message` is `name` (canonical wire form),
// ASCII case aside (RFC 4343 §3). A malformed name is equal to none.
inline bool name_equals(const uint8_t* message, std::size_t len, std::size_t at, std::string_view name) {
  LabelWalker walker(message, len, at);
  std::size_t i = 0;
  while (walker.next()) {
    const uint8_t* label = walker.label();
    if (i >= name.size() || static_cast<uint8_t>(name[i]) != label[0]) return false;
    for (unsigned k = 1; k <= label[0]; ++k) {
      if (lower(label[k]) != static_cast<uint8_t>(name[i + k])) return false;
    }
    i += label[0] + 1u;
  }
  return walker.ok() && i + 1 == name.size();
}

}  // namespace rpdns::dns
