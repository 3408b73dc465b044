//===- Builder.cpp - DeepSeek-V4 config -> ds4 IR --------------------------===//

#include "models/Builder.h"

#include "dialects/ds4/IR/Ds4Ops.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds4;
using ::ds4::AttentionKind;
using ::ds4::BuildOptions;
using ::ds4::ModelConfig;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// The state values of one layer, in argument order.
struct LayerState {
  Value window, entries, block, keys, keysBlock;
};

/// Emits one entry point (@prefill or @decode). `batch` / `tokens` are the
/// static sizes of the token tensor (kDyn where they vary).
class ModelEmitter {
public:
  ModelEmitter(MLIRContext *ctx, const ModelConfig &config,
               const BuildOptions &options)
      : ctx(ctx), c(config), deploy(options.precision == PrecisionMode::deploy),
        f32(Float32Type::get(ctx)), bf16(BFloat16Type::get(ctx)) {}

  void emitEntry(ModuleOp module, StringRef name, int64_t batch,
                 int64_t tokens);

private:
  MLIRContext *ctx;
  const ModelConfig &c;
  bool deploy;
  Type f32, bf16;

  // Set per entry point.
  ImplicitLocOpBuilder *b = nullptr;
  Value tokenIds, positions, slots;
  Value batchSize, tokenCount; // index values for reshapes
  int64_t B = kDyn, S = kDyn;

  //===--- types -----------------------------------------------------------===//

  RankedTensorType act(ArrayRef<int64_t> tail, Type element = {}) {
    SmallVector<int64_t> shape{B, S};
    shape.append(tail.begin(), tail.end());
    return RankedTensorType::get(shape, element ? element : f32);
  }
  RankedTensorType fp8Weight(int64_t rows, int64_t cols) {
    return RankedTensorType::get(
        {rows, cols}, Float8E4M3FNType::get(ctx),
        QuantEncodingAttr::get(ctx, QuantFormat::fp8_e4m3, 128, 128));
  }
  RankedTensorType fp4Experts(int64_t rows, int64_t cols) {
    return RankedTensorType::get(
        {c.nRoutedExperts, rows, cols}, Float4E2M1FNType::get(ctx),
        QuantEncodingAttr::get(ctx, QuantFormat::fp4_e2m1, 1, 32));
  }
  RankedTensorType plain(ArrayRef<int64_t> shape, Type element) {
    return RankedTensorType::get(shape, element);
  }
  StateStorage kvStorage() const {
    return deploy ? StateStorage::fp8_nope : StateStorage::f32;
  }
  int64_t kvRope() const { return deploy ? c.ropeHeadDim : 0; }

public:
  StateType windowType() const {
    return StateType::get(ctx, StateKind::window, {kDyn, c.windowSize, c.headDim},
                          kvStorage(), 0, kvRope());
  }
  StateType entriesType(int64_t ratio) const {
    return StateType::get(ctx, StateKind::compressed, {kDyn, kDyn, c.headDim},
                          kvStorage(), ratio, kvRope());
  }
  static StateType blockType(MLIRContext *ctx, int64_t ratio, int64_t hd) {
    bool overlap = ratio == 4;
    int64_t cc = overlap ? 2 : 1;
    return StateType::get(ctx, StateKind::compressor,
                          {kDyn, (overlap ? 2 : 1) * ratio, 2 * cc * hd},
                          StateStorage::f32, ratio, 0);
  }
  StateType keysType() const {
    return StateType::get(ctx, StateKind::indexer_keys,
                          {kDyn, kDyn, c.indexHeadDim},
                          deploy ? StateStorage::fp4 : StateStorage::f32, 4, 0);
  }

  /// (type, name) of every state argument of layer `layer`.
  SmallVector<std::pair<Type, std::string>> stateArgs(int64_t layer) const {
    std::string p = "layers." + std::to_string(layer) + ".";
    SmallVector<std::pair<Type, std::string>> out;
    out.push_back({windowType(), p + "window"});
    int64_t r = c.ratio(layer);
    if (r > 0) {
      out.push_back({entriesType(r), p + "compressed"});
      out.push_back({blockType(ctx, r, c.headDim), p + "compressor"});
    }
    if (c.kind(layer) == AttentionKind::Csa) {
      out.push_back({keysType(), p + "indexer_keys"});
      out.push_back({blockType(ctx, 4, c.indexHeadDim), p + "indexer_compressor"});
    }
    return out;
  }

private:
  //===--- op helpers ------------------------------------------------------===//

