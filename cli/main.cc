// mothership: the Mothership command line tool for developers' machines
// (cli/cli.cc). Server administration is mothershipd's (server/main.cc).

#include <string>
#include <vector>

#include "cli/cli_commands.h"

int main(int argc, char** argv) {
  return ms::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc));
}
