//===- ArtifactWriter.cpp -------------------------------------------------===//

#include "lowering/ArtifactWriter.h"

#include "dialects/ds4/IR/Ds4Dialect.h"
#include "lowering/cpu/BufferTypes.h"
#include "runtime/artifact/Artifact.h"
#include "runtime/artifact/artifact_generated.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::ds4;
namespace fb = ::ds4::artifact;

static std::string safetensorsDType(Type element) {
  if (element.isBF16())
    return "BF16";
  if (element.isF32())
    return "F32";
  if (element.isInteger(32))
    return "I32";
  if (element.isInteger(64))
    return "I64";
  if (isa<Float8E4M3FNType>(element))
    return "F8_E4M3";
  if (isa<Float4E2M1FNType>(element))
    return "I8";
  return "";
}

LogicalResult ArtifactWriter::collectTensorLevel(ModuleOp module) {
  weights.clear();
  states.clear();
  llvm::StringMap<RankedTensorType> seenWeights;
  llvm::StringMap<Type> seenStates;
  for (auto func : module.getOps<func::FuncOp>()) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      Type type = func.getArgument(i).getType();
      if (auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.weight")) {
        auto tensor = cast<RankedTensorType>(type);
        auto [it, inserted] = seenWeights.try_emplace(name, tensor);
        if (inserted)
          weights.push_back({name.str(), tensor});
        else if (it->second != tensor)
          return func.emitError() << "weight '" << name.getValue()
                                  << "' has two types across entry points";
      }
      if (auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.state")) {
        auto [it, inserted] = seenStates.try_emplace(name, type);
        if (inserted)
          states.push_back({name.str(), type});
        else if (it->second != type)
          return func.emitError() << "state '" << name.getValue()
                                  << "' has two types across entry points";
      }
    }
  }
  return success();
}

/// Reads ds4-weight-arena's `ds4.weight_arena = {bytes, weights = [{name,
/// offset, bytes}...]}` module attribute.
static LogicalResult
readArena(ModuleOp module,
          llvm::function_ref<void(StringRef, int64_t, int64_t)> addSlot,
          int64_t &total) {
  total = 0;
  Attribute attr = module->getAttr("ds4.weight_arena");
  if (!attr)
    return success();
  auto dict = dyn_cast<DictionaryAttr>(attr);
  auto bytes = dict ? dict.getAs<IntegerAttr>("bytes") : IntegerAttr();
  auto list = dict ? dict.getAs<ArrayAttr>("weights") : ArrayAttr();
  if (!bytes || !list)
    return module.emitError("malformed ds4.weight_arena attribute");
  total = bytes.getInt();
  for (Attribute entry : list) {
    auto slot = dyn_cast<DictionaryAttr>(entry);
    auto name = slot ? slot.getAs<StringAttr>("name") : StringAttr();
    auto offset = slot ? slot.getAs<IntegerAttr>("offset") : IntegerAttr();
    auto size = slot ? slot.getAs<IntegerAttr>("bytes") : IntegerAttr();
    if (!name || !offset || !size)
      return module.emitError("malformed ds4.weight_arena entry ") << entry;
    addSlot(name.getValue(), offset.getInt(), size.getInt());
  }
  return success();
}

LogicalResult ArtifactWriter::collectEntryAbi(ModuleOp module) {
  entries.clear();
  arena.clear();
  if (failed(readArena(
          module,
          [&](StringRef name, int64_t offset, int64_t bytes) {
            arena[name] = {offset, bytes};
          },
          arenaBytes)))
    return failure();
  auto indexOf = [](auto &table, StringRef name) -> std::optional<unsigned> {
    for (unsigned i = 0; i < table.size(); ++i)
      if (table[i].name == name)
        return i;
    return std::nullopt;
  };
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    EntryInfo entry;
    entry.name = func.getName().str();
    entry.batch = entry.tokens = -1;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto type = dyn_cast<MemRefType>(func.getArgument(i).getType());
      if (!type)
        return func.emitError() << "entry argument #" << i
                                << " is not a buffer";
      ArgInfo arg{0, 0, unsigned(type.getRank())};
      if (auto input = func.getArgAttrOfType<StringAttr>(i, "ds4.input")) {
        if (input == "tokens") {
          arg.kind = fb::ArgKind_tokens;
          entry.batch = type.getShape()[0];
          entry.tokens = type.getShape()[1];
        } else if (input == "positions") {
          arg.kind = fb::ArgKind_positions;
        } else if (input == "slots") {
          arg.kind = fb::ArgKind_slots;
        } else {
          return func.emitError() << "unknown entry input '" << input << "'";
        }
      } else if (auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.state")) {
        arg.kind = fb::ArgKind_state;
        std::optional<unsigned> index = indexOf(states, name);
        if (!index)
          return func.emitError() << "state '" << name << "' was not collected";
        arg.index = *index;
      } else if (auto name = func.getArgAttrOfType<StringAttr>(i, "ds4.weight")) {
        arg.kind = fb::ArgKind_weight;
        std::optional<unsigned> index = indexOf(weights, name);
        if (!index)
          return func.emitError() << "weight '" << name << "' was not collected";
        arg.index = *index;
      } else if (func.getArgAttr(i, "ds4.weights")) {
        arg.kind = fb::ArgKind_weights_arena;
        if (arena.empty())
          return func.emitError()
                 << "entry argument #" << i
                 << " is the weight arena, but the module has no "
                    "ds4.weight_arena layout";
      } else if (func.getArgAttr(i, "ds4.output")) {
        arg.kind = fb::ArgKind_logits;
      } else {
        return func.emitError() << "entry argument #" << i
                                << " has no ds4.input/state/weight/output role";
      }
      entry.args.push_back(arg);
    }
    if (ShapedType::isDynamic(entry.batch) || entry.batch < 0)
      entry.batch = -1;
    if (ShapedType::isDynamic(entry.tokens) || entry.tokens < 0)
      entry.tokens = -1;
    entries.push_back(std::move(entry));
  }
  return success();
}

