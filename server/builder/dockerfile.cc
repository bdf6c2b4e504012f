#include "server/builder/dockerfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "server/common/utf8.h"

namespace ms {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// One instruction: its keyword (upper case), its text after the keyword, and
// the line it starts on.
struct Instruction {
  int line = 0;
  std::string keyword;
  std::string rest;
};

struct Parsed {
  char escape = '\\';
  std::vector<Instruction> instructions;
};

// Joins continued lines and drops comments and blank lines, the way the
// classic builder does.
Result<Parsed> Instructions(std::string_view text) {
  Parsed parsed;
  char& escape = parsed.escape;
  std::vector<Instruction>& out = parsed.instructions;
  bool directives = true;  // parser directives come first, before anything else
  std::string pending;
  int pending_line = 0, number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    bool last = end == text.size();
    pos = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!IsUtf8(raw)) {
      return InvalidArgument(fmt::format("Dockerfile line {} is not UTF-8 text (byte {} is not); save it as UTF-8",
                                         number, FirstInvalidUtf8(raw) + 1));
    }
    std::string_view line = Trim(raw);
    if (directives) {
      if (line.starts_with('#')) {
        auto body = Trim(line.substr(1));
        auto eq = body.find('=');
        if (eq != std::string_view::npos && Lower(Trim(body.substr(0, eq))) == "escape") {
          auto value = Trim(body.substr(eq + 1));
          if (value == "`") escape = '`';
          else if (value == "\\") escape = '\\';
          else {
            return InvalidArgument(fmt::format(
                "Dockerfile line {}: the escape directive takes \\ or `, not '{}'", number, std::string(value)));
          }
          if (last) break;
          continue;
        }
      }
      directives = false;
    }
    if (line.starts_with('#') || line.empty()) {
      if (last) break;
      continue;
    }
    if (pending.empty()) pending_line = number;
    if (!line.empty() && line.back() == escape) {
      pending.append(line.substr(0, line.size() - 1));
      pending.push_back(' ');
      if (last) {
        line = {};
      } else {
        continue;
      }
    } else {
      pending.append(line);
    }
    std::string_view whole = Trim(pending);
    if (!whole.empty()) {
      size_t space = 0;
      while (space < whole.size() && !std::isspace(static_cast<unsigned char>(whole[space]))) ++space;
      std::string keyword = Lower(whole.substr(0, space));
      std::transform(keyword.begin(), keyword.end(), keyword.begin(), [](unsigned char c) { return std::toupper(c); });
      out.push_back({pending_line, keyword, std::string(Trim(whole.substr(space)))});
    }
    pending.clear();
    if (last) break;
  }
  return parsed;
}

