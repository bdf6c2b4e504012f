#pragma once
// The answers the proxy makes itself, when it cannot or will not forward a
// request: a short HTML page with the status, its reason and what the
// visitor may do (and the 200 of the readiness probe, and ACME's http-01
// answers). Pure.

#include <string>
#include <string_view>

namespace ms::proxy {

// "Not Found" for 404...; "Error" for a status the proxy does not send.
const char* Reason(int status);

// The whole response (head and body): no-store, the request's X-Request-Id,
// Retry-After on a 503, "Connection: close" when close, and
// X-Mothership-Routes when routes_version is given (the readiness probe).
std::string ErrorPage(int status, std::string_view request_id, bool close, std::string_view routes_version = {});

// A redirect (301 or 308) to location, with a one-line body (its head only
// for a HEAD request).
std::string RedirectAnswer(int status, std::string_view location, std::string_view request_id, bool close,
                           bool head_only);

// A 200 with a text/plain body (an ACME challenge's key authorization).
std::string TextAnswer(std::string_view body, std::string_view request_id, bool close);

}  // namespace ms::proxy
