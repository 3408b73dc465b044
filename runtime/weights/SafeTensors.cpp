#include "runtime/weights/SafeTensors.h"

#include "runtime/support/Json.h"
#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ds4 {
namespace weights {

int64_t TensorView::numElements() const { return elementCount(shape).value_or(0); }

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

namespace detail {
struct SafeTensorsFileImpl {
  std::string path;
  const uint8_t *image = nullptr;
  size_t size = 0;
  void *mapping = nullptr; // owned mmap, or nullptr for fromMemory
  size_t mappingSize = 0;
  uint64_t dataOffset = 0;
  std::vector<TensorView> tensors;
  // Views into tensors[i].name: built once tensors is final.
  std::map<std::string_view, size_t, std::less<>> byName;
  std::vector<std::pair<std::string, std::string>> metadata;

  ~SafeTensorsFileImpl() {
    if (mapping)
      ::munmap(mapping, mappingSize);
  }
};
} // namespace detail
using Impl = detail::SafeTensorsFileImpl;

namespace {

std::string offsetsText(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// One tensor entry of the header, as far as it could be read.
struct HeaderEntry {
  std::string name;
  std::optional<DType> dtype;
  bool shapeOk = false;
  std::vector<int64_t> shape;
  bool offsetsParsed = false;
  uint64_t begin = 0, end = 0;
  bool offsetsInRange = false; // begin <= end <= data section size
};

// Validates the header of `impl.image` and fills impl's tables.  Every problem found goes to
// the returned Status.
Status parseImage(Impl &impl, const SafeTensorsOptions &options) {
  std::vector<std::string> errors;
  const std::string &path = impl.path;
  auto fileError = [&](const std::string &what) { errors.push_back(path + ": " + what); };

  if (impl.size < 8) {
    fileError("file is " + byteCount(impl.size) + ", too short for the 8-byte header length");
    return Status::errors(std::move(errors));
  }
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i)
    headerLength = (headerLength << 8) | impl.image[i];
  uint64_t available = impl.size - 8;
  if (headerLength > kMaxHeaderBytes)
    fileError("header length " + std::to_string(headerLength) + " exceeds the limit of " +
              std::to_string(kMaxHeaderBytes) + " bytes");
  if (headerLength > available)
    fileError("header length " + std::to_string(headerLength) +
              " runs past the end of the file (file is " + byteCount(impl.size) + ", " +
              std::to_string(available) + " after the length)");
  if (!errors.empty())
    return Status::errors(std::move(errors));

  impl.dataOffset = 8 + headerLength;
  const uint64_t dataSize = impl.size - impl.dataOffset;
  std::string_view headerText(reinterpret_cast<const char *>(impl.image + 8), headerLength);

  json::ParseOptions parseOptions;
  parseOptions.duplicateKeys = json::DuplicateKeys::Keep; // reported below, by tensor name
  Expected<json::Value> parsed = json::parse(headerText, parseOptions);
  if (!parsed) {
    fileError("header is not valid JSON: " + parsed.status().message());
    return Status::errors(std::move(errors));
  }
  const json::Value &header = *parsed;
  if (!header.isObject()) {
    fileError(std::string("header is not a JSON object (found ") + header.kindName() + ")");
    return Status::errors(std::move(errors));
  }

  std::vector<HeaderEntry> entries;
  std::map<std::string, size_t, std::less<>> firstSeen; // name -> header offset
  bool haveMetadata = false;
  for (const json::Member &member : header.asObject()) {
    const std::string &name = member.key;
    const json::Value &value = member.value;

    if (name == "__metadata__") {
      if (haveMetadata) {
        fileError("__metadata__ appears twice in the header");
        continue;
      }
      haveMetadata = true;
      if (!value.isObject()) {
        fileError(std::string("__metadata__ must be an object of strings, found ") +
                  value.kindName());
        continue;
      }
      std::set<std::string, std::less<>> keys;
      for (const json::Member &m : value.asObject()) {
        if (!keys.insert(m.key).second) {
          fileError("__metadata__ key " + displayName(m.key) + " appears twice");
          continue;
        }
        if (!m.value.isString()) {
          fileError("__metadata__ value of " + displayName(m.key) + " must be a string, found " +
                    m.value.kindName());
          continue;
        }
        impl.metadata.emplace_back(m.key, m.value.asString());
      }
      continue;
    }

    auto tensorError = [&](const std::string &what) {
      fileError("tensor " + displayName(name) + ": " + what);
    };
    auto seen = firstSeen.emplace(name, member.keyOffset);
    if (!seen.second) {
      tensorError("listed twice in the header (header bytes " + std::to_string(seen.first->second) +
                  " and " + std::to_string(member.keyOffset) + ")");
      continue;
    }

    HeaderEntry entry;
    entry.name = name;
    auto entryError = [&](const std::string &what) { tensorError(what); };
    if (!value.isObject()) {
      entryError(std::string("entry must be an object, found ") + value.kindName());
      entries.push_back(std::move(entry));
      continue;
    }

    const json::Value *dtypeValue = nullptr, *shapeValue = nullptr, *offsetsValue = nullptr;
    for (const json::Member &field : value.asObject()) {
      const json::Value **slot = nullptr;
      if (field.key == "dtype")
        slot = &dtypeValue;
      else if (field.key == "shape")
        slot = &shapeValue;
      else if (field.key == "data_offsets")
        slot = &offsetsValue;
      if (!slot) {
        entryError("unexpected key " + displayName(field.key) +
                   " (entries have dtype, shape and data_offsets)");
        continue;
      }
      if (*slot) {
        entryError("key '" + field.key + "' appears twice");
        continue;
      }
      *slot = &field.value;
    }

    // dtype
    if (!dtypeValue) {
      entryError("missing 'dtype'");
    } else if (!dtypeValue->isString()) {
      entryError(std::string("'dtype' must be a string, found ") + dtypeValue->kindName());
    } else {
      entry.dtype = parseDType(dtypeValue->asString());
      if (!entry.dtype)
        entryError("unknown dtype " + displayName(dtypeValue->asString()));
    }

    // shape
    if (!shapeValue) {
      entryError("missing 'shape'");
    } else if (!shapeValue->isArray()) {
      entryError(std::string("'shape' must be an array of integers, found ") +
                 shapeValue->kindName());
    } else {
      entry.shapeOk = true;
      const std::vector<json::Value> &dims = shapeValue->asArray();
      for (size_t i = 0; i < dims.size(); ++i) {
        if (!dims[i].isInt()) {
          entryError("shape dimension " + std::to_string(i) + " must be an integer, found " +
                     dims[i].kindName());
          entry.shapeOk = false;
        } else if (dims[i].asInt() < 0) {
          entryError("shape dimension " + std::to_string(i) + " is " +
                     std::to_string(dims[i].asInt()) + " (must be non-negative)");
          entry.shapeOk = false;
        } else {
          entry.shape.push_back(dims[i].asInt());
        }
      }
    }

    // data_offsets
    if (!offsetsValue) {
      entryError("missing 'data_offsets'");
    } else if (!offsetsValue->isArray() || offsetsValue->asArray().size() != 2) {
      entryError("'data_offsets' must be an array of two integers [begin, end], found " +
                 (offsetsValue->isArray()
                      ? "an array of " + std::to_string(offsetsValue->asArray().size())
                      : std::string(offsetsValue->kindName())));
    } else {
      const json::Value &b = offsetsValue->asArray()[0], &e = offsetsValue->asArray()[1];
      if (!b.isInt() || !e.isInt()) {
        entryError(std::string("'data_offsets' must be integers, found [") + b.kindName() + ", " +
                   e.kindName() + "]");
      } else if (b.asInt() < 0 || e.asInt() < 0) {
        entryError("data_offsets [" + std::to_string(b.asInt()) + ", " + std::to_string(e.asInt()) +
                   "] must be non-negative");
      } else {
        entry.offsetsParsed = true;
        entry.begin = static_cast<uint64_t>(b.asInt());
        entry.end = static_cast<uint64_t>(e.asInt());
        if (entry.begin > entry.end) {
          entryError("data_offsets " + offsetsText(entry.begin, entry.end) +
                     " are reversed (begin > end)");
        } else if (entry.end > dataSize) {
          entryError("data_offsets " + offsetsText(entry.begin, entry.end) +
                     " run past the end of the data section (" + byteCount(dataSize) + ")");
        } else {
          entry.offsetsInRange = true;
        }
      }
    }

    // dtype x shape against the byte count
    if (entry.dtype && entry.shapeOk && entry.offsetsParsed && entry.begin <= entry.end) {
      std::optional<uint64_t> bytes = byteSize(*entry.dtype, entry.shape);
      if (!elementCount(entry.shape)) {
        entryError("shape " + formatShape(entry.shape) + " has more elements than fit in 64 bits");
      } else if (!bytes) {
        uint64_t n = static_cast<uint64_t>(*elementCount(entry.shape));
        uint64_t bits;
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(dtypeBits(*entry.dtype)), &bits))
          entryError(formatTensorType(*entry.dtype, entry.shape) +
                     " has more bytes than fit in 64 bits");
        else
          entryError(formatTensorType(*entry.dtype, entry.shape) + " is " + std::to_string(bits) +
                     " bits, not a whole number of bytes");
      } else if (entry.end - entry.begin != *bytes) {
        entryError("data_offsets " + offsetsText(entry.begin, entry.end) + " do not match " +
                   formatTensorType(*entry.dtype, entry.shape) + " (" + byteCount(*bytes) + ")");
      }
    }
    entries.push_back(std::move(entry));
  }

