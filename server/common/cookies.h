#pragma once
// Reading a Cookie header (RFC 6265 section 5.4's form: "a=1; b=2"), as a
// browser sends it. Pure; any thread (test/fuzz/cookie_fuzz.cc).

#include <string>
#include <string_view>

namespace ms {

// The value of cookie `name`, at most 128 bytes of it; "" when absent.
std::string CookieValue(std::string_view header, std::string_view name);

}  // namespace ms