  Value weight(const std::string &name, Type type) {
    return WeightOp::create(*b, type, name);
  }
  FloatAttr f64(double v) { return b->getF64FloatAttr(v); }

  Value rmsNorm(Value x, Value w) {
    return RmsNormOp::create(*b, x.getType(), x, w, f64(c.normEps));
  }
  ActQuantAttr actQuant(Value w) {
    if (!deploy || !cast<RankedTensorType>(w.getType()).getEncoding())
      return {};
    return ActQuantAttr::get(ctx, QuantFormat::fp8_e4m3, 128);
  }
  Value linear(Value x, Value w) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    int64_t out = cast<RankedTensorType>(w.getType()).getShape()[0];
    SmallVector<int64_t> result(shape.drop_back());
    result.push_back(out);
    return LinearOp::create(*b, RankedTensorType::get(result, f32), x, w,
                            actQuant(w));
  }
  /// [B, S, a*b] -> [B, S, a, b]
  Value splitLast(Value x, int64_t a, int64_t bDim) {
    SmallVector<OpFoldResult> shape{dimOf(B, batchSize), dimOf(S, tokenCount),
                                    b->getIndexAttr(a), b->getIndexAttr(bDim)};
    return tensor::ExpandShapeOp::create(*b, act({a, bDim}), x,
                                         {{0}, {1}, {2, 3}}, shape);
  }
  /// [B, S, a, b] -> [B, S, a*b]
  Value mergeLast(Value x) {
    auto shape = cast<RankedTensorType>(x.getType()).getShape();
    return tensor::CollapseShapeOp::create(
        *b, act({shape[2] * shape[3]}), x,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  }
  OpFoldResult dimOf(int64_t staticSize, Value dynamicSize) {
    if (ShapedType::isDynamic(staticSize))
      return dynamicSize;
    return b->getIndexAttr(staticSize);
  }

  RopeAttr rope(int64_t layer, bool inverse = false) const {
    if (c.ratio(layer) == 0)
      return RopeAttr::get(ctx, APFloat(c.ropeTheta), c.ropeHeadDim, YarnAttr(),
                           inverse);
    YarnAttr yarn = YarnAttr::get(ctx, APFloat(c.ropeFactor), c.originalSeqLen,
                                  APFloat(c.betaFast), APFloat(c.betaSlow));
    return RopeAttr::get(ctx, APFloat(c.compressRopeTheta), c.ropeHeadDim,
                         yarn, inverse);
  }
  Value applyRope(Value x, RopeAttr attr) {
    return RopeOp::create(*b, x.getType(), x, positions, attr);
  }

  /// mHC pre around a sub-layer: returns (normed input, post, comb).
  std::tuple<Value, Value, Value> hcPre(Value streams, const std::string &site,
                                        const std::string &normName) {
    int64_t n = c.hcMult, rows = (2 + n) * n;
    Value fn = weight(site + "_fn", plain({rows, n * c.dim}, f32));
    Value base = weight(site + "_base", plain({rows}, f32));
    Value scale = weight(site + "_scale", plain({3}, f32));
    auto pre = HcPreOp::create(
        *b, TypeRange{act({c.dim}), act({n}), act({n, n})}, streams, fn, base,
        scale, b->getI64IntegerAttr(c.hcSinkhornIters), f64(c.hcEps),
        f64(c.normEps));
    Value norm = weight(normName, plain({c.dim}, bf16));
    return {rmsNorm(pre.getXIn(), norm), pre.getPost(), pre.getComb()};
  }

  Value attention(int64_t layer, Value x, LayerState &state);
  Value ffn(int64_t layer, Value x);
  Value compressor(const std::string &prefix, Value x, int64_t ratio,
                   int64_t hd, Value &block, Value &entries, bool rotate,
                   RopeAttr ropeAttr);
};

