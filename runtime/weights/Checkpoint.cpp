#include "runtime/weights/Checkpoint.h"

#include "runtime/support/Json.h"
#include "runtime/weights/Diagnostics.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace ds4 {
namespace weights {

const char *weightProblemKindName(WeightProblem::Kind kind) {
  switch (kind) {
  case WeightProblem::Kind::Missing:
    return "missing";
  case WeightProblem::Kind::Extra:
    return "extra";
  case WeightProblem::Kind::WrongDType:
    return "wrong dtype";
  case WeightProblem::Kind::WrongShape:
    return "wrong shape";
  case WeightProblem::Kind::DuplicateExpected:
    return "listed twice in the weight table";
  }
  return "?";
}

namespace detail {
struct CheckpointImpl {
  std::string path;
  std::string indexPath;
  std::vector<SafeTensorsFile> shards;
  // Name (a view into the TensorView's own name) -> tensor and index of its shard.
  std::map<std::string_view, std::pair<const TensorView *, size_t>, std::less<>> byName;
};
} // namespace detail
using Impl = detail::CheckpointImpl;

namespace {

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  if (dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

std::string dirName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// A shard name must stay inside the checkpoint directory.
bool isSafeShardName(const std::string &name) {
  if (name.empty() || name[0] == '/')
    return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos)
      slash = name.size();
    std::string_view part(name.data() + start, slash - start);
    if (part == ".." || (part.empty() && slash == name.size()))
      return false; // "..", or a trailing '/'
    start = slash + 1;
  }
  return true;
}

Status readWholeFile(const std::string &path, std::string &out) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Status::error(path + ": cannot open: " + std::strerror(errno));
  out.clear();
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    out.append(buffer, n);
    if (out.size() > kMaxHeaderBytes) {
      std::fclose(f);
      return Status::error(path + ": larger than " + std::to_string(kMaxHeaderBytes) +
                           " bytes; not an index");
    }
  }
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed)
    return Status::error(path + ": read failed");
  return Status();
}

void indexTensors(Impl &impl) {
  for (size_t s = 0; s < impl.shards.size(); ++s)
    for (const TensorView &t : impl.shards[s].tensors())
      impl.byName.emplace(t.name, std::make_pair(&t, s));
}

Status openSingle(Impl &impl, const std::string &file, const SafeTensorsOptions &options) {
  Expected<SafeTensorsFile> f = SafeTensorsFile::open(file, options);
  if (!f)
    return f.status();
  impl.shards.push_back(std::move(f).value());
  indexTensors(impl);
  return Status();
}

