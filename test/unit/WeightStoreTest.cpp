// Tests of runtime/weights: the safetensors reader/writer, checkpoint directories with a shard
// index, and validation against an expected weight table.  Every validation rule has a crafted
// bad file here; files go to a fresh directory per test.
#include "runtime/weights/Checkpoint.h"
#include "runtime/weights/DType.h"
#include "runtime/weights/SafeTensors.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>

using namespace ds4;
using namespace ds4::weights;
namespace fs = std::filesystem;

using ::ds4::test::contains;

namespace {


class WeightStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ds4-weights-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    ASSERT_NE(::mkdtemp(buffer.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = buffer.data();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  // Writes raw bytes.
  std::string writeBytes(const std::string &name, const std::string &bytes) {
    std::string p = path(name);
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << p;
    return p;
  }

  static std::string lengthPrefix(uint64_t n) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i)
      s[i] = static_cast<char>(n >> (8 * i));
    return s;
  }

  // A safetensors file with this exact header text and `dataBytes` bytes of data (0, 1, 2,
  // ... mod 256).
  std::string writeRaw(const std::string &name, const std::string &header, size_t dataBytes) {
    std::string bytes = lengthPrefix(header.size()) + header;
    for (size_t i = 0; i < dataBytes; ++i)
      bytes += static_cast<char>(i & 0xff);
    return writeBytes(name, bytes);
  }

  // Opens `file`, which must fail, and returns the messages.
  std::vector<std::string> openErrors(const std::string &file,
                                      const SafeTensorsOptions &options = SafeTensorsOptions()) {
    Expected<SafeTensorsFile> f = SafeTensorsFile::open(file, options);
    EXPECT_FALSE(f.ok()) << file << " was accepted";
    if (f.ok())
      return {};
    for (const std::string &m : f.status().messages()) {
      EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
      EXPECT_EQ(m.rfind(file + ": ", 0), 0u) << "message does not start with the file: " << m;
    }
    return f.status().messages();
  }

  // The only message of a failed open.
  std::string openError(const std::string &file) {
    std::vector<std::string> errors = openErrors(file);
    EXPECT_EQ(errors.size(), 1u) << join(errors);
    return errors.empty() ? "" : errors[0];
  }

  std::vector<std::string> checkpointErrors(const std::string &p) {
    Expected<Checkpoint> c = Checkpoint::open(p);
    EXPECT_FALSE(c.ok()) << p << " was accepted";
    if (c.ok())
      return {};
    for (const std::string &m : c.status().messages())
      EXPECT_EQ(m.find('\n'), std::string::npos) << "multi-line message: " << m;
    return c.status().messages();
  }

  static std::string join(const std::vector<std::string> &lines) {
    std::string s;
    for (const std::string &l : lines)
      s += l + "\n";
    return s;
  }

  std::string dir_;
};

// Bytes 0, 1, 2, ... offset by `seed`.
std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

void addPattern(SafeTensorsWriter &w, const std::string &name, DType dtype,
                std::vector<int64_t> shape, uint8_t seed) {
  size_t bytes = static_cast<size_t>(byteSize(dtype, shape).value());
  std::vector<uint8_t> data = pattern(bytes, seed);
  Status s = w.add(name, dtype, std::move(shape), data.data(), data.size());
  ASSERT_TRUE(s.ok()) << s.message();
}

void expectContent(const TensorView *t, size_t bytes, uint8_t seed) {
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->bytes, bytes);
  std::vector<uint8_t> want = pattern(bytes, seed);
  EXPECT_EQ(0, bytes ? std::memcmp(t->data, want.data(), bytes) : 0) << t->name;
}

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

TEST(DType, NamesSizesAndFormatting) {
  for (DType d : allDTypes())
    EXPECT_EQ(parseDType(dtypeName(d)), d) << dtypeName(d);
  EXPECT_EQ(allDTypes().size(), 20u);
  EXPECT_EQ(parseDType("bf16"), std::nullopt); // case-sensitive, as safetensors writes them
  EXPECT_EQ(parseDType("F8_E4M3FN"), std::nullopt);
  EXPECT_EQ(dtypeBits(DType::BF16), 16u);
  EXPECT_EQ(dtypeBits(DType::F8_E4M3), 8u);
  EXPECT_EQ(dtypeBits(DType::F8_E8M0), 8u);
  EXPECT_EQ(dtypeBits(DType::I8), 8u);
  EXPECT_EQ(dtypeBits(DType::I64), 64u);
  EXPECT_EQ(dtypeBits(DType::C64), 64u);
  EXPECT_EQ(dtypeBits(DType::F4), 4u);
  EXPECT_EQ(dtypeBits(DType::F6_E3M2), 6u);
  EXPECT_EQ(byteSize(DType::F32, {}), 4u);
  EXPECT_EQ(byteSize(DType::BF16, {3, 0, 5}), 0u);
  EXPECT_EQ(byteSize(DType::F8_E4M3, {64, 128}), 8192u);
  EXPECT_EQ(byteSize(DType::F4, {3, 2}), 3u);
  EXPECT_EQ(byteSize(DType::F4, {3}), std::nullopt); // 12 bits
  EXPECT_EQ(byteSize(DType::F6_E2M3, {4}), 3u);      // 24 bits
  EXPECT_EQ(byteSize(DType::F32, {-1}), std::nullopt);
  EXPECT_EQ(elementCount({1LL << 32, 1LL << 32}), std::nullopt);
  EXPECT_EQ(elementCount({1LL << 32, 1LL << 32, 0}), 0);
  EXPECT_EQ(byteSize(DType::F64, {1LL << 62}), std::nullopt);
  EXPECT_EQ(formatTensorType(DType::F8_E4M3, {64, 128}), "64x128 F8_E4M3");
  EXPECT_EQ(formatTensorType(DType::F32, {}), "scalar F32");
  EXPECT_EQ(formatShape({0, 4}), "0x4");
}

//===----------------------------------------------------------------------===//
// SafeTensorsFile: happy paths
//===----------------------------------------------------------------------===//