// $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} from the global ARGs; an
// unknown name is empty, as the engine has it; escape + '$' is a plain '$'.
std::string Expand(std::string_view s, const std::map<std::string, std::string>& args, char escape) {
  std::string out;
  auto value = [&](const std::string& name) {
    auto it = args.find(name);
    return it == args.end() ? std::string() : it->second;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == escape && i + 1 < s.size() && s[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (s[i] != '$' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    if (s[i + 1] == '{') {
      size_t close = s.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.append(s.substr(i));
        break;
      }
      std::string_view inner = s.substr(i + 2, close - i - 2);
      size_t colon = inner.find(':');
      std::string name(inner.substr(0, colon));
      std::string v = value(name);
      if (colon != std::string_view::npos && colon + 1 < inner.size()) {
        std::string word(inner.substr(colon + 2));
        if (inner[colon + 1] == '-' && v.empty()) v = word;
        else if (inner[colon + 1] == '+') v = v.empty() ? "" : word;
      }
      out += v;
      i = close;
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    if (j == i + 1) {
      out.push_back('$');
      continue;
    }
    out += value(std::string(s.substr(i + 1, j - i - 1)));
    i = j - 1;
  }
  return out;
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// ADD's and COPY's arguments: flags, then sources and a destination, in JSON
// or shell form.
struct FileArgs {
  std::map<std::string, std::string> flags;  // "--from" -> value
  std::vector<std::string> paths;
};

FileArgs ReadFileArgs(std::string_view rest) {
  FileArgs a;
  auto words = Words(rest);
  size_t i = 0;
  for (; i < words.size() && words[i].starts_with("--"); ++i) {
    auto eq = words[i].find('=');
    a.flags[Lower(words[i].substr(0, eq))] = eq == std::string::npos ? "" : words[i].substr(eq + 1);
  }
  std::string tail;
  for (size_t k = i; k < words.size(); ++k) tail += (tail.empty() ? "" : " ") + words[k];
  if (tail.starts_with('[')) {
    auto json = nlohmann::json::parse(tail, nullptr, false);
    if (json.is_array()) {
      for (const auto& item : json) {
        if (item.is_string()) a.paths.push_back(item.get<std::string>());
      }
      return a;
    }
  }
  a.paths.assign(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
  return a;
}

bool IsUrl(std::string_view source) {
  std::string lower = Lower(source);
  return lower.find("://") != std::string::npos || lower.starts_with("git@");
}

}  // namespace

Result<std::vector<DockerfileImage>> ReadDockerfile(std::string_view text) {
  auto instructions = Instructions(text);
  if (!instructions) return std::unexpected(instructions.error());
  const char escape = instructions->escape;
  std::map<std::string, std::string> global_args;
  std::set<std::string> stages;
  bool seen_from = false;
  std::vector<DockerfileImage> images;

  // ONBUILD's instruction runs in a later build FROM this image: it is read
  // as if it stood here.
  for (auto inst : instructions->instructions) {
    if (inst.keyword == "ONBUILD") {
      auto words = Words(inst.rest);
      if (words.empty()) continue;
      std::string keyword = words[0];
      std::transform(keyword.begin(), keyword.end(), keyword.begin(), [](unsigned char c) { return std::toupper(c); });
      inst.keyword = keyword;
      inst.rest = std::string(Trim(std::string_view(inst.rest).substr(words[0].size())));
      if (inst.keyword == "FROM") continue;  // the engine refuses ONBUILD FROM itself
    }
    if (inst.keyword == "ARG" && !seen_from) {
      for (const auto& word : Words(inst.rest)) {
        auto eq = word.find('=');
        global_args[word.substr(0, eq)] =
            eq == std::string::npos ? "" : Expand(Unquote(word.substr(eq + 1)), global_args, escape);
      }
    } else if (inst.keyword == "FROM") {
      seen_from = true;
      auto words = Words(inst.rest);
      size_t i = 0;
      while (i < words.size() && words[i].starts_with("--")) ++i;
      if (i >= words.size()) {
        return InvalidArgument(fmt::format("Dockerfile line {}: FROM names no image", inst.line));
      }
      std::string name = Expand(words[i], global_args, escape);
      if (name.empty()) {
        return InvalidArgument(fmt::format(
            "Dockerfile line {}: FROM {} names no image (an ARG declared before the first FROM gives it a value)",
            inst.line, words[i]));
      }
      if (!stages.contains(Lower(name))) images.push_back({inst.line, "FROM", name});
      if (i + 2 < words.size() && Lower(words[i + 1]) == "as") stages.insert(Lower(words[i + 2]));
    } else if (inst.keyword == "ADD") {
      auto args = ReadFileArgs(inst.rest);
      for (size_t k = 0; k + 1 < args.paths.size(); ++k) {
        if (IsUrl(args.paths[k])) {
          return InvalidArgument(fmt::format(
              "Dockerfile line {}: ADD {} would be fetched by the Docker engine from the server's own network, "
              "outside the build's fence. Download it inside the build instead, for example "
              "RUN curl -fsSL -o {} '{}'",
              inst.line, args.paths[k], args.paths.back(), args.paths[k]));
        }
      }
    } else if (inst.keyword == "COPY") {
      auto args = ReadFileArgs(inst.rest);
      auto from = args.flags.find("--from");
      if (from == args.flags.end()) continue;
      const std::string& ref = from->second;
      if (ref.find('$') != std::string::npos) {
        return InvalidArgument(fmt::format(
            "Dockerfile line {}: COPY --from={} names its image through a variable; name the stage or image "
            "itself",
            inst.line, ref));
      }
      if (ref.empty()) {
        return InvalidArgument(fmt::format("Dockerfile line {}: COPY --from names no stage or image", inst.line));
      }
      bool index = std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isdigit(c); });
      if (!index && !stages.contains(Lower(ref))) images.push_back({inst.line, "COPY --from", ref});
    }
  }
  return images;
}

}  // namespace ms
