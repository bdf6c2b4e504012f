#pragma once
// Whose a Docker object is. Mothership labels everything it makes with
// mothership.install (the installation's ID) and an app's things with
// mothership.app too; the daemon never creates over, changes or removes an
// object whose labels name another installation or another app. Pure
// functions, any thread.

#include <string>

#include "server/docker/engine_types.h"  // Labels

namespace ms {

// "" when the labels say the object is this installation's (and this app's,
// when app is not empty); otherwise whose it is, for a message: "app shop",
// "another Mothership installation on this Docker engine", or "something
// Mothership did not make".
std::string ForeignOwner(const Labels& labels, const std::string& install, const std::string& app = "");

// True when have holds every label of want with the same value.
bool HasLabels(const Labels& have, const Labels& want);

}  // namespace ms