TEST_F(WeightStoreTest, WriterRoundTripIsZeroCopy) {
  SafeTensorsWriter w;
  addPattern(w, "embed.weight", DType::BF16, {5, 3}, 1);
  addPattern(w, "layers.0.attn.wq_a.weight", DType::F8_E4M3, {3, 5}, 2); // odd size: packing
  addPattern(w, "layers.0.attn.wq_a.scale", DType::F8_E8M0, {1, 1}, 3);
  addPattern(w, "layers.0.ffn.experts.0.w1.weight", DType::I8, {4, 16}, 4); // packed fp4
  addPattern(w, "layers.0.ffn.gate.tid2eid", DType::I32, {7, 6}, 5);
  addPattern(w, "hc_head_scale", DType::F32, {1}, 6);
  addPattern(w, "step", DType::I64, {}, 7);      // scalar
  addPattern(w, "empty", DType::F32, {0, 4}, 8); // 0 elements
  w.setMetadata("format", "pt");
  w.setMetadata("note", "quotes \" and \\ and\nnewline");
  w.setMetadata("format", "ds4"); // replaces
  ASSERT_TRUE(w.write(path("a.safetensors")).ok());

  Expected<SafeTensorsFile> f = SafeTensorsFile::open(path("a.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->path(), path("a.safetensors"));
  EXPECT_EQ(f->dataSectionOffset() % 8, 0u); // header padded
  EXPECT_EQ(f->imageSize(), f->dataSectionOffset() + w.dataBytes());
  ASSERT_EQ(f->tensors().size(), 8u);
  EXPECT_EQ(f->tensors()[0].name, "embed.weight"); // header order

  const TensorView *wq = f->find("layers.0.attn.wq_a.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(wq->dtype, DType::F8_E4M3);
  EXPECT_EQ(wq->shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(wq->numElements(), 15);
  // Zero-copy: the view points into the mapped file image, at its file offset.
  EXPECT_EQ(wq->data, f->image() + wq->fileOffset);
  EXPECT_GE(wq->data, f->image());
  EXPECT_LE(wq->data + wq->bytes, f->image() + f->imageSize());
  expectContent(wq, 15, 2);
  expectContent(f->find("embed.weight"), 30, 1);
  expectContent(f->find("layers.0.attn.wq_a.scale"), 1, 3);
  expectContent(f->find("layers.0.ffn.experts.0.w1.weight"), 64, 4);
  expectContent(f->find("layers.0.ffn.gate.tid2eid"), 168, 5);
  expectContent(f->find("hc_head_scale"), 4, 6);
  const TensorView *step = f->find("step");
  ASSERT_NE(step, nullptr);
  EXPECT_TRUE(step->shape.empty());
  EXPECT_EQ(step->numElements(), 1);
  expectContent(step, 8, 7);
  const TensorView *empty = f->find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->bytes, 0u);
  EXPECT_EQ(empty->numElements(), 0);
  EXPECT_EQ(empty->shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(f->find("nope"), nullptr);

  ASSERT_EQ(f->metadata().size(), 2u);
  EXPECT_EQ(f->metadata()[0], (std::pair<std::string, std::string>{"format", "ds4"}));
  EXPECT_EQ(f->metadata()[1].second, "quotes \" and \\ and\nnewline");

  // Views survive moving the file object.
  const uint8_t *before = wq->data;
  SafeTensorsFile moved = std::move(f).value();
  EXPECT_EQ(moved.find("layers.0.attn.wq_a.weight"), wq);
  EXPECT_EQ(moved.find("layers.0.attn.wq_a.weight")->data, before);

  // The in-memory serialization is the file.
  std::vector<uint8_t> image = w.serialize();
  ASSERT_EQ(image.size(), moved.imageSize());
  EXPECT_EQ(0, std::memcmp(image.data(), moved.image(), image.size()));
  Expected<SafeTensorsFile> mem = SafeTensorsFile::fromMemory(image.data(), image.size(), "mem");
  ASSERT_TRUE(mem.ok()) << mem.status().message();
  EXPECT_EQ(mem->find("step")->data, image.data() + step->fileOffset);
}

TEST_F(WeightStoreTest, BorrowedWriterAndEmptyFile) {
  std::vector<uint8_t> big = pattern(4 * 6, 9);
  SafeTensorsWriter w;
  ASSERT_TRUE(w.addBorrowed("x", DType::F32, {2, 3}, big.data(), big.size()).ok());
  ASSERT_TRUE(w.write(path("b.safetensors")).ok());
  Expected<SafeTensorsFile> f = SafeTensorsFile::open(path("b.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  expectContent(f->find("x"), 24, 9);

  // No tensors at all: "{}" plus padding, no data section.
  SafeTensorsWriter none;
  ASSERT_TRUE(none.write(path("none.safetensors")).ok());
  Expected<SafeTensorsFile> g = SafeTensorsFile::open(path("none.safetensors"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(g->tensors().empty());
  EXPECT_EQ(g->imageSize(), 16u);
}

TEST_F(WeightStoreTest, HandWrittenHeaderInAnyOrderWithZeroSizeTensors) {
  // Entries out of offset order, zero-size tensors sharing offsets with real ones, header
  // padded with spaces, F4 sub-byte dtype.
  std::string file = writeRaw("c.safetensors",
                              R"({"b":{"data_offsets":[8,12],"shape":[1],"dtype":"F32"},)"
                              R"("z0":{"dtype":"BF16","shape":[0],"data_offsets":[8,8]},)"
                              R"("a":{"dtype":"U8","shape":[2,4],"data_offsets":[0,8]},)"
                              R"("f4":{"dtype":"F4","shape":[2,3],"data_offsets":[12,15]},)"
                              R"("z1":{"dtype":"F32","shape":[3,0],"data_offsets":[15,15]}}   )",
                              15);
  Expected<SafeTensorsFile> f = SafeTensorsFile::open(file);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->tensors().size(), 5u);
  const TensorView *a = f->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->data[0], 0);
  EXPECT_EQ(a->data[7], 7);
  EXPECT_EQ(f->find("b")->data[0], 8);
  EXPECT_EQ(f->find("f4")->bytes, 3u);
  EXPECT_EQ(f->find("z1")->bytes, 0u);
}

TEST_F(WeightStoreTest, WriterRejectsBadTensors) {
  SafeTensorsWriter w;
  uint8_t data[16] = {};
  ASSERT_TRUE(w.add("a", DType::F32, {2}, data, 8).ok());
  EXPECT_CONTAINS(w.add("a", DType::F32, {2}, data, 8).message(), "tensor 'a': added twice");
  EXPECT_CONTAINS(w.add("b", DType::F32, {3}, data, 8).message(),
                  "tensor 'b': 8 bytes given for 3 F32 (12 bytes)");
  EXPECT_CONTAINS(w.add("c", DType::F32, {-1}, data, 0).message(), "must be non-negative");
  EXPECT_CONTAINS(w.add("__metadata__", DType::U8, {1}, data, 1).message(), "reserved");
  EXPECT_CONTAINS(w.add("d", DType::F4, {3}, data, 1).message(), "no whole byte size");
  EXPECT_EQ(w.size(), 1u);
  EXPECT_CONTAINS(w.write(dir_ + "/no/such/dir/x.safetensors").message(), "cannot create");
}

//===----------------------------------------------------------------------===//
// SafeTensorsFile: one crafted bad file per rule
//===----------------------------------------------------------------------===//

TEST_F(WeightStoreTest, RejectsFileShorterThanLengthPrefix) {
  std::string empty = writeBytes("empty.safetensors", "");
  EXPECT_EQ(openError(empty), empty + ": file is 0 bytes, too short for the 8-byte header length");
  std::string five = writeBytes("five.safetensors", std::string("\x02\0\0\0\0", 5));
  EXPECT_EQ(openError(five), five + ": file is 5 bytes, too short for the 8-byte header length");
  Expected<SafeTensorsFile> mem = SafeTensorsFile::fromMemory(nullptr, 0, "mem");
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.status().message(), "mem: file is 0 bytes, too short for the 8-byte header length");
}

TEST_F(WeightStoreTest, RejectsHeaderLengthPastEndOfFile) {
  std::string file = writeBytes("past.safetensors", lengthPrefix(100) + "{}");
  EXPECT_EQ(openError(file),
            file + ": header length 100 runs past the end of the file (file is 10 bytes, 2 "
                   "after the length)");
}

TEST_F(WeightStoreTest, RejectsHugeHeaderLength) {
  std::string file = writeBytes("huge.safetensors", lengthPrefix(~0ULL) + "{}");
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], file + ": header length 18446744073709551615 exceeds the limit of "
                              "100000000 bytes");
  EXPECT_CONTAINS(errors[1], "runs past the end of the file");
  // Just over the limit, even if the file were big enough, is still rejected.
  std::string over = writeBytes("over.safetensors", lengthPrefix(kMaxHeaderBytes + 1));
  EXPECT_CONTAINS(join(openErrors(over)), "exceeds the limit of 100000000 bytes");
}

TEST_F(WeightStoreTest, RejectsHeaderThatIsNotJson) {
  std::string file = writeRaw("notjson.safetensors", "{\"a\": nope}", 0);
  EXPECT_EQ(openError(file), file + ": header is not valid JSON: byte 6 (line 1, column 7): "
                                    "invalid literal (expected 'null')");
  std::string empty = writeRaw("emptyheader.safetensors", "", 0);
  EXPECT_CONTAINS(openError(empty), "header is not valid JSON: byte 0");
  std::string trailing = writeRaw("trailing.safetensors", "{} {}", 0);
  EXPECT_CONTAINS(openError(trailing), "after the JSON value");
  std::string badUtf8 = writeRaw("utf8.safetensors", "{\"\xC0\x80\":{}}", 0);
  EXPECT_CONTAINS(openError(badUtf8), "invalid UTF-8");
  std::string nul = writeRaw("nul.safetensors", std::string("{}\0\0\0\0\0\0", 8), 0);
  EXPECT_CONTAINS(openError(nul), "header is not valid JSON");
}

TEST_F(WeightStoreTest, RejectsHeaderThatIsNotAnObject) {
  std::string file = writeRaw("array.safetensors", "[1, 2]", 0);
  EXPECT_EQ(openError(file), file + ": header is not a JSON object (found array)");
  std::string str = writeRaw("string.safetensors", "\"x\"", 0);
  EXPECT_EQ(openError(str), str + ": header is not a JSON object (found string)");
}

TEST_F(WeightStoreTest, RejectsEntriesMissingFields) {
  std::string file = writeRaw("missing.safetensors",
                              R"({"no_dtype":{"shape":[1],"data_offsets":[0,1]},)"
                              R"("no_shape":{"dtype":"U8","data_offsets":[1,2]},)"
                              R"("no_offsets":{"dtype":"U8","shape":[1]},)"
                              R"("not_object":[1,2],)"
                              R"("nothing":{}})",
                              2);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 7u) << join(errors);
  EXPECT_EQ(errors[0], file + ": tensor 'no_dtype': missing 'dtype'");
  EXPECT_EQ(errors[1], file + ": tensor 'no_shape': missing 'shape'");
  EXPECT_EQ(errors[2], file + ": tensor 'no_offsets': missing 'data_offsets'");
  EXPECT_EQ(errors[3], file + ": tensor 'not_object': entry must be an object, found array");
  EXPECT_EQ(errors[4], file + ": tensor 'nothing': missing 'dtype'");
  EXPECT_EQ(errors[5], file + ": tensor 'nothing': missing 'shape'");
  EXPECT_EQ(errors[6], file + ": tensor 'nothing': missing 'data_offsets'");
}

TEST_F(WeightStoreTest, RejectsFieldsOfTheWrongJsonType) {
  std::string file =
      writeRaw("types.safetensors",
               R"({"a":{"dtype":5,"shape":[1],"data_offsets":[0,1]},)"
               R"("b":{"dtype":"U8","shape":"1","data_offsets":[1,2]},)"
               R"("c":{"dtype":"U8","shape":[1.0],"data_offsets":[2,3]},)"
               R"("d":{"dtype":"U8","shape":[1],"data_offsets":[3]},)"
               R"("e":{"dtype":"U8","shape":[1],"data_offsets":{"b":4}},)"
               R"("f":{"dtype":"U8","shape":[1],"data_offsets":[5.0,6]},)"
               R"("g":{"dtype":"U8","shape":[1],"data_offsets":[6,7],"extra":1},)"
               R"("h":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[7,8]}})",
               8);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 8u) << join(errors);
  EXPECT_EQ(errors[0], file + ": tensor 'a': 'dtype' must be a string, found integer");
  EXPECT_EQ(errors[1], file + ": tensor 'b': 'shape' must be an array of integers, found string");
  EXPECT_EQ(errors[2], file + ": tensor 'c': shape dimension 0 must be an integer, found number");
  EXPECT_EQ(errors[3], file + ": tensor 'd': 'data_offsets' must be an array of two integers "
                              "[begin, end], found an array of 1");
  EXPECT_EQ(errors[4], file + ": tensor 'e': 'data_offsets' must be an array of two integers "
                              "[begin, end], found object");
  EXPECT_EQ(errors[5], file + ": tensor 'f': 'data_offsets' must be integers, found [number, "
                              "integer]");
  EXPECT_EQ(errors[6], file + ": tensor 'g': unexpected key 'extra' (entries have dtype, shape "
                              "and data_offsets)");
  EXPECT_EQ(errors[7], file + ": tensor 'h': key 'dtype' appears twice");
}

TEST_F(WeightStoreTest, RejectsUnknownDType) {
  std::string file = writeRaw("dtype.safetensors",
                              R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]},)"
                              R"("b":{"dtype":"bf16","shape":[1],"data_offsets":[1,3]}})",
                              3);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], file + ": tensor 'a': unknown dtype 'F7'");
  EXPECT_EQ(errors[1], file + ": tensor 'b': unknown dtype 'bf16'");
}

