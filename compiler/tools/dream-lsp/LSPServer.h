//===- LSPServer.h - The Language Server Protocol over JSON-RPC -----------===//
//
// Binds the protocol's methods to the Server, on MLIR's LSP support library
// (the transport, message handler and protocol types that mlir-lsp-server
// and tblgen-lsp-server use).
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_LSP_LSPSERVER_H
#define DREAM_LSP_LSPSERVER_H

#include "mlir/Support/LogicalResult.h"
#include "mlir/Tools/lsp-server-support/Transport.h"

namespace dream::lsp {

class Server;

/// Serves `server` over `transport` until the client says `exit`. Succeeds
/// when `shutdown` came first, as the protocol asks of the exit code.
mlir::LogicalResult runServer(Server &server,
                              mlir::lsp::JSONTransport &transport);

} // namespace dream::lsp

#endif // DREAM_LSP_LSPSERVER_H
