#include "server/certs/wildcard_cert.h"

#include <algorithm>

namespace ms {

bool WildcardCoversDomain(const Settings& settings, Store& store) {
  auto wildcard = store.GetWildcardCert();
  if (!wildcard || !*wildcard || settings.domain.empty()) return false;
  const auto& names = (*wildcard)->names;
  return std::find(names.begin(), names.end(), "*." + settings.domain) != names.end();
}

}  // namespace ms