TEST_F(WeightStoreTest, RejectsNegativeDimension) {
  std::string file = writeRaw("neg.safetensors",
                              R"({"w":{"dtype":"F32","shape":[4,-3],"data_offsets":[0,0]}})", 0);
  EXPECT_EQ(openError(file), file + ": tensor 'w': shape dimension 1 is -3 (must be non-negative)");
}

TEST_F(WeightStoreTest, RejectsReversedOffsets) {
  std::string file =
      writeRaw("rev.safetensors", R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[8,4]}})", 8);
  EXPECT_EQ(openError(file), file + ": tensor 'w': data_offsets [8, 4] are reversed (begin > end)");
}

TEST_F(WeightStoreTest, RejectsNegativeOffsets) {
  std::string file = writeRaw("negoff.safetensors",
                              R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[-4,0]}})", 4);
  EXPECT_EQ(openError(file), file + ": tensor 'w': data_offsets [-4, 0] must be non-negative");
}

TEST_F(WeightStoreTest, RejectsOffsetsPastTheDataSection) {
  std::string file = writeRaw("past.safetensors",
                              R"({"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", 12);
  EXPECT_EQ(openError(file), file + ": tensor 'w': data_offsets [0, 16] run past the end of the "
                                    "data section (12 bytes)");
  // Offsets near 2^63 do not wrap around.
  std::string huge = writeRaw(
      "hugeoff.safetensors",
      R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[9223372036854775807,9223372036854775807]}})",
      0);
  EXPECT_CONTAINS(openError(huge), "run past the end of the data section (0 bytes)");
}

