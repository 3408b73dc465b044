#include "runtime/support/Json.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <map>
#include <system_error>

namespace ds4 {
namespace json {

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Int:
    return "integer";
  case Kind::Double:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "?";
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.int_ = i;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.kind_ = Kind::Double;
  v.double_ = d;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}
Value Value::array(std::vector<Value> elements) {
  Value v;
  v.kind_ = Kind::Array;
  v.array_ = std::move(elements);
  return v;
}
Value Value::object(std::vector<Member> members) {
  Value v;
  v.kind_ = Kind::Object;
  v.object_ = std::move(members);
  return v;
}

bool Value::asBool() const {
  assert(isBool());
  return isBool() && bool_;
}
int64_t Value::asInt() const {
  assert(isInt());
  return isInt() ? int_ : 0;
}
double Value::asDouble() const {
  assert(isNumber());
  if (isInt())
    return static_cast<double>(int_);
  return isDouble() ? double_ : 0.0;
}
const std::string &Value::asString() const {
  assert(isString());
  return string_; // empty unless a string
}
const std::vector<Value> &Value::asArray() const {
  assert(isArray());
  return array_;
}
const std::vector<Member> &Value::asObject() const {
  assert(isObject());
  return object_;
}
const Value *Value::find(std::string_view key) const {
  if (!isObject())
    return nullptr;
  for (const Member &m : object_)
    if (m.key == key)
      return &m.value;
  return nullptr;
}

std::string quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (u < 0x20) {
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;
      }
    }
  }
  out += '"';
  return out;
}

namespace {

class Parser {
public:
  Parser(std::string_view text, const ParseOptions &options) : text_(text), options_(options) {}

  Expected<Value> run() {
    Value v;
    skipSpace();
    if (!parseValue(v, 0))
      return Status::error(error_);
    skipSpace();
    if (pos_ != text_.size()) {
      fail(pos_, "unexpected '" + printable(text_[pos_]) + "' after the JSON value");
      return Status::error(error_);
    }
    if (!duplicates_.empty())
      return Status::errors(std::move(duplicates_));
    return v;
  }

private:
  std::string_view text_;
  const ParseOptions &options_;
  size_t pos_ = 0;
  std::string error_;
  std::vector<std::string> duplicates_;

  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
      return std::string(1, c);
    static const char kHex[] = "0123456789abcdef";
    return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
  }

