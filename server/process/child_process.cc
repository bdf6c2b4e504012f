#include "server/process/child_process.h"

#include <fmt/format.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>

namespace bp = boost::process;

namespace ms {

Result<std::filesystem::path> FindProgram(const std::string& name) {
  auto found = bp::search_path(name);
  if (found.empty()) return NotFound(fmt::format("'{}' is not installed on the server", name));
  return std::filesystem::path(found.string());
}

Result<int> RunChild(const ChildSpec& spec, JobIO& io) {
  bp::environment env = boost::this_process::environment();
  for (const auto& name : spec.env_unset) env.erase(name);
  for (const auto& [k, v] : spec.env_set) env[k] = v;
  std::error_code ec;
  // Boost's shared bp::limit_handles object writes its list of descriptors at
  // every start: two threads starting children at once corrupted the heap
  // (boostorg/process#370; child_process_test.cc). Each start has its own.
  bp::detail::limit_handles_ only_std;
  bp::child child(spec.program.string(), bp::args(spec.args), env,
                  bp::posix::fd.bind(0, io.in), bp::posix::fd.bind(1, io.out),
                  bp::posix::fd.bind(2, io.err), only_std, ec);
  if (ec) {
    return Failed(fmt::format("cannot start {}: {}", spec.program.string(), ec.message()));
  }
  child.wait(ec);
  if (ec) return Failed(fmt::format("lost track of {}: {}", spec.program.string(), ec.message()));
  int native = child.native_exit_code();
  if (WIFSIGNALED(native)) return 128 + WTERMSIG(native);
  return child.exit_code();
}

}  // namespace ms
