#include "server/builder/dockerfile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
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

// A Unicode space other than ASCII's at the start of s (the engine trims
// those too before it reads a keyword): its UTF-8 length, else 0.
size_t UnicodeSpace(std::string_view s) {
  static const char* const kSpaces[] = {"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                        "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
  for (const char* space : kSpaces) {
    if (s.starts_with(space)) return std::string_view(space).size();
  }
  if (s.size() >= 3 && s[0] == '\xe2' && s[1] == '\x80' && static_cast<unsigned char>(s[2]) >= 0x80 &&
      static_cast<unsigned char>(s[2]) <= 0x8a) {
    return 3;  // U+2000..U+200A
  }
  return 0;
}

// Whether a line continues on the next: it ends in the escape character and
// only spaces or tabs after it, and that escape character is not itself
// escaped (the engine's rule). Sets `body` to the line without them.
bool Continues(std::string_view line, char escape, std::string_view* body) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return false;
  if (end >= 2 && line[end - 2] == escape) return false;
  *body = line.substr(0, end - 1);
  return true;
}

// Joins continued lines and drops comments and blank lines, the way the
// classic builder's parser does: directives (escape, syntax) first, a
// continued line joined to the next with nothing between them, comment and
// blank lines inside a continuation dropped, a continuation at the end of
// the file ending its instruction.
Result<Parsed> Instructions(std::string_view text) {
  Parsed parsed;
  char& escape = parsed.escape;
  std::vector<Instruction>& out = parsed.instructions;
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // a byte order mark
  bool directives = true;  // parser directives come first, before anything else
  std::string pending;
  int pending_line = 0, number = 0;
  auto emit = [&] {
    std::string_view whole = Trim(pending);
    if (!whole.empty()) {
      size_t space = 0;
      while (space < whole.size() && !std::isspace(static_cast<unsigned char>(whole[space]))) ++space;
      std::string keyword(whole.substr(0, space));
      std::transform(keyword.begin(), keyword.end(), keyword.begin(), [](unsigned char c) { return std::toupper(c); });
      out.push_back({pending_line, keyword, std::string(Trim(whole.substr(space)))});
    }
    pending.clear();
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!IsUtf8(raw)) {
      return InvalidArgument(fmt::format("Dockerfile line {} is not UTF-8 text (byte {} is not); save it as UTF-8",
                                         number, FirstInvalidUtf8(raw) + 1));
    }
    std::string_view line = raw;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (UnicodeSpace(line) > 0) {
      return InvalidArgument(fmt::format(
          "Dockerfile line {} starts with a Unicode space; use ASCII spaces or tabs to indent", number));
    }
    if (directives) {
      if (line.starts_with('#')) {
        auto body = Trim(line.substr(1));
        auto eq = body.find('=');
        std::string key = eq == std::string_view::npos ? "" : Lower(Trim(body.substr(0, eq)));
        if (key == "escape") {
          auto value = Trim(body.substr(eq + 1));
          if (value == "`") escape = '`';
          else if (value == "\\") escape = '\\';
          else {
            return InvalidArgument(fmt::format(
                "Dockerfile line {}: the escape directive takes \\ or `, not '{}'", number, std::string(value)));
          }
          continue;
        }
        if (key == "syntax") continue;
      }
      directives = false;
    }
    if (line.starts_with('#') || Trim(line).empty()) continue;  // also inside a continuation
    if (pending.empty()) pending_line = number;
    std::string_view body;
    if (Continues(line, escape, &body)) {
      pending.append(body);
      if (pos > text.size()) emit();
      continue;
    }
    pending.append(line);
    emit();
  }
  if (!pending.empty()) emit();
  return parsed;
}