  std::string where(size_t at) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "byte " + std::to_string(at) + " (line " + std::to_string(line) + ", column " +
           std::to_string(column) + ")";
  }

  bool fail(size_t at, const std::string &what) {
    if (error_.empty())
      error_ = where(at) + ": " + what;
    return false;
  }

  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skipSpace() {
    while (!atEnd()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        ++pos_;
      else
        break;
    }
  }

  bool expectLiteral(const char *word, size_t len) {
    if (text_.substr(pos_, len) != std::string_view(word, len))
      return fail(pos_, "invalid literal (expected '" + std::string(word, len) + "')");
    pos_ += len;
    return true;
  }

  bool parseValue(Value &out, size_t depth) {
    if (atEnd())
      return fail(pos_, "unexpected end of input, expected a value");
    size_t start = pos_;
    char c = peek();
    bool ok;
    switch (c) {
    case '{':
      ok = parseObject(out, depth + 1);
      break;
    case '[':
      ok = parseArray(out, depth + 1);
      break;
    case '"': {
      std::string s;
      ok = parseString(s);
      if (ok)
        out = Value::string(std::move(s));
      break;
    }
    case 't':
      ok = expectLiteral("true", 4);
      if (ok)
        out = Value::boolean(true);
      break;
    case 'f':
      ok = expectLiteral("false", 5);
      if (ok)
        out = Value::boolean(false);
      break;
    case 'n':
      ok = expectLiteral("null", 4);
      if (ok)
        out = Value::null();
      break;
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        ok = parseNumber(out);
      else
        ok = fail(pos_, "unexpected '" + printable(c) + "', expected a value");
    }
    if (ok)
      out.setOffset(start);
    return ok;
  }

  bool checkDepth(size_t depth) {
    if (depth > options_.maxDepth)
      return fail(pos_, "nesting deeper than " + std::to_string(options_.maxDepth) + " levels");
    return true;
  }

  bool parseArray(Value &out, size_t depth) {
    if (!checkDepth(depth))
      return false;
    ++pos_; // '['
    std::vector<Value> elements;
    skipSpace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      out = Value::array(std::move(elements));
      return true;
    }
    for (;;) {
      skipSpace();
      Value v;
      if (!parseValue(v, depth))
        return false;
      elements.push_back(std::move(v));
      skipSpace();
      if (atEnd())
        return fail(pos_, "unexpected end of input in array, expected ',' or ']'");
      char c = peek();
      if (c == ',') {
        ++pos_;
        skipSpace();
        if (!atEnd() && peek() == ']')
          return fail(pos_, "trailing comma in array");
        continue;
      }
      if (c == ']') {
        ++pos_;
        break;
      }
      return fail(pos_, "unexpected '" + printable(c) + "' in array, expected ',' or ']'");
    }
    out = Value::array(std::move(elements));
    return true;
  }

  bool parseObject(Value &out, size_t depth) {
    if (!checkDepth(depth))
      return false;
    ++pos_; // '{'
    std::vector<Member> members;
    std::map<std::string, size_t, std::less<>> seen; // key -> offset of its first occurrence
    skipSpace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      out = Value::object(std::move(members));
      return true;
    }
    for (;;) {
      skipSpace();
      if (atEnd())
        return fail(pos_, "unexpected end of input in object, expected a key");
      if (peek() != '"')
        return fail(pos_,
                    "unexpected '" + printable(peek()) + "' in object, expected a string key");
      Member m;
      m.keyOffset = pos_;
      if (!parseString(m.key))
        return false;
      skipSpace();
      if (atEnd() || peek() != ':')
        return fail(pos_, "expected ':' after object key " + quote(m.key));
      ++pos_;
      skipSpace();
      if (!parseValue(m.value, depth))
        return false;
      auto inserted = seen.emplace(m.key, m.keyOffset);
      bool keep = true;
      if (!inserted.second && options_.duplicateKeys == DuplicateKeys::Reject) {
        duplicates_.push_back(where(m.keyOffset) + ": duplicate key " + quote(m.key) +
                              " (first at byte " + std::to_string(inserted.first->second) + ")");
        keep = false;
      }
      if (keep)
        members.push_back(std::move(m));
      skipSpace();
      if (atEnd())
        return fail(pos_, "unexpected end of input in object, expected ',' or '}'");
      char c = peek();
      if (c == ',') {
        ++pos_;
        skipSpace();
        if (!atEnd() && peek() == '}')
          return fail(pos_, "trailing comma in object");
        continue;
      }
      if (c == '}') {
        ++pos_;
        break;
      }
      return fail(pos_, "unexpected '" + printable(c) + "' in object, expected ',' or '}'");
    }
    out = Value::object(std::move(members));
    return true;
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u" at pos_ (pos_ at the first digit).
  bool parseHex4(uint32_t &out) {
    if (text_.size() - pos_ < 4)
      return fail(pos_, "truncated \\u escape");
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      int h = hexValue(text_[pos_ + i]);
      if (h < 0)
        return fail(pos_ + i,
                    "invalid hex digit '" + printable(text_[pos_ + i]) + "' in \\u escape");
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    out = v;
    return true;
  }

  static void appendUtf8(std::string &s, uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Length of the well-formed UTF-8 sequence starting at `at` (a byte >= 0x80), or 0.
  size_t utf8SequenceLength(size_t at) const {
    auto byte = [&](size_t i) -> unsigned {
      return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0x100u;
    };
    unsigned b0 = byte(at);
    auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
      unsigned b = byte(i);
      return b >= lo && b <= hi;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF)
      return cont(at + 1) ? 2 : 0;
    if (b0 == 0xE0)
      return cont(at + 1, 0xA0, 0xBF) && cont(at + 2) ? 3 : 0;
    if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF)
      return cont(at + 1) && cont(at + 2) ? 3 : 0;
    if (b0 == 0xED) // excludes the UTF-16 surrogates U+D800..U+DFFF
      return cont(at + 1, 0x80, 0x9F) && cont(at + 2) ? 3 : 0;
    if (b0 == 0xF0)
      return cont(at + 1, 0x90, 0xBF) && cont(at + 2) && cont(at + 3) ? 4 : 0;
    if (b0 >= 0xF1 && b0 <= 0xF3)
      return cont(at + 1) && cont(at + 2) && cont(at + 3) ? 4 : 0;
    if (b0 == 0xF4) // up to U+10FFFF
      return cont(at + 1, 0x80, 0x8F) && cont(at + 2) && cont(at + 3) ? 4 : 0;
    return 0;
  }

  bool parseString(std::string &out) {
    size_t open = pos_;
    ++pos_; // '"'
    out.clear();
    for (;;) {
      if (atEnd())
        return fail(open, "unterminated string");
      char c = peek();
      unsigned char u = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (u < 0x20)
        return fail(pos_, "unescaped control character " + printable(c) + " in string");
      if (u >= 0x80) {
        size_t n = utf8SequenceLength(pos_);
        if (n == 0)
          return fail(pos_, "invalid UTF-8 in string");
        out.append(text_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      size_t escape = pos_;
      ++pos_;
      if (atEnd())
        return fail(open, "unterminated string");
      char e = peek();
      ++pos_;
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return fail(escape, "lone low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (text_.substr(pos_, 2) != "\\u")
            return fail(escape, "high surrogate \\u escape not followed by a low surrogate");
          size_t second = pos_;
          pos_ += 2;
          uint32_t lo;
          if (!parseHex4(lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(second, "high surrogate \\u escape not followed by a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(escape, "invalid escape '\\" + printable(e) + "' in string");
      }
    }
  }

  bool parseNumber(Value &out) {
    size_t start = pos_;
    size_t i = pos_;
    auto digit = [&](size_t k) { return k < text_.size() && text_[k] >= '0' && text_[k] <= '9'; };
    bool negative = false;
    if (text_[i] == '-') {
      negative = true;
      ++i;
    }
    if (!digit(i))
      return fail(i, "expected a digit in number");
    // Significant digits and where the first nonzero one sits (for under/overflow diagnosis).
    long intDigits = 0; // digits of the integer part after leading zeros
    if (text_[i] == '0') {
      ++i;
      if (digit(i))
        return fail(i, "leading zero in number");
    } else {
      while (digit(i)) {
        ++intDigits;
        ++i;
      }
    }
    bool isInteger = true;
    long leadingFractionZeros = 0;
    bool fractionNonzero = false;
    if (i < text_.size() && text_[i] == '.') {
      isInteger = false;
      ++i;
      if (!digit(i))
        return fail(i, "expected a digit after '.' in number");
      while (digit(i)) {
        if (!fractionNonzero && text_[i] == '0')
          ++leadingFractionZeros;
        else
          fractionNonzero = true;
        ++i;
      }
    }
    long exponent = 0;
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      isInteger = false;
      ++i;
      bool expNegative = false;
      if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) {
        expNegative = text_[i] == '-';
        ++i;
      }
      if (!digit(i))
        return fail(i, "expected a digit in number exponent");
      while (digit(i)) {
        if (exponent < 100000000)
          exponent = exponent * 10 + (text_[i] - '0');
        ++i;
      }
      if (expNegative)
        exponent = -exponent;
    }
    std::string_view literal = text_.substr(start, i - start);
    pos_ = i;

    if (isInteger) {
      // Accumulate negatively so INT64_MIN is representable.
      int64_t v = 0;
      for (size_t k = negative ? 1 : 0; k < literal.size(); ++k) {
        int d = literal[k] - '0';
        if (v < (INT64_MIN + d) / 10)
          return fail(start, "integer " + std::string(literal) + " is out of the int64 range");
        v = v * 10 - d;
      }
      if (!negative) {
        if (v == INT64_MIN)
          return fail(start, "integer " + std::string(literal) + " is out of the int64 range");
        v = -v;
      }
      out = Value::integer(v);
      return true;
    }

    double d = 0.0;
    auto result = std::from_chars(literal.data(), literal.data() + literal.size(), d,
                                  std::chars_format::general);
    if (result.ec == std::errc::result_out_of_range) {
      // Decimal magnitude of the first significant digit: negative means underflow.
      long magnitude = intDigits > 0
                           ? intDigits - 1 + exponent
                           : (fractionNonzero ? -(leadingFractionZeros + 1) + exponent : -1);
      if (magnitude >= 0)
        return fail(start, "number " + std::string(literal) + " is out of the double range");
      d = negative ? -0.0 : 0.0;
    } else if (result.ec != std::errc() || result.ptr != literal.data() + literal.size()) {
      return fail(start, "malformed number " + std::string(literal));
    } else if (!std::isfinite(d)) {
      return fail(start, "number " + std::string(literal) + " is out of the double range");
    }
    out = Value::number(d);
    return true;
  }
};

} // namespace

Expected<Value> parse(std::string_view text, const ParseOptions &options) {
  return Parser(text, options).run();
}

} // namespace json
} // namespace ds4