  // Overlaps, among every entry whose offsets are usable.
  std::vector<const HeaderEntry *> placed;
  for (const HeaderEntry &e : entries)
    if (e.offsetsInRange && e.begin < e.end)
      placed.push_back(&e);
  std::stable_sort(placed.begin(), placed.end(), [](const HeaderEntry *a, const HeaderEntry *b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  const HeaderEntry *reach = nullptr; // the entry reaching furthest so far
  for (const HeaderEntry *e : placed) {
    if (reach && e->begin < reach->end) {
      fileError("tensor " + displayName(e->name) + ": data_offsets " +
                offsetsText(e->begin, e->end) + " overlap tensor " + displayName(reach->name) +
                " " + offsetsText(reach->begin, reach->end));
    }
    if (!reach || e->end > reach->end)
      reach = e;
  }

  // Bytes that belong to no tensor: only meaningful once every entry is sound.
  if (errors.empty() && !options.allowUnindexedBytes) {
    uint64_t covered = 0;
    for (const HeaderEntry *e : placed) {
      if (e->begin > covered)
        fileError("data section bytes [" + std::to_string(covered) + ", " +
                  std::to_string(e->begin) + ") belong to no tensor");
      covered = std::max(covered, e->end);
    }
    if (covered < dataSize)
      fileError("data section bytes [" + std::to_string(covered) + ", " + std::to_string(dataSize) +
                ") belong to no tensor");
  }

  if (!errors.empty())
    return Status::errors(std::move(errors));

  impl.tensors.reserve(entries.size());
  for (HeaderEntry &e : entries) {
    TensorView v;
    v.name = std::move(e.name);
    v.dtype = *e.dtype;
    v.shape = std::move(e.shape);
    v.fileOffset = impl.dataOffset + e.begin;
    v.data = impl.image + v.fileOffset;
    v.bytes = static_cast<size_t>(e.end - e.begin);
    impl.tensors.push_back(std::move(v));
  }
  for (size_t i = 0; i < impl.tensors.size(); ++i)
    impl.byName.emplace(impl.tensors[i].name, i);
  return Status();
}

} // namespace

SafeTensorsFile::SafeTensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafeTensorsFile::SafeTensorsFile(SafeTensorsFile &&) noexcept = default;
SafeTensorsFile &SafeTensorsFile::operator=(SafeTensorsFile &&) noexcept = default;
SafeTensorsFile::~SafeTensorsFile() = default;

Expected<SafeTensorsFile> SafeTensorsFile::open(const std::string &path,
                                                const SafeTensorsOptions &options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  // O_NONBLOCK: a FIFO must not hang the open; it is rejected as not a regular file below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Status::error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::error(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + ": not a regular file");
  }
  impl->size = static_cast<size_t>(st.st_size);
  static const uint8_t kEmpty[8] = {};
  if (impl->size < 8) {
    // Too short to hold anything: parseImage reports it; no mapping needed.
    ::close(fd);
    impl->image = kEmpty;
  } else {
    void *m = ::mmap(nullptr, impl->size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (m == MAP_FAILED)
      return Status::error(path + ": cannot map: " + std::strerror(err));
    impl->mapping = m;
    impl->mappingSize = impl->size;
    impl->image = static_cast<const uint8_t *>(m);
  }
  Status s = parseImage(*impl, options);
  if (!s.ok())
    return s;
  return SafeTensorsFile(std::move(impl));
}

Expected<SafeTensorsFile> SafeTensorsFile::fromMemory(const uint8_t *image, size_t size,
                                                      std::string name,
                                                      const SafeTensorsOptions &options) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::move(name);
  static const uint8_t kEmpty[8] = {};
  impl->image = image ? image : kEmpty;
  impl->size = image ? size : 0;
  Status s = parseImage(*impl, options);
  if (!s.ok())
    return s;
  return SafeTensorsFile(std::move(impl));
}