static std::string fnv1a64(StringRef text) {
  uint64_t h = 14695981039346656037ull; // FNV-1a 64 offset basis
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::string out;
  llvm::raw_string_ostream(out) << llvm::format_hex_no_prefix(h, 16);
  return out;
}

llvm::Expected<std::string>
ArtifactWriter::serialize(const ArtifactOptions &options,
                          const std::string &sharedObject) const {
  flatbuffers::FlatBufferBuilder fbb(sharedObject.size() + (1 << 20));
  auto binary = fbb.CreateVector(
      reinterpret_cast<const uint8_t *>(sharedObject.data()),
      sharedObject.size());
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels{fb::CreateKernel(
      fbb, fbb.CreateString("host"), fb::BinaryKind_host_shared_object,
      binary)};

  std::vector<flatbuffers::Offset<fb::Weight>> weightTable;
  for (const WeightInfo &w : weights) {
    std::optional<lowering::PackedWeightLayout> packed =
        lowering::getPackedWeightLayout(w.type);
    std::vector<int64_t> shape(w.type.getShape().begin(),
                               w.type.getShape().end());
    int64_t experts = 1;
    if (StringRef(w.name).contains('*')) {
      experts = shape.front();
      shape.erase(shape.begin());
    }
    std::string dtype = safetensorsDType(w.type.getElementType());
    if (dtype.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "weight '%s' has no checkpoint dtype",
                                     w.name.c_str());
    fb::WeightLayout layout = fb::WeightLayout_plain;
    int64_t bytes = 0, blockRows = 0, blockCols = 0;
    if (packed) {
      layout = packed->format == QuantFormat::fp8_e4m3 ? fb::WeightLayout_packed_fp8
                                                       : fb::WeightLayout_packed_fp4;
      bytes = packed->totalBytes();
      blockRows = packed->blockRows;
      blockCols = packed->blockCols;
    } else {
      bytes = experts * (w.type.getElementTypeBitWidth() / 8);
      for (int64_t d : shape)
        bytes *= d;
    }
    // The arena layout (ds4-weight-arena) sized each weight from its memref
    // type; the runtime fills it with `bytes` from the checkpoint, so the two
    // must agree.
    int64_t offset = 0;
    if (!arena.empty()) {
      auto it = arena.find(w.name);
      if (it == arena.end())
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "weight '%s' is not in the weight arena",
                                       w.name.c_str());
      if (it->second.bytes != bytes)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "weight '%s' takes %lld bytes in the weight arena but %lld in the "
            "weight table",
            w.name.c_str(), (long long)it->second.bytes, (long long)bytes);
      offset = it->second.offset;
    }
    weightTable.push_back(fb::CreateWeight(
        fbb, fbb.CreateString(w.name), layout, fbb.CreateString(dtype),
        fbb.CreateVector(shape), experts, blockRows, blockCols, bytes,
        offset));
  }
  if (arena.size() > weights.size())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the weight arena holds %zu weights, the weight table %zu",
        size_t(arena.size()), weights.size());

  std::vector<flatbuffers::Offset<fb::State>> stateTable;
  for (const StateInfo &s : states) {
    auto type = cast<StateType>(s.type);
    auto kind = static_cast<fb::StateKind>(static_cast<int>(type.getKind()));
    int64_t rows = type.getRows();
    stateTable.push_back(fb::CreateState(
        fbb, fbb.CreateString(s.name), kind,
        ShapedType::isDynamic(rows) ? 0 : rows, type.getRatio(),
        type.getWidth(),
        fbb.CreateString(stringifyStateStorage(type.getStorage()).str())));
  }

  std::vector<flatbuffers::Offset<fb::Entry>> entryTable;
  for (const EntryInfo &e : entries) {
    std::vector<flatbuffers::Offset<fb::Arg>> args;
    for (const ArgInfo &a : e.args)
      args.push_back(fb::CreateArg(fbb, static_cast<fb::ArgKind>(a.kind),
                                   a.index, a.rank));
    auto command = fb::CreateCommand(
        fbb, fb::CommandOp_call_host, 0,
        fbb.CreateString("ds4_entry_" + e.name), fbb.CreateVector(args));
    entryTable.push_back(fb::CreateEntry(
        fbb, fbb.CreateString(e.name), e.batch, e.tokens,
        fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Command>>{command})));
  }

  auto model = fb::CreateModel(
      fbb, ::ds4::artifact::kFormatVersion, fbb.CreateString(DS4_COMPILER_VERSION),
      options.target == "cpu" ? fb::Target_cpu : fb::Target_sm_90a,
      fbb.CreateString(options.precision), fbb.CreateString(options.configJson),
      fbb.CreateString(fnv1a64(options.configJson)), options.vocabSize,
      options.maxSeqLen, options.maxBatch, fbb.CreateVector(kernels),
      fbb.CreateVector(weightTable), fbb.CreateVector(stateTable),
      fbb.CreateVector(entryTable), arena.empty() ? 0 : arenaBytes);
  fbb.Finish(model, fb::ModelIdentifier());
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()),
                     fbb.GetSize());
}