Status openIndexed(Impl &impl, const std::string &dir, const std::string &indexPath,
                   const SafeTensorsOptions &options) {
  impl.indexPath = indexPath;
  const std::string indexName = baseName(indexPath);
  std::vector<std::string> errors;
  auto indexError = [&](const std::string &what) { errors.push_back(indexPath + ": " + what); };

  std::string text;
  Status read = readWholeFile(indexPath, text);
  if (!read.ok())
    return read;
  json::ParseOptions parseOptions;
  parseOptions.duplicateKeys = json::DuplicateKeys::Keep; // reported below, by tensor name
  Expected<json::Value> parsed = json::parse(text, parseOptions);
  if (!parsed) {
    indexError("not valid JSON: " + parsed.status().message());
    return Status::errors(std::move(errors));
  }
  const json::Value &root = *parsed;
  if (!root.isObject()) {
    indexError(std::string("must be a JSON object, found ") + root.kindName());
    return Status::errors(std::move(errors));
  }
  const json::Value *weightMap = nullptr;
  bool haveMetadata = false;
  for (const json::Member &m : root.asObject()) {
    if (m.key == "weight_map") {
      if (weightMap)
        indexError("'weight_map' appears twice");
      else
        weightMap = &m.value;
    } else if (m.key == "metadata") {
      if (haveMetadata)
        indexError("'metadata' appears twice");
      haveMetadata = true;
      if (!m.value.isObject())
        indexError(std::string("'metadata' must be an object, found ") + m.value.kindName());
    }
    // Other top-level keys are ignored.
  }
  if (!weightMap) {
    indexError("has no 'weight_map'");
    return Status::errors(std::move(errors));
  }
  if (!weightMap->isObject()) {
    indexError(std::string("'weight_map' must be an object {tensor: shard file}, found ") +
               weightMap->kindName());
    return Status::errors(std::move(errors));
  }

  std::map<std::string, std::string, std::less<>> shardOf;              // tensor -> shard name
  std::map<std::string, std::vector<std::string>, std::less<>> byShard; // shard -> tensors
  for (const json::Member &m : weightMap->asObject()) {
    const std::string &tensor = m.key;
    auto tensorError = [&](const std::string &what) {
      indexError("tensor " + displayName(tensor) + ": " + what);
    };
    if (!m.value.isString()) {
      tensorError(std::string("weight_map value must be a shard file name (string), found ") +
                  m.value.kindName());
      continue;
    }
    const std::string &shard = m.value.asString();
    auto prior = shardOf.find(tensor);
    if (prior != shardOf.end()) {
      tensorError("listed twice in weight_map (shards " + displayName(prior->second) + " and " +
                  displayName(shard) + ")");
      continue;
    }
    if (!isSafeShardName(shard)) {
      tensorError("shard file name " + displayName(shard) +
                  " must be a relative path inside the checkpoint directory");
      continue;
    }
    shardOf.emplace(tensor, shard);
    byShard[shard].push_back(tensor);
  }

  // Open every shard, sorted by name.
  std::vector<std::string> shardNames;
  for (const auto &kv : byShard) {
    const std::string full = joinPath(dir, kv.first);
    const std::vector<std::string> &listed = kv.second;
    if (!exists(full)) {
      errors.push_back(full + ": shard does not exist (" + indexName + " maps " +
                       std::to_string(listed.size()) + " tensor" + (listed.size() == 1 ? "" : "s") +
                       " to it, e.g. " + displayName(listed.front()) + ")");
      continue;
    }
    Expected<SafeTensorsFile> f = SafeTensorsFile::open(full, options);
    if (!f) {
      for (const std::string &msg : f.status().messages())
        errors.push_back(msg);
      continue;
    }
    impl.shards.push_back(std::move(f).value());
    shardNames.push_back(kv.first);
  }

  // Cross-check the index and the shards.
  std::map<std::string_view, size_t, std::less<>> owner; // tensor -> first shard holding it
  for (size_t s = 0; s < impl.shards.size(); ++s) {
    const SafeTensorsFile &shard = impl.shards[s];
    auto shardError = [&](const std::string &tensor, const std::string &what) {
      errors.push_back(shard.path() + ": tensor " + displayName(tensor) + ": " + what);
    };
    for (const std::string &tensor : byShard[shardNames[s]])
      if (!shard.find(tensor))
        shardError(tensor, "listed in " + indexName + " for this shard but not in it");
    for (const TensorView &t : shard.tensors()) {
      auto first = owner.emplace(t.name, s);
      if (!first.second) {
        shardError(t.name, "also present in " + impl.shards[first.first->second].path() +
                               " (a tensor must live in exactly one shard)");
        continue;
      }
      auto mapped = shardOf.find(t.name);
      if (mapped == shardOf.end())
        shardError(t.name, "present in this shard but not listed in " + indexName);
      else if (mapped->second != shardNames[s])
        shardError(t.name, "present in this shard but " + indexName + " maps it to " +
                               displayName(mapped->second));
    }
  }
  if (!errors.empty())
    return Status::errors(std::move(errors));
  indexTensors(impl);
  return Status();
}

} // namespace

Checkpoint::Checkpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Checkpoint::Checkpoint(Checkpoint &&) noexcept = default;
Checkpoint &Checkpoint::operator=(Checkpoint &&) noexcept = default;
Checkpoint::~Checkpoint() = default;

