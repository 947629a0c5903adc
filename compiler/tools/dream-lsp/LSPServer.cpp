//===- LSPServer.cpp - The Language Server Protocol over JSON-RPC ---------===//

#include "LSPServer.h"

#include "Server.h"

using namespace dream;
using namespace dream::lsp;
using namespace mlir::lsp;

namespace {

class LSPServer {
public:
  LSPServer(Server &server, JSONTransport &transport)
      : server(server), handler(transport) {
    handler.method("initialize", this, &LSPServer::onInitialize);
    handler.notification("initialized", this, &LSPServer::onInitialized);
    handler.method("shutdown", this, &LSPServer::onShutdown);
    handler.notification("textDocument/didOpen", this, &LSPServer::onOpen);
    handler.notification("textDocument/didChange", this, &LSPServer::onChange);
    handler.notification("textDocument/didClose", this, &LSPServer::onClose);
    handler.method("textDocument/hover", this, &LSPServer::onHover);
    handler.method("textDocument/definition", this, &LSPServer::onDefinition);
    handler.method("textDocument/completion", this, &LSPServer::onCompletion);
    handler.method("textDocument/documentSymbol", this,
                   &LSPServer::onDocumentSymbol);
    handler.method("textDocument/inlayHint", this, &LSPServer::onInlayHint);
    publishDiagnostics = handler.outgoingNotification<PublishDiagnosticsParams>(
        "textDocument/publishDiagnostics");
  }

  MessageHandler &messages() { return handler; }
  bool shutdownRequested() const { return shutdown; }

private:
  void onInitialize(const InitializeParams &,
                    Callback<llvm::json::Value> reply) {
    llvm::json::Object capabilities{
        // Whole texts: every edit is checked from scratch anyway.
        {"textDocumentSync",
         llvm::json::Object{{"openClose", true},
                            {"change", (int)TextDocumentSyncKind::Full}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"completionProvider",
         llvm::json::Object{{"resolveProvider", false},
                            {"triggerCharacters", {">", "(", ",", "."}}}},
        {"documentSymbolProvider", true},
        {"inlayHintProvider", true},
    };
    reply(llvm::json::Object{
        {"capabilities", std::move(capabilities)},
        {"serverInfo", llvm::json::Object{{"name", "dream-lsp"}}}});
  }

  void onInitialized(const InitializedParams &) {}

  void onShutdown(const NoParams &, Callback<std::nullptr_t> reply) {
    shutdown = true;
    reply(nullptr);
  }

  void publish(const URIForFile &uri, int64_t version,
               std::vector<Diagnostic> diagnostics) {
    PublishDiagnosticsParams params(uri, version);
    params.diagnostics = std::move(diagnostics);
    publishDiagnostics(params);
  }

  void onOpen(const DidOpenTextDocumentParams &params) {
    const TextDocumentItem &item = params.textDocument;
    publish(item.uri, item.version, server.update(item.uri, item.text));
  }

  void onChange(const DidChangeTextDocumentParams &params) {
    const VersionedTextDocumentIdentifier &document = params.textDocument;
    if (params.contentChanges.empty())
      return;
    // Full synchronisation: the last change is the whole text.
    publish(document.uri, document.version,
            server.update(document.uri, params.contentChanges.back().text));
  }

  void onClose(const DidCloseTextDocumentParams &params) {
    server.close(params.textDocument.uri);
    // The file's diagnostics go with it.
    publish(params.textDocument.uri, 0, {});
  }

  void onHover(const TextDocumentPositionParams &params,
               Callback<std::optional<Hover>> reply) {
    reply(server.hover(params.textDocument.uri, params.position));
  }

  void onDefinition(const TextDocumentPositionParams &params,
                    Callback<std::vector<mlir::lsp::Location>> reply) {
    reply(server.definition(params.textDocument.uri, params.position));
  }

  void onCompletion(const CompletionParams &params,
                    Callback<CompletionList> reply) {
    reply(server.complete(params.textDocument.uri, params.position));
  }

  void onDocumentSymbol(const DocumentSymbolParams &params,
                        Callback<std::vector<DocumentSymbol>> reply) {
    reply(server.documentSymbols(params.textDocument.uri));
  }

  void onInlayHint(const InlayHintsParams &params,
                   Callback<std::vector<InlayHint>> reply) {
    reply(server.inlayHints(params.textDocument.uri, params.range));
  }

  Server &server;
  MessageHandler handler;
  OutgoingNotification<PublishDiagnosticsParams> publishDiagnostics;
  bool shutdown = false;
};

} // namespace

mlir::LogicalResult lsp::runServer(Server &server, JSONTransport &transport) {
  LSPServer lsp(server, transport);
  if (llvm::Error error = transport.run(lsp.messages())) {
    Logger::error("transport: {0}", llvm::toString(std::move(error)));
    return mlir::failure();
  }
  return mlir::success(lsp.shutdownRequested());
}
