#pragma once
// The proxy's connection to what serves a request: TCP to an app's task, or
// the daemon's unix socket for the platform's host (routes.h). One socket
// type holds either (Asio's generic stream socket, which opens with the
// family of the endpoint it connects to), so the exchange, the relays, the
// tunnel and the kept connections are the same code for both.

#include <boost/asio.hpp>

namespace ms::proxy {

using UpstreamSocket = boost::asio::generic::stream_protocol::socket;
using UpstreamEndpoint = boost::asio::generic::stream_protocol::endpoint;

}  // namespace ms::proxy
