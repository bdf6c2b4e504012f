#pragma once
// Running a program (git) as a child process with Boost.Process, its stdin,
// stdout and stderr connected to a Job's descriptors. No shell is involved: the
// arguments reach the program as they are.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "server/common/result.h"
#include "server/process/job.h"

namespace ms {

struct ChildSpec {
  std::filesystem::path program;  // absolute path
  std::vector<std::string> args;
  std::map<std::string, std::string> env_set;  // added to (or replacing in) our environment
  std::vector<std::string> env_unset;
};

// Finds a program on PATH; NotFound names it.
Result<std::filesystem::path> FindProgram(const std::string& name);

// Runs the child to completion and returns its exit code (128+N for a signal).
// The child ends when its input closes and its output is gone, as git does when
// the client disconnects or the daemon closes the connection.
Result<int> RunChild(const ChildSpec& spec, JobIO& io);

}  // namespace ms