const std::string &SafeTensorsFile::path() const { return impl_->path; }
const std::vector<TensorView> &SafeTensorsFile::tensors() const { return impl_->tensors; }
const TensorView *SafeTensorsFile::find(std::string_view name) const {
  auto it = impl_->byName.find(name);
  return it == impl_->byName.end() ? nullptr : &impl_->tensors[it->second];
}
const std::vector<std::pair<std::string, std::string>> &SafeTensorsFile::metadata() const {
  return impl_->metadata;
}
const uint8_t *SafeTensorsFile::image() const { return impl_->image; }
size_t SafeTensorsFile::imageSize() const { return impl_->size; }
uint64_t SafeTensorsFile::dataSectionOffset() const { return impl_->dataOffset; }

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

namespace {

// Writes `parts` to `path` through a temporary file renamed into place.
Status writeFileAtomically(const std::string &path,
                           const std::vector<std::pair<const void *, size_t>> &parts) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    return Status::error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  for (const auto &part : parts) {
    if (part.second && std::fwrite(part.first, 1, part.second, f) != part.second) {
      int err = errno;
      std::fclose(f);
      std::remove(tmp.c_str());
      return Status::error(path + ": write failed: " + std::strerror(err));
    }
  }
  if (std::fclose(f) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return Status::error(path + ": write failed: " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return Status::error(path + ": cannot rename " + tmp + " into place: " + std::strerror(err));
  }
  return Status();
}

} // namespace

