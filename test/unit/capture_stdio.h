#pragma once
// CaptureStdio: runs a function that prints with stdio (the CLI's commands,
// mothershipd's setup and hook) with fd 1 and fd 2 sent to temporary files, and
// returns what it printed and its exit status. Header only; one thread at a time.

#include <stdio.h>
#include <unistd.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace ms_test {

struct Printed {
  int status = -1;
  std::string out;
  std::string err;
};

namespace capture_detail {

// Sends `fd` to a temporary file until Finish() puts it back and returns what was written.
class Redirect {
 public:
  explicit Redirect(int fd) : fd_(fd), file_(tmpfile()), saved_(dup(fd)) {
    if (!file_ || saved_ < 0 || dup2(fileno(file_), fd_) < 0)
      throw std::runtime_error("cannot redirect stdio");
  }
  ~Redirect() {
    if (saved_ >= 0) Restore();
    if (file_) fclose(file_);
  }
  std::string Finish() {
    Restore();
    std::string text;
    rewind(file_);
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, file_)) > 0;) text.append(buffer, n);
    return text;
  }

 private:
  void Restore() {
    dup2(saved_, fd_);
    close(saved_);
    saved_ = -1;
  }
  int fd_;
  FILE* file_;
  int saved_;
};

}  // namespace capture_detail

inline Printed CaptureStdio(const std::function<int()>& run) {
  fflush(stdout);
  fflush(stderr);
  capture_detail::Redirect out(1), err(2);
  Printed printed;
  printed.status = run();
  fflush(stdout);
  fflush(stderr);
  printed.out = out.Finish();
  printed.err = err.Finish();
  return printed;
}

}  // namespace ms_test
