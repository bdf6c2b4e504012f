#include "server/api/command_run.h"

#include <atomic>
#include <mutex>

#include <fmt/format.h>

#include "server/commands/router.h"

namespace ms {
namespace {

// Collects what a command writes, up to a cap; past it, asks the command to stop.
class CapturedOutput : public Output {
 public:
  explicit CapturedOutput(std::atomic<bool>& over) : over_(over) {}
  void Write(std::string_view data) override {
    std::lock_guard lock(mu_);
    if (text_.size() + data.size() > kMaxCommandOutput) {
      if (!over_.exchange(true)) text_ += fmt::format("\n[output cut at {} bytes]\n", kMaxCommandOutput);
      return;
    }
    text_.append(data);
  }
  std::string Take() {
    std::lock_guard lock(mu_);
    return std::move(text_);
  }

 private:
  std::atomic<bool>& over_;
  std::mutex mu_;
  std::string text_;
};

class StringInput : public Input {
 public:
  explicit StringInput(std::string text) : text_(std::move(text)) {}
  Result<std::string> ReadAll(size_t max) override {
    if (text_.size() > max) return InvalidArgument(fmt::format("the input is over {} bytes", max));
    return text_;
  }

 private:
  std::string text_;
};

}  // namespace

CommandRun RunAs(Services& services, const Caller& caller, const std::vector<std::string>& argv,
                 std::string stdin_text, std::function<bool()> cancelled) {
  std::atomic<bool> over{false};
  CapturedOutput out(over), err(over);
  StringInput in(std::move(stdin_text));
  auto stop = [&over, cancelled = std::move(cancelled)] { return over.load() || (cancelled && cancelled()); };
  CommandContext ctx{services, caller, out, err, in, false, false, -1, stop, 0};
  Error failure;
  CommandRun run;
  run.exit_status = RunCommand(ctx, argv, &failure);
  if (run.exit_status != 0 && !failure.message.empty()) run.error = failure;
  run.out = out.Take();
  run.err = err.Take();
  return run;
}

int RunStreaming(Services& services, const Caller& caller, const std::vector<std::string>& argv, Output& out,
                 Output& err, std::function<bool()> cancelled, Error* failure) {
  StringInput in("");
  CommandContext ctx{services, caller, out, err, in, false, false, -1, std::move(cancelled), 0};
  return RunCommand(ctx, argv, failure);
}

}  // namespace ms
