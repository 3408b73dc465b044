// The parts a step is split into when ds4 and transformers are compared kernel by kernel. Both
// sides can name them: ds4 by op (its kernels are named after the ds4 op they lower), transformers
// by module class (tools/ds4-bench-torch opens a profiler range per module). An op-by-op match is
// not possible (transformers' attention module also applies rope and updates the window; its
// indexer module also pools its own keys), so the parts are the finest grouping both sides share.
// The cost model (CostModel.h) splits a step's bytes and FLOPs the same way, by weight name and
// state kind, so every part gets its own roofline.
#ifndef DS4_TOOLS_DS4_BENCH_COMPONENTS_H
#define DS4_TOOLS_DS4_BENCH_COMPONENTS_H

#include <string>
#include <vector>

namespace ds4 {
namespace bench {

/// Every part, in the order tables list them, with the ds4 ops it holds.
struct Component {
  const char *name;
  const char *ops; // for the table's header: which ds4 ops count here
};
const std::vector<Component> &components();

/// The part of a ds4 op ("linear", "sparse_attention", ...); "other" for the rest (the entries'
/// own element-wise loops, e.g. the residual adds).
std::string componentOfOp(const std::string &op);

/// The part that reads a weight of the released checkpoint (e.g. "layers.0.attn.wq_a.weight").
std::string componentOfWeight(const std::string &name);

} // namespace bench
} // namespace ds4

#endif // DS4_TOOLS_DS4_BENCH_COMPONENTS_H
