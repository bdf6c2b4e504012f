#pragma once
// Shared fixtures for the unit tests: a temporary directory removed at the end, a
// string-backed Output and Input, a recording DeployStep, freshly generated SSH
// keys, and a TestEnv that wires real Store/AppRepos/AppLocks into a Services.
// Header only (test/CMakeLists.txt globs only unit/*.cc).

#include <libssh/libssh.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"
#include "server/commands/router.h"
#include "server/config/settings.h"
#include "server/git/deploy_step.h"
#include "server/git/app_locks.h"
#include "server/git/app_repos.h"
#include "server/services.h"
#include "server/keys/public_key.h"
#include "server/store/store.h"

// REQUIRE that a Result holds a value, printing its error message when it does not.
#define REQUIRE_OK(expr)                                                      \
  do {                                                                        \
    const auto& ms_test_result_ = (expr);                                     \
    INFO("error: " << (ms_test_result_ ? std::string("(none)")                \
                                       : ms_test_result_.error().message));  \
    REQUIRE(ms_test_result_.has_value());                                     \
  } while (0)

namespace ms_test {

namespace fs = std::filesystem;

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// mkdtemp under /tmp; removed recursively on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/ms-unit-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Entries of a directory (empty when it does not exist).
inline std::vector<std::string> ListDir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  return names;
}

class StringOutput : public ms::Output {
 public:
  void Write(std::string_view data) override {
    std::lock_guard lock(mu_);
    data_.append(data);
  }
  std::string str() {
    std::lock_guard lock(mu_);
    return data_;
  }

 private:
  std::mutex mu_;
  std::string data_;
};

class StringInput : public ms::Input {
 public:
  explicit StringInput(std::string data = "") : data_(std::move(data)) {}
  ms::Result<std::string> ReadAll(size_t max) override {
    ++reads;
    if (data_.size() > max) return ms::InvalidArgument("input too large");
    return data_;
  }
  int reads = 0;

 private:
  std::string data_;
};

class FakeDeployStep : public ms::DeployStep {
 public:
  ms::Result<void> Run(const ms::DeployRequest& request, ms::Output& out) override {
    std::lock_guard lock(mu_);
    calls.push_back(request);
    out.Write("fake deploy\n");
    if (fail) return ms::Failed("fake deploy failed");
    return {};
  }
  std::vector<ms::DeployRequest> Calls() {
    std::lock_guard lock(mu_);
    return calls;
  }
  bool fail = false;

 private:
  std::mutex mu_;
  std::vector<ms::DeployRequest> calls;
};

// A freshly generated key pair.
struct GeneratedKey {
  ms::SshKeyPtr key;
  std::string type;    // "ssh-ed25519"
  std::string base64;  // public key blob
  std::string PublicLine(const std::string& comment = "") const {
    return type + " " + base64 + (comment.empty() ? "" : " " + comment);
  }
  std::string PrivateText() const {
    char* b64 = nullptr;
    if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &b64) != SSH_OK) {
      throw std::runtime_error("cannot export private key");
    }
    std::string out = b64;
    ssh_string_free_char(b64);
    return out;
  }
};

inline GeneratedKey GenerateKey(enum ssh_keytypes_e type = SSH_KEYTYPE_ED25519) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(type, 0, &raw) != SSH_OK) throw std::runtime_error("ssh_pki_generate failed");
  GeneratedKey g;
  g.key.reset(raw);
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(raw, &b64) != SSH_OK) {
    throw std::runtime_error("ssh_pki_export_pubkey_base64 failed");
  }
  g.base64 = b64;
  ssh_string_free_char(b64);
  g.type = ssh_key_type_to_char(ssh_key_type(raw));
  return g;
}

inline ms::Deploy MakeDeploy(const std::string& app, const std::string& commit,
                             const std::string& ref = "refs/heads/main",
                             const std::string& key_name = "tester") {
  ms::Deploy d;
  d.app = app;
  d.commit = commit;
  d.ref = ref;
  d.key_name = key_name;
  return d;
}

// App shop's Postgres add-on, as the store keeps it.
inline ms::Addon ShopPostgres() {
  ms::Addon a;
  a.name = "shop-postgres";
  a.kind = "postgres";
  a.app = "shop";
  a.node_id = "node1";
  a.db_name = a.db_user = "shop";
  a.db_password = "secret";
  return a;
}

inline std::unique_ptr<ms::Store> OpenStore(const fs::path& path) {
  auto store = ms::Store::Open(path);
  if (!store) throw std::runtime_error("Store::Open: " + store.error().message);
  return std::move(*store);
}

inline ms::Settings MakeSettings(const fs::path& data_dir) {
  ms::Settings s;
  s.data_dir = data_dir;
  s.domain = "example.test";
  s.ssh_port = 2222;
  return s;
}

inline fs::path MakeHooksDir(const fs::path& data_dir) {
  fs::path hooks = data_dir / "hooks-src";
  fs::create_directories(hooks);
  return hooks;
}

// Real Store (a file in a temp dir), real AppRepos, AppLocks and a fake deploy step.
struct TestEnv {
  TempDir dir;
  ms::Settings settings = MakeSettings(dir.path());
  fs::path hooks_dir = MakeHooksDir(dir.path());
  std::unique_ptr<ms::Store> store = OpenStore(settings.DatabasePath());
  ms::AppRepos repos{settings.ReposDir(), hooks_dir, settings.TrashDir()};
  ms::AppLocks locks;
  FakeDeployStep deploy;
  ms::Sessions sessions;
  ms::Services services{settings, *store, repos, locks, deploy, sessions};

  bool AppRowExists(const std::string& name) { return store->GetApp(name).has_value(); }
  bool RepoExists(const std::string& name) { return fs::exists(repos.PathOf(name)); }
};

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

// The callers Run uses: the admin "root" and the developer "dev".
inline const ms::Caller kRoot{"root", ms::Role::kAdmin, "192.0.2.1:40000"};
inline const ms::Caller kDev{"dev", ms::Role::kDeveloper, "192.0.2.2:40000"};

inline RunResult RunAs(TestEnv& env, const ms::Caller& caller, const std::vector<std::string>& argv,
                       const std::string& stdin_text = "") {
  StringOutput out, err;
  StringInput in(stdin_text);
  ms::CommandContext ctx{env.services, caller, out, err, in, false, false, -1, nullptr, 0};
  RunResult r;
  r.status = ms::RunCommand(ctx, argv);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline RunResult Run(TestEnv& env, const std::vector<std::string>& argv,
                     ms::Role role = ms::Role::kAdmin, const std::string& stdin_text = "") {
  return RunAs(env, role == ms::Role::kAdmin ? kRoot : kDev, argv, stdin_text);
}

}  // namespace ms_test
