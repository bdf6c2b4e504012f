#pragma once
// The admin's *.DOMAIN certificate (certs:wildcard:add): whether it covers
// the APP.DOMAIN names, so that ACME orders none of them and the proxy serves
// it for every app without a certificate of its own. Any thread.

#include "server/config/settings.h"
#include "server/store/store.h"

namespace ms {

// True when the store holds a wildcard certificate that names *.DOMAIN.
bool WildcardCoversDomain(const Settings& settings, Store& store);

}  // namespace ms