TEST_F(WeightStoreTest, RejectsSizeMismatchWithDTypeTimesShape) {
  fs::create_directories(path("weights"));
  std::string file = writeRaw("weights/model-00001-of-00002.safetensors",
                              R"({"layers.0.attn.wq_a.weight":{"dtype":"F8_E4M3",)"
                              R"("shape":[64,128],"data_offsets":[0,100]}})",
                              100);
  EXPECT_EQ(openError(file), file + ": tensor 'layers.0.attn.wq_a.weight': data_offsets [0, 100] "
                                    "do not match 64x128 F8_E4M3 (8192 bytes)");
  // Wider dtypes, scalars and zero-size shapes are counted in bytes too.
  std::string more = writeRaw("mismatch.safetensors",
                              R"({"bf":{"dtype":"BF16","shape":[3],"data_offsets":[0,3]},)"
                              R"("sc":{"dtype":"F32","shape":[],"data_offsets":[3,5]},)"
                              R"("zero":{"dtype":"F32","shape":[2,0],"data_offsets":[5,6]}})",
                              6);
  std::vector<std::string> errors = openErrors(more);
  ASSERT_EQ(errors.size(), 3u) << join(errors);
  EXPECT_EQ(errors[0], more + ": tensor 'bf': data_offsets [0, 3] do not match 3 BF16 (6 bytes)");
  EXPECT_EQ(errors[1],
            more + ": tensor 'sc': data_offsets [3, 5] do not match scalar F32 (4 bytes)");
  EXPECT_EQ(errors[2],
            more + ": tensor 'zero': data_offsets [5, 6] do not match 2x0 F32 (0 bytes)");
}

TEST_F(WeightStoreTest, RejectsShapesWhoseSizeOverflows) {
  std::string file =
      writeRaw("overflow.safetensors",
               R"({"elems":{"dtype":"U8","shape":[4294967296,4294967296,4],"data_offsets":[0,0]},)"
               R"("bytes":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]},)"
               R"("bits":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})",
               1);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 3u) << join(errors);
  EXPECT_EQ(errors[0], file + ": tensor 'elems': shape 4294967296x4294967296x4 has more elements "
                              "than fit in 64 bits");
  EXPECT_EQ(errors[1], file + ": tensor 'bytes': 4611686018427387904 F64 has more bytes than fit "
                              "in 64 bits");
  EXPECT_EQ(errors[2], file + ": tensor 'bits': 3 F4 is 12 bits, not a whole number of bytes");
}

TEST_F(WeightStoreTest, RejectsOverlappingTensors) {
  std::string file = writeRaw("overlap.safetensors",
                              R"({"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},)"
                              R"("b":{"dtype":"U8","shape":[16],"data_offsets":[8,24]},)"
                              R"("c":{"dtype":"U8","shape":[4],"data_offsets":[10,14]},)"
                              R"("d":{"dtype":"U8","shape":[8],"data_offsets":[24,32]}})",
                              32);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], file + ": tensor 'b': data_offsets [8, 24] overlap tensor 'a' [0, 16]");
  // c lies inside a and b; it is reported against the one reaching furthest.
  EXPECT_EQ(errors[1], file + ": tensor 'c': data_offsets [10, 14] overlap tensor 'b' [8, 24]");
  // Identical ranges overlap too; an error elsewhere in an entry does not hide an overlap.
  std::string same = writeRaw("same.safetensors",
                              R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                              R"("b":{"dtype":"XX","shape":[4],"data_offsets":[0,4]}})",
                              4);
  errors = openErrors(same);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], same + ": tensor 'b': unknown dtype 'XX'");
  EXPECT_EQ(errors[1], same + ": tensor 'b': data_offsets [0, 4] overlap tensor 'a' [0, 4]");
}

