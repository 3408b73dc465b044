#include "runtime/session/EntryArgs.h"

namespace ds4 {
namespace session {

void commandArgs(const artifact::Command &command, EntryBuffers &buffers,
                 std::vector<void *> &out) {
  out.clear();
  if (!command.args())
    return;
  for (const artifact::Arg *arg : *command.args()) {
    switch (arg->kind()) {
    case artifact::ArgKind_tokens:
      out.push_back(buffers.tokens.address());
      break;
    case artifact::ArgKind_positions:
      out.push_back(buffers.positions.address());
      break;
    case artifact::ArgKind_slots:
      out.push_back(buffers.slots.address());
      break;
    case artifact::ArgKind_state:
      out.push_back(buffers.states[arg->index()].address());
      break;
    case artifact::ArgKind_weight:
      out.push_back(buffers.weights[arg->index()].address());
      break;
    case artifact::ArgKind_weights_arena:
      out.push_back(buffers.weightArena.address());
      break;
    case artifact::ArgKind_logits:
      out.push_back(buffers.logits.address());
      break;
    }
  }
}

} // namespace session
} // namespace ds4