Value ModelEmitter::compressor(const std::string &prefix, Value x,
                               int64_t ratio, int64_t hd, Value &block,
                               Value &entries, bool rotate, RopeAttr ropeAttr) {
  bool overlap = ratio == 4;
  int64_t width = (overlap ? 2 : 1) * hd;
  Value wkv = weight(prefix + "wkv.weight", plain({width, c.dim}, bf16));
  Value wgate = weight(prefix + "wgate.weight", plain({width, c.dim}, bf16));
  Value ape = weight(prefix + "ape", plain({ratio, width}, f32));
  Value norm = weight(prefix + "norm.weight", plain({hd}, bf16));
  Value kv = linear(x, wkv), gate = linear(x, wgate);
  auto op = CompressorOp::create(
      *b, entries.getType(), block.getType(), kv, gate, ape, norm, positions,
      slots, block, entries, b->getI64IntegerAttr(ratio),
      overlap ? b->getUnitAttr() : UnitAttr(),
      rotate ? b->getUnitAttr() : UnitAttr(), ropeAttr, f64(c.normEps));
  entries = op.getEntriesResult();
  block = op.getBlockResult();
  return entries;
}

Value ModelEmitter::attention(int64_t layer, Value x, LayerState &state) {
  std::string p = "layers." + std::to_string(layer) + ".attn.";
  int64_t H = c.nHeads, D = c.headDim, r = c.ropeHeadDim;
  RopeAttr ropeAttr = rope(layer);

  // Queries (spec 3.2): low rank, norm, per-head unweighted norm, rope.
  Value qa = linear(x, weight(p + "wq_a.weight", fp8Weight(c.qLoraRank, c.dim)));
  Value qr = rmsNorm(qa, weight(p + "q_norm.weight", plain({c.qLoraRank}, bf16)));
  Value qFlat = linear(qr, weight(p + "wq_b.weight", fp8Weight(H * D, c.qLoraRank)));
  Value q = RmsNormOp::create(*b, act({H, D}), splitLast(qFlat, H, D), Value(),
                              f64(c.normEps));
  q = applyRope(q, ropeAttr);

  // The single key/value head.
  Value kv = linear(x, weight(p + "wkv.weight", fp8Weight(D, c.dim)));
  kv = rmsNorm(kv, weight(p + "kv_norm.weight", plain({D}, bf16)));
  kv = applyRope(kv, ropeAttr);
  if (deploy) // the nope dims are stored as e4m3 in blocks of 64 (spec 4)
    kv = QuantizeOp::create(*b, TypeRange{kv.getType()}, kv,
                            QuantizeMode::simulate, QuantFormat::fp8_e4m3,
                            uint64_t(64), b->getI64IntegerAttr(D - r),
                            /*rest_bf16=*/true)
             .getResult();

  int64_t ratio = c.ratio(layer);
  Value selected;
  if (ratio > 0)
    compressor(p + "compressor.", x, ratio, D, state.block, state.entries,
               /*rotate=*/false, ropeAttr);
  if (c.kind(layer) == AttentionKind::Csa) {
    // Lightning indexer (spec 3.4).
    int64_t IH = c.indexNHeads, ID = c.indexHeadDim;
    Value qiFlat = linear(
        qr, weight(p + "indexer.wq_b.weight", fp8Weight(IH * ID, c.qLoraRank)));
    Value qi = applyRope(splitLast(qiFlat, IH, ID), ropeAttr);
    if (deploy) {
      qi = HadamardOp::create(*b, qi);
      qi = QuantizeOp::create(*b, TypeRange{qi.getType()}, qi,
                              QuantizeMode::simulate, QuantFormat::fp4_e2m1,
                              uint64_t(32), IntegerAttr(), /*rest_bf16=*/false)
               .getResult();
    }
    Value w = linear(
        x, weight(p + "indexer.weights_proj.weight", plain({IH, c.dim}, bf16)));
    compressor(p + "indexer.compressor.", x, 4, ID, state.keysBlock, state.keys,
               /*rotate=*/deploy, ropeAttr);
    double scale = 1.0 / std::sqrt(double(ID)) / std::sqrt(double(IH));
    Value scores = IndexerScoreOp::create(*b, act({kDyn}), qi, w, state.keys,
                                          positions, slots, f64(scale));
    selected = TopKOp::create(*b, act({c.indexTopk}, b->getI32Type()), scores,
                              positions, b->getI64IntegerAttr(c.indexTopk),
                              b->getI64IntegerAttr(4));
  }

  Value sink = weight(p + "attn_sink", plain({H}, f32));
  Value o = SparseAttentionOp::create(
      *b, act({H, D}), q, kv, state.window,
      ratio > 0 ? state.entries : Value(), selected, sink, positions, slots,
      f64(1.0 / std::sqrt(double(D))));
  state.window = WindowUpdateOp::create(*b, state.window.getType(), kv,
                                        positions, slots, state.window);
  o = applyRope(o, rope(layer, /*inverse=*/true));

  // Grouped output projection: G groups of H/G heads -> o_lora each -> d.
  int64_t G = c.oGroups, groupWidth = H * D / G;
  Value grouped = splitLast(mergeLast(o), G, groupWidth);
  Value woa = weight(p + "wo_a.weight", fp8Weight(G * c.oLoraRank, groupWidth));
  Value oLora = GroupedLinearOp::create(*b, act({G, c.oLoraRank}), grouped, woa,
                                        deploy ? TypeAttr::get(bf16) : TypeAttr());
  return linear(mergeLast(oLora),
                weight(p + "wo_b.weight", fp8Weight(c.dim, G * c.oLoraRank)));
}