bool IsArgName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} from the global ARGs; an
// unknown name is empty, as the engine has it; escape + '$' is a plain '$';
// $ and a digit is that one-digit name. nullopt for any other form (the
// engine's ${NAME?word}, ${NAME-word}, a nested $ in word ...), which could
// read differently here and in the engine.
std::optional<std::string> Expand(std::string_view s, const std::map<std::string, std::string>& args, char escape) {
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
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view inner = s.substr(i + 2, close - i - 2);
      size_t colon = inner.find(':');
      std::string name(inner.substr(0, colon));
      if (!IsArgName(name)) return std::nullopt;
      std::string v = value(name);
      if (colon != std::string_view::npos) {
        if (colon + 1 >= inner.size() || (inner[colon + 1] != '-' && inner[colon + 1] != '+')) return std::nullopt;
        std::string word(inner.substr(colon + 2));
        if (word.find_first_of("${}") != std::string::npos || word.find(escape) != std::string::npos) {
          return std::nullopt;
        }
        if (inner[colon + 1] == '-' && v.empty()) v = word;
        else if (inner[colon + 1] == '+') v = v.empty() ? "" : word;
      }
      out += v;
      i = close;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += value(std::string(1, s[i + 1]));
      ++i;
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

// A flag word spelled so that the engine's flag parser (which reads quotes and
// backslashes) and ours could disagree on its name or value.
bool AmbiguousFlag(std::string_view word, char escape) {
  return word.find_first_of("'\"\\") != std::string_view::npos || word.find(escape) != std::string_view::npos;
}

Result<FileArgs> ReadFileArgs(const Instruction& inst, char escape) {
  FileArgs a;
  auto words = Words(inst.rest);
  size_t i = 0;
  for (; i < words.size() && words[i].starts_with("--"); ++i) {
    if (AmbiguousFlag(words[i], escape)) {
      return InvalidArgument(fmt::format("Dockerfile line {}: {} {}: write flags without quotes or escapes",
                                         inst.line, inst.keyword, words[i]));
    }
    auto eq = words[i].find('=');
    a.flags[Lower(words[i].substr(0, eq))] = eq == std::string::npos ? "" : words[i].substr(eq + 1);
  }
  std::string tail;
  for (size_t k = i; k < words.size(); ++k) tail += (tail.empty() ? "" : " ") + words[k];
  if (tail.starts_with('[')) {
    // The engine takes the JSON form when the text starts with a JSON array,
    // whatever follows it: only a whole, plain array is read the same here.
    auto json = nlohmann::json::parse(tail, nullptr, false);
    bool strings = json.is_array() && std::all_of(json.begin(), json.end(), [](const auto& v) { return v.is_string(); });
    if (!strings) {
      return InvalidArgument(fmt::format(
          "Dockerfile line {}: {} [...]: write the JSON form as one JSON array of strings with nothing after it",
          inst.line, inst.keyword));
    }
    for (const auto& item : json) a.paths.push_back(item.get<std::string>());
    return a;
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
  // A stage's name stands for it once the stage has ended (at the next
  // FROM); before that, the engine reads the name as an image.
  std::set<std::string> stages;
  std::string stage_ending;
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
        std::string name = word.substr(0, eq);
        if (!IsArgName(name)) {
          return InvalidArgument(fmt::format(
              "Dockerfile line {}: ARG {}: an ARG name is letters, digits and '_', not starting with a digit",
              inst.line, name));
        }
        auto value = eq == std::string::npos ? std::optional<std::string>("")
                                              : Expand(Unquote(word.substr(eq + 1)), global_args, escape);
        if (!value) {
          return InvalidArgument(fmt::format(
              "Dockerfile line {}: ARG {}: use $NAME, ${{NAME}}, ${{NAME:-word}} or ${{NAME:+word}} before the "
              "first FROM",
              inst.line, word));
        }
        global_args[name] = *value;
      }
    } else if (inst.keyword == "FROM") {
      seen_from = true;
      if (!stage_ending.empty()) stages.insert(stage_ending);
      stage_ending.clear();
      auto words = Words(inst.rest);
      size_t i = 0;
      for (; i < words.size() && words[i].starts_with("--"); ++i) {
        if (AmbiguousFlag(words[i], escape)) {
          return InvalidArgument(
              fmt::format("Dockerfile line {}: FROM {}: write flags without quotes or escapes", inst.line, words[i]));
        }
      }
      if (i >= words.size()) {
        return InvalidArgument(fmt::format("Dockerfile line {}: FROM names no image", inst.line));
      }
      auto name = Expand(words[i], global_args, escape);
      if (!name) {
        return InvalidArgument(fmt::format(
            "Dockerfile line {}: FROM {}: use $NAME, ${{NAME}}, ${{NAME:-word}} or ${{NAME:+word}} of a global ARG",
            inst.line, words[i]));
      }
      if (name->empty()) {
        return InvalidArgument(fmt::format(
            "Dockerfile line {}: FROM {} names no image (an ARG declared before the first FROM gives it a value)",
            inst.line, words[i]));
      }
      if (!stages.contains(Lower(*name))) images.push_back({inst.line, "FROM", *name});
      if (i + 2 < words.size() && Lower(words[i + 1]) == "as") stage_ending = Lower(words[i + 2]);
    } else if (inst.keyword == "ADD") {
      auto args = ReadFileArgs(inst, escape);
      if (!args) return std::unexpected(args.error());
      for (size_t k = 0; k + 1 < args->paths.size(); ++k) {
        const std::string& source = args->paths[k];
        if (IsUrl(source)) {
          return InvalidArgument(fmt::format(
              "Dockerfile line {}: ADD {} would be fetched by the Docker engine from the server's own network, "
              "outside the build's fence. Download it inside the build instead, for example "
              "RUN curl -fsSL -o {} '{}'",
              inst.line, source, args->paths.back(), source));
        }
        // The engine expands these before it decides whether a source is a URL.
        if (source.find_first_of("$'\"\\") != std::string::npos || source.find(escape) != std::string::npos) {
          return InvalidArgument(fmt::format(
              "Dockerfile line {}: ADD {}: an ADD source cannot use variables, quotes or escapes; COPY a file of "
              "the repository, or RUN curl to download one",
              inst.line, source));
        }
      }
    } else if (inst.keyword == "COPY") {
      auto args = ReadFileArgs(inst, escape);
      if (!args) return std::unexpected(args.error());
      auto from = args->flags.find("--from");
      if (from == args->flags.end()) continue;
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
