//===- DotEmitter.h - The network as a Graphviz graph --------------------===//
//
// `dreamc --emit=dot`: the checked program drawn for `dot -Tsvg`
// (docs/visualize.md).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_GRAPH_DOTEMITTER_H
#define DREAM_GRAPH_DOTEMITTER_H

#include "dream/Sema/Sema.h"

namespace dream {

/// Writes the network of `program` as a DOT digraph: every block
/// application a cluster of its ops, every sleep and dream connection a
/// pair of dashed edges through its encoder (filled grey when frozen), every
/// edge labelled with the shape it carries.
void emitDot(const Program &program, llvm::raw_ostream &os);

} // namespace dream

#endif // DREAM_GRAPH_DOTEMITTER_H
