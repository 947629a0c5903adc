//===- Mail.cpp - Mail folders as a text classification set ---------------===//

#include "dream/Runtime/Mail.h"

#include "dream/Runtime/Folders.h"
#include "dream/Runtime/Idx.h"

#include <cctype>
#include <cerrno>
#include <iconv.h>
#include <map>

namespace dream::rt {
namespace {

std::string lower(std::string text) {
  for (char &c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string &text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos)
    return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

/// One line of `text` from `at` (without its line break); moves `at` past
/// it.
std::string nextLine(const std::string &text, size_t &at) {
  size_t end = text.find('\n', at);
  if (end == std::string::npos)
    end = text.size();
  std::string line = text.substr(at, end - at);
  at = std::min(end + 1, text.size());
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

/// A mail or a MIME part: headers (names in lower case) and body.
struct Entity {
  std::map<std::string, std::string> headers;
  std::string body;

  std::string header(const std::string &name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// Splits `text` at the first empty line. A mail must start with a header
/// (an mbox "From " line before it is skipped); a MIME part may have none.
Entity parseEntity(const std::string &text, const std::string &where,
                   bool isMail) {
  Entity entity;
  size_t at = 0, lineNumber = 0;
  std::string name;
  while (at < text.size()) {
    size_t lineStart = at;
    std::string line = nextLine(text, at);
    ++lineNumber;
    if (line.empty())
      break;
    if (isMail && lineNumber == 1 && line.rfind("From ", 0) == 0)
      continue;
    if ((line[0] == ' ' || line[0] == '\t') && !name.empty()) {
      entity.headers[name] += " " + trim(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0 ||
        line.find_first_of(" \t") < colon) {
      if (isMail)
        throw DataError(where + ": line " + std::to_string(lineNumber) +
                        " is not a mail header (Name: value); is this a "
                        "raw mail?");
      at = lineStart; // A part without headers: its body starts here.
      break;
    }
    name = lower(line.substr(0, colon));
    entity.headers[name] = trim(line.substr(colon + 1));
  }
  entity.body = text.substr(at);
  return entity;
}

/// The value of a structured header ("text/plain") in lower case, and its
/// parameters (boundary="..."), names in lower case.
std::string headerValue(const std::string &header,
                        std::map<std::string, std::string> *params = nullptr) {
  size_t semicolon = header.find(';');
  std::string value = lower(trim(header.substr(0, semicolon)));
  while (params && semicolon != std::string::npos) {
    size_t next = header.find(';', semicolon + 1);
    std::string param = header.substr(semicolon + 1, next - semicolon - 1);
    size_t equals = param.find('=');
    if (equals != std::string::npos) {
      std::string text = trim(param.substr(equals + 1));
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
      (*params)[lower(trim(param.substr(0, equals)))] = text;
    }
    semicolon = next;
  }
  return value;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/// RFC 2045 quoted-printable: `=XX` bytes and `=` soft line breaks; a
/// stray `=` is kept, as mail readers do.
std::string decodeQuotedPrintable(const std::string &text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (text.compare(i + 1, 1, "\n") == 0) {
      i += 1;
    } else if (text.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (i + 2 < text.size() && hexDigit(text[i + 1]) >= 0 &&
               hexDigit(text[i + 2]) >= 0) {
      out +=
          static_cast<char>(hexDigit(text[i + 1]) * 16 + hexDigit(text[i + 2]));
      i += 2;
    } else {
      out += '=';
    }
  }
  return out;
}

std::string decodeBase64(const std::string &text, const std::string &where) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (c == '=')
      break;
    size_t value = alphabet.find(c);
    if (value == std::string::npos)
      throw DataError(where + ": '" + std::string(1, c) +
                      "' is not a base64 character");
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if ((count += 6) >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::string decodeBody(const Entity &entity, const std::string &where) {
  std::string encoding =
      headerValue(entity.header("content-transfer-encoding"));
  if (encoding == "quoted-printable")
    return decodeQuotedPrintable(entity.body);
  if (encoding == "base64")
    return decodeBase64(entity.body, where);
  return entity.body;
}

/// The parts of a multipart body: the text between `--boundary` lines,
/// up to `--boundary--` (or the end, for a mail cut short).
std::vector<std::string> splitMultipart(const std::string &body,
                                        const std::string &boundary) {
  std::vector<std::string> parts;
  std::string delimiter = "--" + boundary;
  bool inPart = false;
  std::string part;
  for (size_t at = 0; at < body.size();) {
    std::string line = nextLine(body, at);
    if (line.rfind(delimiter, 0) == 0) {
      if (inPart)
        parts.push_back(std::move(part));
      part.clear();
      inPart = true;
      if (line.compare(delimiter.size(), 2, "--") == 0)
        return parts;
      continue;
    }
    if (inPart)
      part += line + "\n";
  }
  if (inPart)
    parts.push_back(std::move(part));
  return parts;
}

/// How deep multiparts and attached messages may nest: a crafted mail
/// could otherwise exhaust the stack.
constexpr int kMaxMimeDepth = 32;

/// Appends the text of `entity` (nested `depth` levels deep) to `out`;
/// false if it has no text part.
bool appendText(const Entity &entity, const std::string &where,
                std::string &out, int depth);

bool appendMultipart(const Entity &entity, const std::string &subtype,
                     const std::string &boundary, const std::string &where,
                     std::string &out, int depth) {
  if (boundary.empty())
    throw DataError(where + ": a multipart body without a boundary "
                            "parameter in its Content-Type");
  std::vector<std::string> parts = splitMultipart(entity.body, boundary);
  bool found = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string partWhere = where + ": MIME part " + std::to_string(i + 1);
    std::string text;
    if (!appendText(parseEntity(parts[i], partWhere, false), partWhere, text,
                    depth + 1))
      continue;
    // The alternatives of one content: the first is the plainest.
    out += text;
    found = true;
    if (subtype == "alternative")
      break;
  }
  return found;
}

/// `text` in `charset` (a Content-Type parameter; none: US-ASCII) as
/// UTF-8, converted by glibc's iconv. An unknown charset, or bytes that are
/// not text in it, are refused naming the part.
std::string toUtf8(const std::string &text, std::string charset,
                   const std::string &where) {
  charset = lower(charset);
  if (charset.empty() || charset == "utf-8" || charset == "utf8" ||
      charset == "us-ascii")
    return text; // UTF-8 as it is; ASCII is UTF-8.
  iconv_t convert = ::iconv_open("UTF-8", charset.c_str());
  if (convert == reinterpret_cast<iconv_t>(-1))
    throw DataError(where + ": unknown charset '" + charset + "'");
  std::string out(text.size() * 4 + 16, '\0');
  char *in = const_cast<char *>(text.data());
  size_t inLeft = text.size(), outLeft = out.size();
  char *next = out.data();
  size_t result = ::iconv(convert, &in, &inLeft, &next, &outLeft);
  if (result != static_cast<size_t>(-1))
    result = ::iconv(convert, nullptr, nullptr, &next, &outLeft); // Shift back.
  int error = errno;
  ::iconv_close(convert);
  if (result == static_cast<size_t>(-1))
    throw DataError(where + ": byte " +
                    std::to_string(text.size() - inLeft + 1) +
                    " is not text in charset '" + charset + "'" +
                    (error == EINVAL ? " (cut short)" : ""));
  out.resize(out.size() - outLeft);
  return out;
}

bool appendText(const Entity &entity, const std::string &where,
                std::string &out, int depth) {
  if (depth > kMaxMimeDepth)
    throw DataError(where + ": MIME parts nest deeper than " +
                    std::to_string(kMaxMimeDepth) + " levels");
  std::map<std::string, std::string> params;
  std::string type = headerValue(entity.header("content-type"), &params);
  if (type.empty())
    type = "text/plain";
  if (type.rfind("multipart/", 0) == 0)
    return appendMultipart(entity, type.substr(10), params["boundary"], where,
                           out, depth);
  if (type == "message/rfc822")
    return appendText(parseEntity(decodeBody(entity, where), where, true),
                      where, out, depth + 1);
  if ((type != "text/plain" && type != "text/html") ||
      headerValue(entity.header("content-disposition")) == "attachment")
    return false;
  std::string text = decodeBody(entity, where);
  checkText(text, where + ": " + type + " part");
  text = toUtf8(text, params["charset"], where + ": " + type + " part");
  out += (type == "text/html" ? htmlToText(text) : text) + "\n";
  return true;
}

/// The character `code` in UTF-8.
std::string utf8(unsigned long code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | ((code >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
  return out;
}

/// The text of the entity `&name;` (`name` without & and ;), or "" if
/// unknown.
std::string entityText(const std::string &name) {
  static const std::map<std::string, std::string> named = {
      {"amp", "&"},   {"lt", "<"},   {"gt", ">"},
      {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  if (name.size() > 1 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 6 ||
        digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                     : "0123456789") != std::string::npos)
      return "";
    unsigned long code = std::stoul(digits, nullptr, hex ? 16 : 10);
    return code > 0 && code <= 0x10ffff ? utf8(code) : "";
  }
  auto it = named.find(name);
  return it == named.end() ? "" : it->second;
}

bool isBlockTag(const std::string &name) {
  static const char *blocks[] = {"br", "p",     "div", "li", "tr",
                                 "h1", "h2",    "h3",  "h4", "h5",
                                 "h6", "table", "ul",  "ol", "blockquote"};
  for (const char *block : blocks)
    if (name == block)
      return true;
  return false;
}

} // namespace

std::string htmlToText(const std::string &html) {
  const std::string lowered = lower(html);
  std::string out;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<' && html.compare(i, 4, "<!--") == 0) {
      size_t end = html.find("-->", i + 4);
      i = end == std::string::npos ? html.size() : end + 2;
    } else if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string::npos)
        end = html.size();
      std::string tag = lowered.substr(i + 1, end - i - 1);
      std::string name = tag.substr(tag[0] == '/' ? 1 : 0);
      name = name.substr(0, name.find_first_of(" \t\r\n/"));
      if ((name == "script" || name == "style") && tag[0] != '/') {
        size_t close = lowered.find("</" + name, end);
        end = close == std::string::npos ? html.size() : html.find('>', close);
        if (end == std::string::npos)
          end = html.size();
      }
      out += isBlockTag(name) ? '\n' : ' ';
      i = end;
    } else if (c == '&') {
      size_t end = html.find(';', i);
      std::string text = end != std::string::npos && end - i <= 10
                             ? entityText(html.substr(i + 1, end - i - 1))
                             : "";
      if (text.empty()) {
        out += c;
      } else {
        out += text;
        i = end;
      }
    } else {
      out += c;
    }
  }
  return out;
}

std::string mailText(const std::string &mail, const std::string &path) {
  std::string text;
  if (!appendText(parseEntity(mail, path, true), path, text, 0))
    throw DataError(path + ": the mail has no text part (text/plain or "
                           "text/html)");
  return text;
}

TextSplits readMailFolders(const std::string &dir) {
  ClassFolders folders =
      listClassFolders(dir, [](const std::string &) { return true; });
  TextSplits set;
  set.classes = static_cast<int64_t>(folders.classes.size());
  for (auto [files, texts] : {std::pair(&folders.train, &set.train),
                              std::pair(&folders.test, &set.test)})
    for (const LabelledFile &file : *files) {
      std::vector<uint8_t> bytes = readDataFile(file.path);
      texts->texts.push_back(
          mailText(std::string(bytes.begin(), bytes.end()), file.path));
      texts->labels.push_back(file.label);
    }
  return set;
}

} // namespace dream::rt