TEST_F(WeightStoreTest, RejectsDuplicateTensorNames) {
  std::string file = writeRaw("dup.safetensors",
                              R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                              R"("w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
                              8);
  EXPECT_EQ(openError(file),
            file + ": tensor 'w': listed twice in the header (header bytes 1 and 53)");
}

TEST_F(WeightStoreTest, RejectsBadMetadata) {
  std::string notObject = writeRaw("meta1.safetensors", R"({"__metadata__":["pt"]})", 0);
  EXPECT_EQ(openError(notObject),
            notObject + ": __metadata__ must be an object of strings, found array");
  std::string notString =
      writeRaw("meta2.safetensors", R"({"__metadata__":{"format":"pt","n":3,"o":{}}})", 0);
  std::vector<std::string> errors = openErrors(notString);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], notString + ": __metadata__ value of 'n' must be a string, found integer");
  EXPECT_EQ(errors[1], notString + ": __metadata__ value of 'o' must be a string, found object");
  std::string twice =
      writeRaw("meta3.safetensors", R"({"__metadata__":{"a":"1","a":"2"},"__metadata__":{}})", 0);
  errors = openErrors(twice);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], twice + ": __metadata__ key 'a' appears twice");
  EXPECT_EQ(errors[1], twice + ": __metadata__ appears twice in the header");
}

TEST_F(WeightStoreTest, RejectsBytesThatBelongToNoTensor) {
  std::string header = R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})";
  std::string file = writeRaw("holes.safetensors", header, 16);
  std::vector<std::string> errors = openErrors(file);
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], file + ": data section bytes [4, 8) belong to no tensor");
  EXPECT_EQ(errors[1], file + ": data section bytes [12, 16) belong to no tensor");
  SafeTensorsOptions lenient;
  lenient.allowUnindexedBytes = true;
  Expected<SafeTensorsFile> f = SafeTensorsFile::open(file, lenient);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->find("b")->data[0], 8);
  // Data after an empty header is unindexed too.
  std::string extra = writeRaw("extra.safetensors", "{}      ", 3);
  EXPECT_EQ(openError(extra), extra + ": data section bytes [0, 3) belong to no tensor");
}

TEST_F(WeightStoreTest, ReportsEveryProblemOfAFileAtOnce) {
  std::string file = writeRaw("many.safetensors",
                              R"({"__metadata__":5,)"
                              R"("a":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]},)"
                              R"("b":{"dtype":"U8","shape":[-1],"data_offsets":[2,3]},)"
                              R"("c":{"dtype":"U8","shape":[2],"data_offsets":[5,3]},)"
                              R"("d":{"dtype":"U8","shape":[2],"data_offsets":[3,99]},)"
                              R"("e":{"dtype":"I32","shape":[2],"data_offsets":[3,4]},)"
                              R"("f":{"dtype":"U8","shape":[2],"data_offsets":[3,5]},)"
                              R"("a":{"dtype":"U8","shape":[2],"data_offsets":[5,7]}})",
                              8);
  std::vector<std::string> errors = openErrors(file);
  std::string all = join(errors);
  ASSERT_EQ(errors.size(), 9u) << all;
  EXPECT_CONTAINS(all, "__metadata__ must be an object");
  EXPECT_CONTAINS(all, "tensor 'a': unknown dtype 'Q4'");
  EXPECT_CONTAINS(all, "tensor 'b': shape dimension 0 is -1");
  EXPECT_CONTAINS(all, "tensor 'c': data_offsets [5, 3] are reversed");
  EXPECT_CONTAINS(all, "tensor 'd': data_offsets [3, 99] run past the end");
  EXPECT_CONTAINS(all, "tensor 'd': data_offsets [3, 99] do not match 2 U8 (2 bytes)");
  EXPECT_CONTAINS(all, "tensor 'e': data_offsets [3, 4] do not match 2 I32 (8 bytes)");
  EXPECT_CONTAINS(all, "tensor 'f': data_offsets [3, 5] overlap tensor 'e' [3, 4]");
  EXPECT_CONTAINS(all, "tensor 'a': listed twice in the header");
}