Status SafeTensorsWriter::addEntry(std::string name, DType dtype, std::vector<int64_t> shape,
                                   const void *data, size_t bytes, bool copy) {
  if (name == "__metadata__")
    return Status::error("tensor '__metadata__': the name is reserved for the metadata map");
  for (const Entry &e : entries_)
    if (e.name == name)
      return Status::error("tensor " + displayName(name) + ": added twice");
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 0)
      return Status::error("tensor " + displayName(name) + ": shape dimension " +
                           std::to_string(i) + " is " + std::to_string(shape[i]) +
                           " (must be non-negative)");
  std::optional<uint64_t> expected = byteSize(dtype, shape);
  if (!expected)
    return Status::error("tensor " + displayName(name) + ": " + formatTensorType(dtype, shape) +
                         " has no whole byte size");
  if (*expected != bytes)
    return Status::error("tensor " + displayName(name) + ": " + std::to_string(bytes) +
                         " bytes given for " + formatTensorType(dtype, shape) + " (" +
                         byteCount(*expected) + ")");
  if (bytes && !data)
    return Status::error("tensor " + displayName(name) + ": null data");
  Entry e;
  e.name = std::move(name);
  e.dtype = dtype;
  e.shape = std::move(shape);
  e.bytes = bytes;
  if (copy) {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    e.owned.assign(p, p + bytes);
    e.data = nullptr; // resolved to owned.data() when written (the vector may move)
  } else {
    e.data = static_cast<const uint8_t *>(data);
  }
  entries_.push_back(std::move(e));
  return Status();
}