Expected<Checkpoint> Checkpoint::open(const std::string &path, const SafeTensorsOptions &options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::error(path + ": cannot open checkpoint: " + std::strerror(errno));
  Status s;
  if (S_ISDIR(st.st_mode)) {
    std::string index = joinPath(path, kIndexFileName);
    std::string single = joinPath(path, kSingleFileName);
    if (exists(index))
      s = openIndexed(*impl, path, index, options);
    else if (exists(single))
      s = openSingle(*impl, single, options);
    else
      s = Status::error(path + ": checkpoint directory has neither " + std::string(kIndexFileName) +
                        " nor " + kSingleFileName);
  } else {
    const std::string suffix = ".json";
    bool isJson = path.size() >= suffix.size() &&
                  path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (isJson)
      s = openIndexed(*impl, dirName(path), path, options);
    else
      s = openSingle(*impl, path, options);
  }
  if (!s.ok())
    return s;
  return Checkpoint(std::move(impl));
}

const std::string &Checkpoint::path() const { return impl_->path; }
const std::string &Checkpoint::indexPath() const { return impl_->indexPath; }
const std::vector<SafeTensorsFile> &Checkpoint::shards() const { return impl_->shards; }
size_t Checkpoint::size() const { return impl_->byName.size(); }

const TensorView *Checkpoint::find(std::string_view name) const {
  auto it = impl_->byName.find(name);
  return it == impl_->byName.end() ? nullptr : it->second.first;
}

const SafeTensorsFile *Checkpoint::shardOf(std::string_view name) const {
  auto it = impl_->byName.find(name);
  return it == impl_->byName.end() ? nullptr : &impl_->shards[it->second.second];
}

std::vector<const TensorView *> Checkpoint::tensors() const {
  std::vector<const TensorView *> out;
  out.reserve(impl_->byName.size());
  for (const auto &kv : impl_->byName)
    out.push_back(kv.second.first);
  return out;
}

std::vector<WeightProblem> Checkpoint::check(const std::vector<ExpectedTensor> &expected) const {
  std::vector<WeightProblem> problems;
  auto add = [&](WeightProblem::Kind kind, const std::string &tensor, const std::string &where,
                 const std::string &what) {
    problems.push_back({kind, tensor, where + ": tensor " + displayName(tensor) + ": " + what});
  };
  std::map<std::string_view, size_t, std::less<>> listed; // name -> first table index
  for (size_t i = 0; i < expected.size(); ++i) {
    const ExpectedTensor &e = expected[i];
    auto first = listed.emplace(e.name, i);
    if (!first.second) {
      add(WeightProblem::Kind::DuplicateExpected, e.name, "expected weight table",
          "listed twice (entries " + std::to_string(first.first->second) + " and " +
              std::to_string(i) + ")");
      continue;
    }
    const TensorView *t = find(e.name);
    if (!t) {
      add(WeightProblem::Kind::Missing, e.name, impl_->path,
          "missing from the checkpoint (expected " + formatTensorType(e.dtype, e.shape) + ")");
      continue;
    }
    const std::string &where = shardOf(e.name)->path();
    if (t->dtype != e.dtype)
      add(WeightProblem::Kind::WrongDType, e.name, where,
          "dtype " + std::string(dtypeName(t->dtype)) + ", expected " +
              std::string(dtypeName(e.dtype)) + " (checkpoint has " +
              formatTensorType(t->dtype, t->shape) + ", expected " +
              formatTensorType(e.dtype, e.shape) + ")");
    if (t->shape != e.shape)
      add(WeightProblem::Kind::WrongShape, e.name, where,
          "shape " + formatShape(t->shape) + ", expected " + formatShape(e.shape) +
              " (checkpoint has " + formatTensorType(t->dtype, t->shape) + ", expected " +
              formatTensorType(e.dtype, e.shape) + ")");
  }
  for (const auto &kv : impl_->byName) {
    if (listed.count(kv.first))
      continue;
    const TensorView *t = kv.second.first;
    add(WeightProblem::Kind::Extra, t->name, impl_->shards[kv.second.second].path(),
        "not in the model's weight table (" + formatTensorType(t->dtype, t->shape) + ")");
  }
  return problems;
}

Status Checkpoint::validate(const std::vector<ExpectedTensor> &expected,
                            const ValidateOptions &options) const {
  Status s;
  for (const WeightProblem &p : check(expected))
    if (p.kind != WeightProblem::Kind::Extra || options.extraTensorsAreErrors)
      s.append(p.message);
  return s;
}

} // namespace weights
} // namespace ds4