TEST_F(WeightStoreTest, NamesWithControlCharactersStayOnOneLine) {
  std::string file = writeRaw("ctl.safetensors",
                              R"({"a\nb'c":{"dtype":"U8","shape":[1],"data_offsets":[0,2]}})", 2);
  EXPECT_EQ(openError(file),
            file + ": tensor 'a\\x0ab\\'c': data_offsets [0, 2] do not match 1 U8 (1 byte)");
}

TEST_F(WeightStoreTest, RejectsMissingFilesAndDirectories) {
  std::string missing = path("missing.safetensors");
  EXPECT_EQ(openError(missing), missing + ": cannot open: No such file or directory");
  fs::create_directories(path("d.safetensors"));
  EXPECT_EQ(openError(path("d.safetensors")), path("d.safetensors") + ": not a regular file");
  // A FIFO is refused without blocking on the open.
  ASSERT_EQ(::mkfifo(path("fifo.safetensors").c_str(), 0600), 0);
  EXPECT_EQ(openError(path("fifo.safetensors")), path("fifo.safetensors") + ": not a regular file");
}

//===----------------------------------------------------------------------===//
// Checkpoint: layouts
//===----------------------------------------------------------------------===//

class CheckpointTest : public WeightStoreTest {
protected:
  // Two shards plus an index: layers.0.* in shard 1, the rest in shard 2.
  void writeTwoShards(const std::string &sub) {
    fs::create_directories(path(sub));
    SafeTensorsWriter s1, s2;
    addPattern(s1, "layers.0.attn.wq_a.weight", DType::F8_E4M3, {256, 128}, 1);
    addPattern(s1, "layers.0.attn.wq_a.scale", DType::F8_E8M0, {2, 1}, 2);
    addPattern(s1, "layers.0.ffn.experts.0.w1.weight", DType::I8, {64, 64}, 3);
    addPattern(s1, "layers.0.ffn.experts.0.w1.scale", DType::F8_E8M0, {64, 4}, 4);
    addPattern(s2, "embed.weight", DType::BF16, {32, 128}, 5);
    addPattern(s2, "norm.weight", DType::BF16, {128}, 6);
    addPattern(s2, "hc_head_scale", DType::F32, {1}, 7);
    ASSERT_TRUE(s1.write(path(sub + "/model-00001-of-00002.safetensors")).ok());
    ASSERT_TRUE(s2.write(path(sub + "/model-00002-of-00002.safetensors")).ok());
    std::map<std::string, std::string> map = {
        {"layers.0.attn.wq_a.weight", "model-00001-of-00002.safetensors"},
        {"layers.0.attn.wq_a.scale", "model-00001-of-00002.safetensors"},
        {"layers.0.ffn.experts.0.w1.weight", "model-00001-of-00002.safetensors"},
        {"layers.0.ffn.experts.0.w1.scale", "model-00001-of-00002.safetensors"},
        {"embed.weight", "model-00002-of-00002.safetensors"},
        {"norm.weight", "model-00002-of-00002.safetensors"},
        {"hc_head_scale", "model-00002-of-00002.safetensors"},
    };
    ASSERT_TRUE(
        writeCheckpointIndex(path(sub + "/" + kIndexFileName), map, s1.dataBytes() + s2.dataBytes())
            .ok());
  }

  static std::vector<ExpectedTensor> twoShardTable() {
    return {
        {"embed.weight", DType::BF16, {32, 128}},
        {"norm.weight", DType::BF16, {128}},
        {"hc_head_scale", DType::F32, {1}},
        {"layers.0.attn.wq_a.weight", DType::F8_E4M3, {256, 128}},
        {"layers.0.attn.wq_a.scale", DType::F8_E8M0, {2, 1}},
        {"layers.0.ffn.experts.0.w1.weight", DType::I8, {64, 64}},
        {"layers.0.ffn.experts.0.w1.scale", DType::F8_E8M0, {64, 4}},
    };
  }

  // A shard file with these U8 tensors of `bytes` bytes each.
  void writeShard(const std::string &name, const std::vector<std::string> &tensors,
                  size_t bytes = 4) {
    SafeTensorsWriter w;
    for (size_t i = 0; i < tensors.size(); ++i)
      addPattern(w, tensors[i], DType::U8, {static_cast<int64_t>(bytes)}, static_cast<uint8_t>(i));
    fs::create_directories(fs::path(path(name)).parent_path());
    ASSERT_TRUE(w.write(path(name)).ok());
  }
};

TEST_F(CheckpointTest, TwoShardsWithIndex) {
  writeTwoShards("ckpt");
  Expected<Checkpoint> c = Checkpoint::open(path("ckpt"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->path(), path("ckpt"));
  EXPECT_EQ(c->indexPath(), path("ckpt/model.safetensors.index.json"));
  ASSERT_EQ(c->shards().size(), 2u);
  EXPECT_EQ(c->shards()[0].path(), path("ckpt/model-00001-of-00002.safetensors"));
  EXPECT_EQ(c->size(), 7u);

  const TensorView *wq = c->find("layers.0.attn.wq_a.weight");
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(wq->dtype, DType::F8_E4M3);
  EXPECT_EQ(wq->shape, (std::vector<int64_t>{256, 128}));
  expectContent(wq, 256 * 128, 1);
  EXPECT_EQ(c->shardOf("layers.0.attn.wq_a.weight"), &c->shards()[0]);
  EXPECT_EQ(c->shardOf("embed.weight"), &c->shards()[1]);
  // Zero-copy: the view lies inside its shard's mapping.
  const SafeTensorsFile &s2 = c->shards()[1];
  const TensorView *embed = c->find("embed.weight");
  EXPECT_EQ(embed->data, s2.image() + embed->fileOffset);
  expectContent(embed, 32 * 128 * 2, 5);
  expectContent(c->find("layers.0.ffn.experts.0.w1.scale"), 256, 4);
  EXPECT_EQ(c->find("nope"), nullptr);
  EXPECT_EQ(c->shardOf("nope"), nullptr);

  std::vector<const TensorView *> all = c->tensors();
  ASSERT_EQ(all.size(), 7u);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_LT(all[i - 1]->name, all[i]->name);

  EXPECT_TRUE(c->check(twoShardTable()).empty());
  EXPECT_TRUE(c->validate(twoShardTable()).ok());

  // The index file itself is accepted as the path, and a trailing slash on the directory.
  Expected<Checkpoint> viaIndex = Checkpoint::open(path("ckpt/model.safetensors.index.json"));
  ASSERT_TRUE(viaIndex.ok()) << viaIndex.status().message();
  EXPECT_EQ(viaIndex->size(), 7u);
  Expected<Checkpoint> slash = Checkpoint::open(path("ckpt") + "/");
  ASSERT_TRUE(slash.ok()) << slash.status().message();

  // Views survive moving the checkpoint.
  Checkpoint moved = std::move(c).value();
  EXPECT_EQ(moved.find("layers.0.attn.wq_a.weight"), wq);
}

TEST_F(CheckpointTest, SingleFile) {
  fs::create_directories(path("single"));
  SafeTensorsWriter w;
  addPattern(w, "embed.weight", DType::BF16, {4, 8}, 1);
  addPattern(w, "hc_head_base", DType::F32, {4}, 2);
  addPattern(w, "empty", DType::BF16, {0}, 3);
  ASSERT_TRUE(w.write(path("single/model.safetensors")).ok());

  for (const std::string &p : {path("single"), path("single/model.safetensors")}) {
    Expected<Checkpoint> c = Checkpoint::open(p);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->indexPath(), "");
    ASSERT_EQ(c->shards().size(), 1u);
    EXPECT_EQ(c->size(), 3u);
    expectContent(c->find("embed.weight"), 64, 1);
    expectContent(c->find("hc_head_base"), 16, 2);
    EXPECT_EQ(c->find("empty")->bytes, 0u);
  }
  // Any file name works when given directly.
  ASSERT_TRUE(w.write(path("other.bin")).ok());
  EXPECT_TRUE(Checkpoint::open(path("other.bin")).ok());
}

TEST_F(CheckpointTest, RejectsDirectoryWithoutCheckpointAndMissingPath) {
  fs::create_directories(path("emptydir"));
  std::vector<std::string> errors = checkpointErrors(path("emptydir"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], path("emptydir") + ": checkpoint directory has neither "
                                          "model.safetensors.index.json nor model.safetensors");
  errors = checkpointErrors(path("nowhere"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], path("nowhere") + ": cannot open checkpoint: No such file or directory");
}

TEST_F(CheckpointTest, SingleFileErrorsPropagate) {
  writeRaw("bad/model.safetensors", R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[0,3]}})", 3);
  std::vector<std::string> errors = checkpointErrors(path("bad"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], path("bad/model.safetensors") +
                           ": tensor 'w': data_offsets [0, 3] do not match 2 U8 (2 bytes)");
}