Value ModelEmitter::ffn(int64_t layer, Value h) {
  std::string p = "layers." + std::to_string(layer) + ".ffn.";
  int64_t E = c.nRoutedExperts, K = c.nActivatedExperts;
  Value gate = weight(p + "gate.weight", plain({E, c.dim}, bf16));
  Value bias, table, ids;
  if (c.isHashLayer(layer)) {
    table = weight(p + "gate.tid2eid", plain({c.vocabSize, K}, b->getI32Type()));
    ids = tokenIds;
  } else {
    bias = weight(p + "gate.bias", plain({E}, f32));
  }
  ScoreFunc score = *symbolizeScoreFunc(c.scoreFunc);
  auto route = MoeGateOp::create(
      *b, act({K}), act({K}, b->getI32Type()), h, gate, bias, table, ids,
      ScoreFuncAttr::get(ctx, score), b->getI64IntegerAttr(K), f64(c.routeScale));
  std::string e = p + "experts.*.";
  Value w1 = weight(e + "w1.weight", fp4Experts(c.moeInterDim, c.dim));
  Value w2 = weight(e + "w2.weight", fp4Experts(c.dim, c.moeInterDim));
  Value w3 = weight(e + "w3.weight", fp4Experts(c.moeInterDim, c.dim));
  Value out = MoeExpertsOp::create(
      *b, act({c.dim}), h, route.getWeights(), route.getIds(), w1, w2, w3,
      f64(c.swigluLimit),
      deploy ? ActQuantAttr::get(ctx, QuantFormat::fp8_e4m3, 128) : ActQuantAttr());
  if (c.nSharedExperts == 1) {
    std::string s = p + "shared_experts.";
    Value g = linear(h, weight(s + "w1.weight", fp8Weight(c.moeInterDim, c.dim)));
    Value u = linear(h, weight(s + "w3.weight", fp8Weight(c.moeInterDim, c.dim)));
    Value act = SwiGluOp::create(*b, g.getType(), g, u, f64(c.swigluLimit));
    Value shared =
        linear(act, weight(s + "w2.weight", fp8Weight(c.dim, c.moeInterDim)));
    out = arith::AddFOp::create(*b, out, shared);
  }
  return out;
}

