#pragma once
// Storage mounts (storage:mount APP NAME:/path) as Docker sees them, pure
// functions so the choices are in one place and unit-tested:
// - a named volume mothership-storage-INSTALL-APP_NAME, labelled with its
//   installation and app (apps:destroy --destroy-storage finds them by label);
// - mounted read-write at the path in every process of the app and in its
//   one-off `run` containers;
// - the app's services pinned to the node the volume is on, and rolled
//   stop-first: two releases never write the same volume.

#include <map>
#include <string>

#include "server/common/result.h"

namespace ms {

// NAME: 2 to 40 lower-case letters, digits and dashes, like an app's.
Result<void> ValidateStorageName(const std::string& name);
// /path: absolute, at most 200 long, of letters, digits and . _ - /, no "."
// or ".." part, no empty part; not / and not a system directory (/app, /proc,
// /sys, /dev, /etc, /usr, /bin, /sbin, /lib..., /layers, /cnb, /tmp and what
// is under the first seven), where a volume would hide the app or the system.
Result<void> ValidateStoragePath(const std::string& path);
// "uploads:/app/uploads" -> {"uploads", "/app/uploads"}, both checked.
Result<std::pair<std::string, std::string>> ParseStorageMount(const std::string& text);

std::string StorageVolumeName(const std::string& install, const std::string& app, const std::string& name);
std::map<std::string, std::string> StorageVolumeLabels(const std::string& install, const std::string& app,
                                                       const std::string& name);
// The label filter of an app's storage volumes ("mothership.storage.app=APP").
std::string StorageAppFilter(const std::string& app);

}  // namespace ms