//===----------------------------------------------------------------------===//
// Checkpoint: crafted bad indexes and shards
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, RejectsMalformedIndex) {
  std::string index = writeBytes("m1/model.safetensors.index.json", R"({"weight_map": {"a": )");
  std::vector<std::string> errors = checkpointErrors(path("m1"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], index + ": not valid JSON: byte 21 (line 1, column 22): unexpected end of "
                               "input, expected a value");

  index = writeBytes("m2/model.safetensors.index.json", "[]");
  errors = checkpointErrors(path("m2"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], index + ": must be a JSON object, found array");

  index = writeBytes("m3/model.safetensors.index.json", R"({"metadata": {}})");
  errors = checkpointErrors(path("m3"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], index + ": has no 'weight_map'");

  index = writeBytes("m4/model.safetensors.index.json", R"({"weight_map": ["a"]})");
  errors = checkpointErrors(path("m4"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0],
            index + ": 'weight_map' must be an object {tensor: shard file}, found array");

  writeShard("m5/s.safetensors", {"a", "b"});
  index = writeBytes("m5/model.safetensors.index.json",
                     R"({"metadata": 3, "weight_map": {"a": 1, "b": "s.safetensors",)"
                     R"( "c": "../s.safetensors", "d": "/etc/passwd", "e": "", "b": "t"}})");
  errors = checkpointErrors(path("m5"));
  ASSERT_EQ(errors.size(), 7u) << join(errors);
  EXPECT_EQ(errors[0], index + ": 'metadata' must be an object, found integer");
  EXPECT_EQ(errors[1], index + ": tensor 'a': weight_map value must be a shard file name "
                               "(string), found integer");
  EXPECT_EQ(errors[2], index + ": tensor 'c': shard file name '../s.safetensors' must be a "
                               "relative path inside the checkpoint directory");
  EXPECT_CONTAINS(errors[3], "tensor 'd': shard file name '/etc/passwd' must be a relative path");
  EXPECT_CONTAINS(errors[4], "tensor 'e': shard file name '' must be a relative path");
  EXPECT_EQ(errors[5], index + ": tensor 'b': listed twice in weight_map (shards 's.safetensors' "
                               "and 't')");
  // 'a' is in the shard, but the index entry for it was unusable.
  EXPECT_EQ(errors[6], path("m5/s.safetensors") + ": tensor 'a': present in this shard but not "
                                                  "listed in model.safetensors.index.json");

  index = writeBytes("m6/model.safetensors.index.json", R"({"weight_map": {}, "weight_map": {}})");
  errors = checkpointErrors(path("m6"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], index + ": 'weight_map' appears twice");
}

TEST_F(CheckpointTest, RejectsMissingShard) {
  writeShard("ms/a.safetensors", {"x"});
  writeBytes("ms/model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors",)"
             R"( "z": "b.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("ms"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], path("ms/b.safetensors") + ": shard does not exist "
                                                  "(model.safetensors.index.json maps 2 tensors "
                                                  "to it, e.g. 'y')");
}

TEST_F(CheckpointTest, RejectsTensorListedInIndexButAbsentFromShard) {
  writeShard("absent/a.safetensors", {"x"});
  writeBytes("absent/model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "ghost": "a.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("absent"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], path("absent/a.safetensors") + ": tensor 'ghost': listed in "
                                                      "model.safetensors.index.json for this "
                                                      "shard but not in it");
}

TEST_F(CheckpointTest, RejectsTensorInShardButAbsentFromIndex) {
  writeShard("unlisted/a.safetensors", {"x", "stowaway"});
  writeBytes("unlisted/model.safetensors.index.json", R"({"weight_map": {"x": "a.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("unlisted"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], path("unlisted/a.safetensors") + ": tensor 'stowaway': present in this "
                                                        "shard but not listed in "
                                                        "model.safetensors.index.json");
}

TEST_F(CheckpointTest, RejectsTensorInTheWrongShard) {
  writeShard("wrong/a.safetensors", {"x", "y"});
  writeShard("wrong/b.safetensors", {"z"});
  writeBytes(
      "wrong/model.safetensors.index.json",
      R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors", "z": "b.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("wrong"));
  ASSERT_EQ(errors.size(), 2u) << join(errors);
  EXPECT_EQ(errors[0], path("wrong/a.safetensors") + ": tensor 'y': present in this shard but "
                                                     "model.safetensors.index.json maps it to "
                                                     "'b.safetensors'");
  EXPECT_EQ(errors[1], path("wrong/b.safetensors") + ": tensor 'y': listed in "
                                                     "model.safetensors.index.json for this "
                                                     "shard but not in it");
}

TEST_F(CheckpointTest, RejectsTheSameTensorInTwoShards) {
  writeShard("twice/a.safetensors", {"x", "shared"});
  writeShard("twice/b.safetensors", {"y", "shared"});
  writeBytes("twice/model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors",)"
             R"( "shared": "a.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("twice"));
  ASSERT_EQ(errors.size(), 1u) << join(errors);
  EXPECT_EQ(errors[0], path("twice/b.safetensors") + ": tensor 'shared': also present in " +
                           path("twice/a.safetensors") +
                           " (a tensor must live in exactly one "
                           "shard)");
}

TEST_F(CheckpointTest, ReportsProblemsOfEveryShardAtOnce) {
  writeShard("all/good.safetensors", {"g", "extra"});
  writeRaw("all/bad.safetensors", R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[0,3]}})", 3);
  writeBytes("all/model.safetensors.index.json",
             R"({"weight_map": {"g": "good.safetensors", "b": "bad.safetensors",)"
             R"( "m": "missing.safetensors", "lost": "good.safetensors"}})");
  std::vector<std::string> errors = checkpointErrors(path("all"));
  std::string all = join(errors);
  ASSERT_EQ(errors.size(), 4u) << all;
  EXPECT_CONTAINS(all,
                  path("all/bad.safetensors") + ": tensor 'b': data_offsets [0, 3] do not match");
  EXPECT_CONTAINS(all, path("all/missing.safetensors") + ": shard does not exist");
  EXPECT_CONTAINS(all, path("all/good.safetensors") + ": tensor 'lost': listed in");
  EXPECT_CONTAINS(all, path("all/good.safetensors") + ": tensor 'extra': present in this shard but "
                                                      "not listed");
}

