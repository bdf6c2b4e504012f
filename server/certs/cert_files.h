#pragma once
// The files the proxy reads its TLS material from, under DATA_DIR/proxy (the
// proxy's containers see that folder read-only): certs/app-ID-*.pem,
// the key and chain of one certificate (cert_bundle.h; named by the app's id,
// which a rename keeps), and tls-secret, from which
// the proxy's workers derive their session ticket keys. All of mode 0600,
// written to a temporary file first and renamed over, so the proxy never
// reads half a file. Any thread may call these.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

inline constexpr std::string_view kCertsDir = "certs";

// "app-17-manual.pem": the app's own (certs:add).
std::string CertFileName(int64_t app_id, const std::string& source);
// "app-17-acme-shop.example.com.pem": ACME's for one host of app 17;
// "platform-acme-mothership.example.com.pem" for app_id 0 (the platform's host).
std::string AcmeCertFileName(int64_t app_id, const std::string& host);
// Removes every certificate file of the app, ACME's included (apps:destroy).
void RemoveCertFiles(const std::filesystem::path& certs_dir, int64_t app_id);
// Writes text to path (mode 0600) atomically; an error names the file.
Result<void> WriteSecretFile(const std::filesystem::path& path, std::string_view text);
// Makes the ticket secret (32 random bytes) when path does not exist.
Result<void> EnsureTlsSecret(const std::filesystem::path& path);

}  // namespace ms
