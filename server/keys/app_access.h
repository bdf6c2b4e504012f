#pragma once
// Who may use an app, and which names may become apps. An app's owner and its
// members may use it; only its owner (or an admin) may change who they are or
// destroy it; admins may do everything. To anyone else an app is not there: they
// get the very answer a name that is no app gets (NoSuchApp), from every command
// and from git. A name that is taken by an app the caller may not see is "not
// available", the same words for every such name. Any thread.

#include <string>
#include <vector>

#include "server/common/public_suffix.h"
#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

enum class AppNeed { kMember, kOwner };

// kNotFound (NoSuchApp) when the app does not exist or the caller is neither
// an admin nor a member; kFailed, saying who can, when a member needs the owner.
Result<void> CheckAppAccess(Store& store, const Caller& caller, const std::string& app, AppNeed need);

// The names apps may not take because the platform's own services and hosts
// use them (Swarm services are named APP-TYPE), in the order the error lists them.
std::vector<std::string> ReservedAppNames(const Settings& settings);

// Whether `name` may become a new app of `caller` (apps:create, apps:rename,
// the first push): a valid name, not reserved, no app of that name, and NAME.DOMAIN
// not a custom domain of an app. kInvalidArgument for a bad or reserved name;
// kAlreadyExists "app 'NAME' already exists" when the caller may see that app;
// kAlreadyExists NotAvailable(name) otherwise.
Result<void> CheckNewAppName(Services& services, const Caller& caller, const std::string& name);

// Whether `app` may add `host` (NormalizeDomain's form) as a custom domain:
//  - not a public suffix ("com", "co.uk"), nor a wildcard over one ("*.co.uk");
//  - not the platform's host (Settings::PlatformHost: the proxy sends it to the API);
//  - not the server's DOMAIN, and under it only names under APP.DOMAIN
//    ("www.APP.DOMAIN"): the rest belong to the apps they name;
// (Store::AddDomain refuses another app's host: "HOST is not available".)
// kInvalidArgument saying why, or kAlreadyExists for another app's name.
Result<void> CheckNewDomain(Services& services, const PublicSuffixList& suffixes, const std::string& app,
                            const std::string& host);

// A name access can be given to: one with a key. kNotFound saying how to add one.
Result<void> NeedKeyName(Store& store, const std::string& name);

// "name 'NAME' is not available; choose another"
std::string NotAvailable(const std::string& name);

}  // namespace ms