//===----------------------------------------------------------------------===//
// Checkpoint: the expected weight table
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, ValidateReportsMissingTensor) {
  writeTwoShards("v");
  Expected<Checkpoint> c = Checkpoint::open(path("v"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<ExpectedTensor> table = twoShardTable();
  table.push_back({"head.weight", DType::BF16, {32, 128}});
  std::vector<WeightProblem> problems = c->check(table);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, WeightProblem::Kind::Missing);
  EXPECT_EQ(problems[0].tensor, "head.weight");
  EXPECT_EQ(problems[0].message, path("v") + ": tensor 'head.weight': missing from the checkpoint "
                                             "(expected 32x128 BF16)");
  Status s = c->validate(table);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), problems[0].message);
}

TEST_F(CheckpointTest, ValidateReportsExtraTensorUnlessAllowed) {
  writeTwoShards("v");
  Expected<Checkpoint> c = Checkpoint::open(path("v"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<ExpectedTensor> table = twoShardTable();
  table.erase(table.begin() + 2); // hc_head_scale
  std::vector<WeightProblem> problems = c->check(table);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, WeightProblem::Kind::Extra);
  EXPECT_EQ(problems[0].message, path("v/model-00002-of-00002.safetensors") +
                                     ": tensor 'hc_head_scale': not in the model's weight table "
                                     "(1 F32)");
  EXPECT_FALSE(c->validate(table).ok());
  ValidateOptions lenient;
  lenient.extraTensorsAreErrors = false;
  EXPECT_TRUE(c->validate(table, lenient).ok());
  EXPECT_EQ(c->check(table).size(), 1u); // still listed for the caller
}

TEST_F(CheckpointTest, ValidateReportsWrongDType) {
  writeTwoShards("v");
  Expected<Checkpoint> c = Checkpoint::open(path("v"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<ExpectedTensor> table = twoShardTable();
  table[3].dtype = DType::BF16; // layers.0.attn.wq_a.weight
  std::vector<WeightProblem> problems = c->check(table);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, WeightProblem::Kind::WrongDType);
  EXPECT_EQ(problems[0].message,
            path("v/model-00001-of-00002.safetensors") +
                ": tensor 'layers.0.attn.wq_a.weight': dtype F8_E4M3, expected BF16 (checkpoint "
                "has 256x128 F8_E4M3, expected 256x128 BF16)");
}

TEST_F(CheckpointTest, ValidateReportsWrongShape) {
  writeTwoShards("v");
  Expected<Checkpoint> c = Checkpoint::open(path("v"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<ExpectedTensor> table = twoShardTable();
  table[6].shape = {64, 2}; // experts.0.w1.scale: 1x32 blocks of a d=64 fp4 weight
  table[2].shape = {};      // scalar vs [1] is a different shape
  std::vector<WeightProblem> problems = c->check(table);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].kind, WeightProblem::Kind::WrongShape);
  EXPECT_EQ(problems[0].message, path("v/model-00002-of-00002.safetensors") +
                                     ": tensor 'hc_head_scale': shape 1, expected scalar "
                                     "(checkpoint has 1 F32, expected scalar F32)");
  EXPECT_EQ(problems[1].message,
            path("v/model-00001-of-00002.safetensors") +
                ": tensor 'layers.0.ffn.experts.0.w1.scale': shape 64x4, expected 64x2 "
                "(checkpoint has 64x4 F8_E8M0, expected 64x2 F8_E8M0)");
}

TEST_F(CheckpointTest, ValidateReportsEverythingAtOnce) {
  writeTwoShards("v");
  Expected<Checkpoint> c = Checkpoint::open(path("v"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<ExpectedTensor> table = {
      {"embed.weight", DType::F32, {32, 64}}, // dtype and shape
      {"norm.weight", DType::BF16, {128}},    // fine
      {"layers.0.attn.wq_a.weight", DType::F8_E4M3, {256, 128}},
      {"layers.0.attn.wq_a.scale", DType::F8_E8M0, {2, 1}},
      {"layers.0.attn.wq_b.weight", DType::F8_E4M3, {512, 256}},      // missing
      {"layers.0.attn.wq_b.scale", DType::F8_E8M0, {4, 2}},           // missing
      {"layers.0.ffn.experts.0.w1.weight", DType::F8_E4M3, {64, 64}}, // I8 in the file
      {"norm.weight", DType::BF16, {128}},                            // listed twice
  };
  std::vector<WeightProblem> problems = c->check(table);
  std::vector<WeightProblem::Kind> kinds;
  std::vector<std::string> names;
  for (const WeightProblem &p : problems) {
    kinds.push_back(p.kind);
    names.push_back(p.tensor);
    EXPECT_CONTAINS(p.message, "tensor '" + p.tensor + "'");
    EXPECT_EQ(p.message.find('\n'), std::string::npos);
  }
  using K = WeightProblem::Kind;
  EXPECT_EQ(kinds, (std::vector<K>{K::WrongDType, K::WrongShape, K::Missing, K::Missing,
                                   K::WrongDType, K::DuplicateExpected, K::Extra, K::Extra}));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "embed.weight", "embed.weight", "layers.0.attn.wq_b.weight",
                       "layers.0.attn.wq_b.scale", "layers.0.ffn.experts.0.w1.weight",
                       "norm.weight", "hc_head_scale", "layers.0.ffn.experts.0.w1.scale"}));
  EXPECT_EQ(problems[5].message,
            "expected weight table: tensor 'norm.weight': listed twice (entries 1 and 7)");
  Status s = c->validate(table);
  EXPECT_EQ(s.messages().size(), 8u);
  ValidateOptions lenient;
  lenient.extraTensorsAreErrors = false;
  EXPECT_EQ(c->validate(table, lenient).messages().size(), 6u);
  EXPECT_STREQ(weightProblemKindName(K::WrongShape), "wrong shape");
}

} // namespace
