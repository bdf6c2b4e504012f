#pragma once
// The dashboard's terminal: `run APP COMMAND` with a terminal (like `ssh -t
// ... run`), over a WebSocket the API server hands over after authenticating
// GET /api/v1/apps/{app}/run?command=... with Upgrade: websocket. Binary frames
// from the browser are keystrokes (the process's stdin); binary frames to it
// are the terminal's output; a last text frame says how it ended,
// {"exit": 0} or {"error": "..."}, then a close frame. The connection's thread
// runs it; the command runs on another, through the Router (roles, app access,
// audit), so the terminal can do what `run` over ssh can and no more.

#include <string>
#include <string_view>

#include "server/api/fd_stream.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

// Answers 101 and serves the terminal until the process ends or the browser
// goes. `early` holds bytes the HTTP reader took past the request's head.
void ServeTerminal(FdStream& stream, std::string_view early, Services& services, const Caller& caller,
                   const std::string& app, const std::string& command_line, std::string_view websocket_key);

}  // namespace ms
