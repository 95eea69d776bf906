#include "zone/journal_file.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "dns/wire.hpp"
#include "zone/master_writer.hpp"

namespace rpdns::zone {
namespace {

constexpr std::string_view kMagic = "RPDNSJNL";
constexpr uint32_t kVersion = 2;
constexpr std::size_t kDigest = 32;  // SHA-256

std::array<uint8_t, kDigest> sha256(const void* data, std::size_t size) {
  std::array<uint8_t, kDigest> out{};
  unsigned length = 0;
  EVP_Digest(data, size, out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

void put_u32(std::string& out, uint32_t value) {
  uint8_t bytes[4];
  dns::write_u32(bytes, value);
  out.append(reinterpret_cast<const char*>(bytes), 4);
}

void put_u64(std::string& out, uint64_t value) {
  put_u32(out, static_cast<uint32_t>(value >> 32));
  put_u32(out, static_cast<uint32_t>(value));
}

// FNV-1a: a hash that stays the same from one build and run to the next.
void mix(uint64_t& hash, uint64_t value) {
  for (int i = 0; i < 8; ++i, value >>= 8) hash = (hash ^ (value & 0xff)) * 0x100000001b3;
}

// Reads the file's fields in order; every read checks the bounds first.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool u32(uint32_t& out) {
    if (left() < 4) return false;
    out = dns::read_u32(bytes_.data() + at_);
    at_ += 4;
    return true;
  }
  bool u64(uint64_t& out) {
    uint32_t high = 0, low = 0;
    if (!u32(high) || !u32(low)) return false;
    out = uint64_t{high} << 32 | low;
    return true;
  }
  bool take(std::size_t size, std::span<const uint8_t>& out) {
    if (left() < size) return false;
    out = bytes_.subspan(at_, size);
    at_ += size;
    return true;
  }
  std::size_t left() const { return bytes_.size() - at_; }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t at_ = 0;
};

// The SOA serial of a list's first record, which must be the SOA at `origin`.
bool leading_soa(const RecordList& list, std::string_view origin, uint32_t& serial) {
  ChangedRecord first = list.first();
  auto rdata = first.record.subspan(6);
  if (first.owner != origin || first.type != dns::type::SOA || rdata.size() < 22) return false;
  serial = dns::SoaView{rdata.data(), rdata.size()}.serial();
  return true;
}

// One change; null when its fields do not hold together.
ChangePtr read_change(Reader& in, std::string_view origin) {
  uint32_t from = 0, to = 0, counts[2] = {}, sizes[2] = {};
  if (!in.u32(from) || !in.u32(to)) return nullptr;
  std::unique_ptr<RecordList> lists[2];
  for (int i = 0; i < 2; ++i) {
    std::span<const uint8_t> bytes;
    if (!in.u32(counts[i]) || !in.u32(sizes[i]) || !in.take(sizes[i], bytes)) return nullptr;
    lists[i] = RecordList::from_bytes(bytes, counts[i]);
    if (!lists[i] || counts[i] == 0) return nullptr;
  }
  uint32_t old_serial = 0, new_serial = 0;
  if (!leading_soa(*lists[0], origin, old_serial) || !leading_soa(*lists[1], origin, new_serial)) return nullptr;
  if (old_serial != from || new_serial != to || !dns::serial_greater(to, from)) return nullptr;
  auto change = std::make_shared<Change>();
  change->from = from;
  change->to = to;
  change->removed = std::move(*lists[0]);
  change->added = std::move(*lists[1]);
  return change;
}

std::shared_ptr<const Journal> parse(std::span<const uint8_t> bytes, std::string_view origin, std::string& problem,
                                     uint64_t& sources) {
  if (bytes.size() < kMagic.size() + kDigest ||
      !std::ranges::equal(sha256(bytes.data(), bytes.size() - kDigest), bytes.last(kDigest))) {
    problem = "damaged (its checksum does not match)";
    return nullptr;
  }
  Reader in(bytes.first(bytes.size() - kDigest));
  std::span<const uint8_t> magic, name, length;
  uint32_t version = 0, count = 0;
  if (!in.take(kMagic.size(), magic) || !std::ranges::equal(magic, kMagic) || !in.u32(version) || version != kVersion ||
      !in.take(1, length) || !in.take(length[0], name) || !in.u64(sources) || !in.u32(count)) {
    problem = "not a journal of this version of rpdns";
    return nullptr;
  }
  if (std::string_view(reinterpret_cast<const char*>(name.data()), name.size()) != origin) {
    problem = "the journal of another zone";
    return nullptr;
  }
  std::vector<ChangePtr> changes;
  for (uint32_t i = 0; i < count; ++i) {
    auto change = read_change(in, origin);
    if (!change) {
      problem = "damaged (change " + std::to_string(i + 1) + " does not hold together)";
      return nullptr;
    }
    changes.push_back(std::move(change));
  }
  auto journal = Journal::of(std::move(changes));
  if (!journal || in.left() != 0) problem = "damaged (its changes do not follow each other)";
  return in.left() == 0 ? journal : nullptr;
}

}  // namespace

std::string journal_path(const std::string& zone_file) { return zone_file + ".jnl"; }

uint64_t sources_fingerprint(const std::vector<SourceFile>& sources) {
  uint64_t hash = 0xcbf29ce484222325;
  for (const auto& s : sources) {
    for (char c : s.path) mix(hash, static_cast<uint8_t>(c));
    mix(hash, s.size);
    mix(hash, static_cast<uint64_t>(s.mtime_ns));
    mix(hash, s.inode);
  }
  return hash;
}

std::string journal_bytes(const Journal& journal, std::string_view origin, uint64_t sources) {
  std::string out(kMagic);
  put_u32(out, kVersion);
  out.push_back(static_cast<char>(origin.size()));
  out.append(origin);
  put_u64(out, sources);
  put_u32(out, static_cast<uint32_t>(journal.depth()));
  for (const auto& change : journal.changes()) {
    put_u32(out, change->from);
    put_u32(out, change->to);
    for (const RecordList* list : {&change->removed, &change->added}) {
      put_u32(out, static_cast<uint32_t>(list->count()));
      put_u32(out, static_cast<uint32_t>(list->bytes()));
      out.append(reinterpret_cast<const char*>(list->data().data()), list->bytes());
    }
  }
  auto digest = sha256(out.data(), out.size());
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

bool write_journal(const Journal* journal, std::string_view origin, const std::string& path, std::string& error,
                   uint64_t sources) {
  if (journal != nullptr) return write_atomically(journal_bytes(*journal, origin, sources), path, error);
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return true;
  error = path + ": " + std::strerror(errno);
  return false;
}

std::shared_ptr<const Journal> read_journal(const std::string& path, std::string_view origin, std::string& problem,
                                            uint64_t* sources) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return nullptr;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  uint64_t fingerprint = 0;
  auto journal = parse(bytes, origin, problem, fingerprint);
  if (sources != nullptr) *sources = fingerprint;
  return journal;
}

std::shared_ptr<const Journal> read_journal(const std::string& path, std::string_view origin, uint32_t serial,
                                            std::string& problem) {
  auto journal = read_journal(path, origin, problem);
  if (journal && journal->last_serial() != serial) {
    problem = "it ends at serial " + std::to_string(journal->last_serial()) + ", the zone file has serial " +
              std::to_string(serial);
    return nullptr;
  }
  return journal;
}

}  // namespace rpdns::zone
