// A small, strict JSON (RFC 8259) reader, plus quoting for writers.
//
// Strict means: exactly one value surrounded only by JSON whitespace (space, tab, LF, CR);
// no comments, trailing commas, single quotes, NaN/Infinity, leading '+' or zeros, control
// characters in strings, invalid UTF-8 (overlong forms, surrogates, > U+10FFFF) or lone
// surrogate escapes.  Integers (no fraction, no exponent) are kept exactly as int64 and a
// literal outside int64 is an error; other numbers are doubles (overflow to infinity is an
// error, underflow gives zero).  Object members keep their order.  Duplicate keys are all
// reported (default) or kept (DuplicateKeys::Keep, for callers that report them themselves).
// Nesting is limited (ParseOptions::maxDepth).  Every error names its byte offset.
//
// Plain C++17, no LLVM/MLIR, no exceptions.
#ifndef DS4_RUNTIME_SUPPORT_JSON_H
#define DS4_RUNTIME_SUPPORT_JSON_H

#include "runtime/support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ds4 {
namespace json {

enum class Kind { Null, Bool, Int, Double, String, Array, Object };

/// "null", "boolean", "integer", "number", "string", "array", "object".
const char *kindName(Kind kind);

struct Member;

class Value {
public:
  /// null.
  Value() = default;

  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value array(std::vector<Value> elements);
  static Value object(std::vector<Member> members);

  Kind kind() const { return kind_; }
  const char *kindName() const { return json::kindName(kind_); }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  /// An integer literal that fits int64.
  bool isInt() const { return kind_ == Kind::Int; }
  bool isDouble() const { return kind_ == Kind::Double; }
  /// Int or Double.
  bool isNumber() const { return kind_ == Kind::Int || kind_ == Kind::Double; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  // Accessors: calling one on the wrong kind asserts in debug builds and returns a default
  // (false, 0, empty) otherwise.
  bool asBool() const;
  int64_t asInt() const;
  /// Int converted to double, or the Double.
  double asDouble() const;
  const std::string &asString() const;
  const std::vector<Value> &asArray() const;
  const std::vector<Member> &asObject() const;

  /// Object: the first member named `key`, or nullptr (also nullptr for non-objects).
  const Value *find(std::string_view key) const;

  /// Byte offset of the value's first character in the parsed text (0 for built values).
  size_t offset() const { return offset_; }
  void setOffset(size_t offset) { offset_ = offset; }

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  std::vector<Value> array_;
  std::vector<Member> object_;
  size_t offset_ = 0;
};

struct Member {
  std::string key;
  Value value;
  /// Byte offset of the key's opening quote in the parsed text.
  size_t keyOffset = 0;
};

enum class DuplicateKeys {
  /// Parsing fails, naming every duplicate key (and where it first appeared).
  Reject,
  /// Every member is kept in order; Value::find returns the first.
  Keep,
};

struct ParseOptions {
  /// Arrays and objects nested deeper than this are an error.
  size_t maxDepth = 128;
  DuplicateKeys duplicateKeys = DuplicateKeys::Reject;
};

/// Parses exactly one JSON value.  Failure messages read
/// "byte N (line L, column C): what went wrong"; duplicate keys give one message each.
Expected<Value> parse(std::string_view text, const ParseOptions &options = ParseOptions());

/// `s` as a JSON string literal with its quotes (", \ and control characters escaped; other
/// bytes copied as they are, so valid UTF-8 in gives valid JSON out).
std::string quote(std::string_view s);

} // namespace json
} // namespace ds4

#endif // DS4_RUNTIME_SUPPORT_JSON_H