void ModelEmitter::emitEntry(ModuleOp module, StringRef name, int64_t batch,
                             int64_t tokens) {
  B = batch;
  S = tokens;
  OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
  Location loc = NameLoc::get(StringAttr::get(ctx, name));

  SmallVector<Type> inputs{act({}, IntegerType::get(ctx, 32)),
                           act({}, IntegerType::get(ctx, 64)),
                           RankedTensorType::get({B}, IntegerType::get(ctx, 32))};
  SmallVector<std::string> stateNames;
  SmallVector<Type> stateTypes;
  for (int64_t layer = 0; layer < c.nLayers; ++layer)
    for (auto &[type, stateName] : stateArgs(layer)) {
      stateTypes.push_back(type);
      stateNames.push_back(stateName);
    }
  inputs.append(stateTypes);
  SmallVector<Type> results{act({c.vocabSize})};
  results.append(stateTypes);

  auto func = func::FuncOp::create(top, loc, name,
                                   FunctionType::get(ctx, inputs, results));
  func.setArgAttr(0, "ds4.input", StringAttr::get(ctx, "tokens"));
  func.setArgAttr(1, "ds4.input", StringAttr::get(ctx, "positions"));
  func.setArgAttr(2, "ds4.input", StringAttr::get(ctx, "slots"));
  for (size_t i = 0; i < stateNames.size(); ++i) {
    func.setArgAttr(3 + i, "ds4.state", StringAttr::get(ctx, stateNames[i]));
    func.setResultAttr(1 + i, "ds4.state", StringAttr::get(ctx, stateNames[i]));
  }
  Block *body = func.addEntryBlock();
  ImplicitLocOpBuilder builder(loc, ctx);
  builder.setInsertionPointToStart(body);
  b = &builder;
  tokenIds = body->getArgument(0);
  positions = body->getArgument(1);
  slots = body->getArgument(2);
  batchSize = tensor::DimOp::create(*b, tokenIds, 0);
  tokenCount = tensor::DimOp::create(*b, tokenIds, 1);

  // Embedding, then n identical residual streams (spec 3).
  Value embed = weight("embed.weight", plain({c.vocabSize, c.dim}, bf16));
  Value h0 = EmbeddingOp::create(*b, act({c.dim}, bf16), embed, tokenIds);
  Value streams = HcExpandOp::create(*b, act({c.hcMult, c.dim}), h0);

  SmallVector<Value> newStates;
  unsigned arg = 3;
  for (int64_t layer = 0; layer < c.nLayers; ++layer) {
    b->setLoc(NameLoc::get(
        StringAttr::get(ctx, "layers." + std::to_string(layer)), loc));
    LayerState state;
    state.window = body->getArgument(arg++);
    if (c.ratio(layer) > 0) {
      state.entries = body->getArgument(arg++);
      state.block = body->getArgument(arg++);
    }
    if (c.kind(layer) == AttentionKind::Csa) {
      state.keys = body->getArgument(arg++);
      state.keysBlock = body->getArgument(arg++);
    }
    std::string p = "layers." + std::to_string(layer) + ".";
    auto [xAttn, postAttn, combAttn] =
        hcPre(streams, p + "hc_attn", p + "attn_norm.weight");
    Value attnOut = attention(layer, xAttn, state);
    streams = HcPostOp::create(*b, streams.getType(), attnOut, streams,
                               postAttn, combAttn);
    auto [xFfn, postFfn, combFfn] =
        hcPre(streams, p + "hc_ffn", p + "ffn_norm.weight");
    Value ffnOut = ffn(layer, xFfn);
    streams = HcPostOp::create(*b, streams.getType(), ffnOut, streams, postFfn,
                               combFfn);
    for (Value v : {state.window, state.entries, state.block, state.keys,
                    state.keysBlock})
      if (v)
        newStates.push_back(v);
  }

  b->setLoc(NameLoc::get(StringAttr::get(ctx, "head"), loc));
  int64_t n = c.hcMult;
  Value fn = weight("hc_head_fn", plain({n, n * c.dim}, f32));
  Value base = weight("hc_head_base", plain({n}, f32));
  Value scale = weight("hc_head_scale", plain({1}, f32));
  Value y = HcHeadOp::create(*b, act({c.dim}), streams, fn, base, scale,
                             f64(c.hcEps), f64(c.normEps));
  y = rmsNorm(y, weight("norm.weight", plain({c.dim}, bf16)));
  Value head = weight("head.weight", plain({c.vocabSize, c.dim}, bf16));
  Value logits = LogitsOp::create(*b, act({c.vocabSize}), y, head);

  SmallVector<Value> returned{logits};
  returned.append(newStates);
  func::ReturnOp::create(*b, returned);
  b = nullptr;
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
(::ds4::buildModel)(MLIRContext &context, const ModelConfig &config,
                const BuildOptions &options) {
  context.loadDialect<Ds4Dialect, func::FuncDialect, tensor::TensorDialect,
                      arith::ArithDialect>();
  if (options.precision == PrecisionMode::deploy) {
    std::vector<std::string> problems = config.deployProblems();
    if (!problems.empty()) {
      std::string message = "deploy precision cannot express this config:";
      for (const std::string &p : problems)
        message += "\n  " + p;
      return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
    }
  }
  if (options.mtp)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "--mtp: the multi-token-prediction block is not implemented yet");

  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr(Ds4Dialect::getPrecisionAttrName(),
                     PrecisionModeAttr::get(&context, options.precision));
  ModelEmitter emitter(&context, config, options);
  emitter.emitEntry(*module, "prefill", /*batch=*/1, /*tokens=*/kDyn);
  emitter.emitEntry(*module, "decode", /*batch=*/kDyn, /*tokens=*/1);

  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      os << diag.getLocation() << ": " << diag << "\n";
      return success();
    });
    if (failed(verify(*module)))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: the built model does not "
                                     "verify:\n%s",
                                     diagnostics.c_str());
  }
  return std::move(module);
}
