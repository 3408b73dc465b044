// Safetensors files: a zero-copy reader that validates the whole header before anything is
// used, and a writer (synthetic checkpoints, logits dumps, tests).
//
// File layout: an 8-byte little-endian header length N, N bytes of JSON header, then the data
// section.  The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data section) plus an optional "__metadata__" string->string map.
//
// SafeTensorsFile::open checks, and reports every violation it finds (not just the first),
// each as one line "PATH: ..." naming the tensor where there is one:
//   - the file has at least the 8 length bytes; the header length is <= 100,000,000 and the
//     header ends inside the file;
//   - the header is valid UTF-8 JSON, and a JSON object;
//   - every tensor entry is an object with exactly the keys dtype (a known dtype name), shape
//     (an array of non-negative integers) and data_offsets (two non-negative integers), each
//     key once;
//   - begin <= end <= size of the data section, and end - begin == bytes of dtype x shape
//     (computed without overflow);
//   - no two tensors share a byte, and no tensor name appears twice;
//   - __metadata__, if present, is an object of string values;
//   - every byte of the data section belongs to a tensor (as the safetensors format demands;
//     SafeTensorsOptions::allowUnindexedBytes lifts this), checked once everything else holds.
//
// Views point straight into a read-only private mapping of the file: nothing is copied, and
// data is only as aligned as the file makes it (the writer aligns the data section to 8 bytes;
// tensors inside it are packed).
#ifndef DS4_RUNTIME_WEIGHTS_SAFETENSORS_H
#define DS4_RUNTIME_WEIGHTS_SAFETENSORS_H

#include "runtime/support/Status.h"
#include "runtime/weights/DType.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds4 {
namespace weights {

namespace detail {
struct SafeTensorsFileImpl;
} // namespace detail

/// The largest header accepted, as in the reference safetensors implementation.
constexpr uint64_t kMaxHeaderBytes = 100000000;

/// One tensor of a file.  Views live as long as the SafeTensorsFile (or Checkpoint) that
/// returned them, across moves of that object.
struct TensorView {
  std::string name;
  DType dtype = DType::U8;
  std::vector<int64_t> shape;
  /// First byte, inside the read-only mapping.  Only 1-byte alignment is guaranteed.
  const uint8_t *data = nullptr;
  /// == byteSize(dtype, shape).
  size_t bytes = 0;
  /// Where `data` starts in the file (for readers that bypass the mapping, e.g. direct I/O).
  uint64_t fileOffset = 0;

  int64_t numElements() const;
};

struct SafeTensorsOptions {
  /// Accept data-section bytes that belong to no tensor (the format forbids them).
  bool allowUnindexedBytes = false;
};

class SafeTensorsFile {
public:
  /// Maps `path` read-only and validates its header.  On failure, every problem found.
  static Expected<SafeTensorsFile> open(const std::string &path,
                                        const SafeTensorsOptions &options = SafeTensorsOptions());
  /// Validates an image already in memory, which must outlive the result; `name` stands for
  /// the path in messages.
  static Expected<SafeTensorsFile>
  fromMemory(const uint8_t *image, size_t size, std::string name,
             const SafeTensorsOptions &options = SafeTensorsOptions());

  SafeTensorsFile(SafeTensorsFile &&) noexcept;
  SafeTensorsFile &operator=(SafeTensorsFile &&) noexcept;
  SafeTensorsFile(const SafeTensorsFile &) = delete;
  SafeTensorsFile &operator=(const SafeTensorsFile &) = delete;
  ~SafeTensorsFile();

  /// The path (or name) it was opened with.
  const std::string &path() const;
  /// In header order.
  const std::vector<TensorView> &tensors() const;
  /// nullptr if absent.
  const TensorView *find(std::string_view name) const;
  /// __metadata__, in header order.
  const std::vector<std::pair<std::string, std::string>> &metadata() const;
  /// The whole file image and where its data section starts.
  const uint8_t *image() const;
  size_t imageSize() const;
  uint64_t dataSectionOffset() const;

private:
  explicit SafeTensorsFile(std::unique_ptr<detail::SafeTensorsFileImpl> impl);
  std::unique_ptr<detail::SafeTensorsFileImpl> impl_;
};

/// Writes safetensors files in the layout SafeTensorsFile reads: header entries in the order
/// added (metadata first), data packed in that order, header padded with spaces so the data
/// section starts at a multiple of 8.
class SafeTensorsWriter {
public:
  /// Copies `bytes` bytes from `data`.  Fails on a duplicate or reserved name, a negative
  /// dimension, or a byte count that is not byteSize(dtype, shape).
  Status add(std::string name, DType dtype, std::vector<int64_t> shape, const void *data,
             size_t bytes);
  /// Like add, but keeps only the pointer: `data` must stay valid until write/serialize.
  Status addBorrowed(std::string name, DType dtype, std::vector<int64_t> shape, const void *data,
                     size_t bytes);
  /// Adds or replaces a __metadata__ entry.
  void setMetadata(std::string key, std::string value);

  size_t size() const { return entries_.size(); }
  /// Sum of the tensors' bytes.
  uint64_t dataBytes() const;

  /// The JSON header exactly as written (padding included).
  std::string header() const;
  /// The whole file in memory.
  std::vector<uint8_t> serialize() const;
  /// Writes `path` (through a temporary file renamed into place).
  Status write(const std::string &path) const;

private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> owned;
    const uint8_t *data;
    size_t bytes;
  };
  Status addEntry(std::string name, DType dtype, std::vector<int64_t> shape, const void *data,
                  size_t bytes, bool copy);
  std::vector<Entry> entries_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

/// Writes a model.safetensors.index.json: {"metadata": {"total_size": totalSize},
/// "weight_map": {tensor: shard file name}} (names sorted).
Status writeCheckpointIndex(const std::string &path,
                            const std::map<std::string, std::string> &weightMap,
                            uint64_t totalSize);

} // namespace weights
} // namespace ds4

#endif // DS4_RUNTIME_WEIGHTS_SAFETENSORS_H