Status SafeTensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                              const void *data, size_t bytes) {
  return addEntry(std::move(name), dtype, std::move(shape), data, bytes, /*copy=*/true);
}

Status SafeTensorsWriter::addBorrowed(std::string name, DType dtype, std::vector<int64_t> shape,
                                      const void *data, size_t bytes) {
  return addEntry(std::move(name), dtype, std::move(shape), data, bytes, /*copy=*/false);
}

void SafeTensorsWriter::setMetadata(std::string key, std::string value) {
  for (auto &kv : metadata_)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  metadata_.emplace_back(std::move(key), std::move(value));
}

uint64_t SafeTensorsWriter::dataBytes() const {
  uint64_t total = 0;
  for (const Entry &e : entries_)
    total += e.bytes;
  return total;
}

std::string SafeTensorsWriter::header() const {
  std::string h = "{";
  bool first = true;
  if (!metadata_.empty()) {
    h += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata_.size(); ++i) {
      if (i)
        h += ',';
      h += json::quote(metadata_[i].first) + ":" + json::quote(metadata_[i].second);
    }
    h += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (const Entry &e : entries_) {
    if (!first)
      h += ',';
    first = false;
    h +=
        json::quote(e.name) + ":{\"dtype\":\"" + std::string(dtypeName(e.dtype)) + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) {
      if (i)
        h += ',';
      h += std::to_string(e.shape[i]);
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + e.bytes) +
         "]}";
    offset += e.bytes;
  }
  h += '}';
  while (h.size() % 8 != 0)
    h += ' ';
  return h;
}

std::vector<uint8_t> SafeTensorsWriter::serialize() const {
  std::string h = header();
  std::vector<uint8_t> out;
  out.reserve(8 + h.size() + dataBytes());
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), h.begin(), h.end());
  for (const Entry &e : entries_) {
    const uint8_t *p = e.data ? e.data : e.owned.data();
    if (e.bytes)
      out.insert(out.end(), p, p + e.bytes);
  }
  return out;
}

Status SafeTensorsWriter::write(const std::string &path) const {
  std::string h = header();
  uint8_t length[8];
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<uint8_t>(n >> (8 * i));
  std::vector<std::pair<const void *, size_t>> parts;
  parts.emplace_back(length, 8);
  parts.emplace_back(h.data(), h.size());
  for (const Entry &e : entries_)
    parts.emplace_back(e.data ? e.data : e.owned.data(), e.bytes);
  return writeFileAtomically(path, parts);
}

Status writeCheckpointIndex(const std::string &path,
                            const std::map<std::string, std::string> &weightMap,
                            uint64_t totalSize) {
  std::string text = "{\n  \"metadata\": {\"total_size\": " + std::to_string(totalSize) +
                     "},\n  \"weight_map\": {";
  bool first = true;
  for (const auto &kv : weightMap) {
    text += first ? "\n    " : ",\n    ";
    first = false;
    text += json::quote(kv.first) + ": " + json::quote(kv.second);
  }
  text += first ? "}\n}\n" : "\n  }\n}\n";
  return writeFileAtomically(path, {{text.data(), text.size()}});
}

} // namespace weights
} // namespace ds4
