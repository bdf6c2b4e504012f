#pragma once
// Output: where a command's or a long operation's text goes (a client's stdout
// or stderr, a push's progress, setup's report, a log). The one sink type of
// the server: handlers, the runtime, the builder and setup write to it.
// Implementations say which threads may call Write; most serialise it.
// LambdaOutput adapts a function (a test's collector, a terminal), NullOutput
// drops everything, PrefixedOutput indents what it passes on.

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace ms {

class Output {
 public:
  virtual ~Output() = default;
  virtual void Write(std::string_view data) = 0;
};

// An Output that hands every write to a function.
class LambdaOutput : public Output {
 public:
  explicit LambdaOutput(std::function<void(std::string_view)> write) : write_(std::move(write)) {}
  void Write(std::string_view data) override {
    if (write_) write_(data);
  }

 private:
  std::function<void(std::string_view)> write_;
};

// An Output that drops everything (no one is listening).
class NullOutput : public Output {
 public:
  void Write(std::string_view) override {}
};

// An Output that starts every line written to it with a prefix ("       "),
// then passes it on.
class PrefixedOutput : public Output {
 public:
  PrefixedOutput(Output& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
  void Write(std::string_view data) override {
    std::string text;
    for (char c : data) {
      if (at_line_start_) text += prefix_;
      text.push_back(c);
      at_line_start_ = c == '\n';
    }
    out_.Write(text);
  }

 private:
  Output& out_;
  std::string prefix_;
  bool at_line_start_ = true;
};

// Writes one line: line and a newline.
inline void WriteLine(Output& out, std::string_view line) {
  std::string text(line);
  text.push_back('\n');
  out.Write(text);
}

}  // namespace ms
