// The buffers an entry call passes to its call_host commands, and the argument list of one
// command built from them (artifact.fbs: args[i] = address of the memref descriptor of the
// command's i-th Arg). Shared by the cpu and cuda devices: only where the descriptors point
// differs.
#ifndef DS4_RUNTIME_SESSION_ENTRYARGS_H
#define DS4_RUNTIME_SESSION_ENTRYARGS_H

#include "runtime/artifact/Artifact.h"
#include "runtime/session/HostKernel.h"
#include "runtime/session/MemRef.h"

#include <vector>

namespace ds4 {
namespace session {

/// A call_host command with its function looked up.
struct BoundCommand {
  HostFunction function = nullptr;
  const artifact::Command *command = nullptr;
};

struct EntryBuffers {
  // Per call.
  MemRef tokens, positions, slots, logits;
  // Per session.
  MemRef weightArena;
  std::vector<MemRef> states, weights;
};

/// Replaces `out` by the descriptor addresses of `command`'s args (the verifier checked every
/// index).
void commandArgs(const artifact::Command &command, EntryBuffers &buffers,
                 std::vector<void *> &out);

} // namespace session
} // namespace ds4

#endif // DS4_RUNTIME_SESSION_ENTRYARGS_H
