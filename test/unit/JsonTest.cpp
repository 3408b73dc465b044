// Tests of runtime/support/Json: the strict JSON reader used for safetensors headers, shard
// indexes and configs.  Each rejection test checks the message and its byte offset.
#include "runtime/support/Json.h"

#include "test/unit/Expect.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using ds4::Expected;
using ds4::json::DuplicateKeys;
using ds4::json::Kind;
using ds4::json::parse;
using ds4::json::ParseOptions;
using ds4::json::quote;
using ds4::json::Value;

using ::ds4::test::contains;

namespace {

Value parseOk(std::string_view text, const ParseOptions &options = ParseOptions()) {
  Expected<Value> v = parse(text, options);
  EXPECT_TRUE(v.ok()) << "input: " << text << "\nerror: " << v.status().message();
  return v.ok() ? std::move(v).value() : Value();
}

// The single error message for `text`, which must be rejected.
std::string parseError(std::string_view text, const ParseOptions &options = ParseOptions()) {
  Expected<Value> v = parse(text, options);
  EXPECT_FALSE(v.ok()) << "accepted: " << text;
  if (v.ok())
    return "";
  EXPECT_EQ(v.status().messages().size(), 1u) << v.status().message();
  return v.status().message();
}


TEST(Json, Literals) {
  EXPECT_TRUE(parseOk("null").isNull());
  Value t = parseOk("true"), f = parseOk("false");
  ASSERT_TRUE(t.isBool());
  ASSERT_TRUE(f.isBool());
  EXPECT_TRUE(t.asBool());
  EXPECT_FALSE(f.asBool());
  EXPECT_CONTAINS(parseError("nul"), "byte 0");
  EXPECT_CONTAINS(parseError("ture"), "invalid literal");
  EXPECT_CONTAINS(parseError("True"), "unexpected 'T'");
  EXPECT_CONTAINS(parseError("nullx"), "byte 4");
}

TEST(Json, Integers) {
  struct Case {
    const char *text;
    int64_t value;
  } cases[] = {{"0", 0},
               {"-0", 0},
               {"7", 7},
               {"-12", -12},
               {"1234567890123", 1234567890123},
               {"9223372036854775807", INT64_MAX},
               {"-9223372036854775808", INT64_MIN}};
  for (const Case &c : cases) {
    Value v = parseOk(c.text);
    ASSERT_TRUE(v.isInt()) << c.text;
    EXPECT_TRUE(v.isNumber());
    EXPECT_EQ(v.asInt(), c.value) << c.text;
    EXPECT_EQ(v.asDouble(), static_cast<double>(c.value));
  }
}

TEST(Json, IntegerOverflowIsRejected) {
  EXPECT_EQ(parseError("9223372036854775808"),
            "byte 0 (line 1, column 1): integer 9223372036854775808 is out of the int64 range");
  EXPECT_CONTAINS(parseError("-9223372036854775809"), "out of the int64 range");
  EXPECT_CONTAINS(parseError("[1, 99999999999999999999999]"), "byte 4");
  EXPECT_CONTAINS(parseError("18446744073709551616"), "out of the int64 range");
}

TEST(Json, Doubles) {
  struct Case {
    const char *text;
    double value;
  } cases[] = {{"1.5", 1.5},
               {"-2e3", -2000.0},
               {"1E+2", 100.0},
               {"0.1", 0.1},
               {"2.5e-3", 0.0025},
               {"0e0", 0.0},
               {"-0.0", -0.0},
               {"1e308", 1e308},
               {"123456789012345678901234567890.0", 123456789012345678901234567890.0}};
  for (const Case &c : cases) {
    Value v = parseOk(c.text);
    ASSERT_TRUE(v.isDouble()) << c.text;
    EXPECT_EQ(v.asDouble(), c.value) << c.text;
  }
  // Underflow rounds to zero; overflow is an error.
  Value tiny = parseOk("1e-400");
  ASSERT_TRUE(tiny.isDouble());
  EXPECT_EQ(tiny.asDouble(), 0.0);
  EXPECT_GT(parseOk("5e-324").asDouble(), 0.0); // the smallest subnormal
  EXPECT_CONTAINS(parseError("1e400"), "out of the double range");
  EXPECT_CONTAINS(parseError("-1e309"), "out of the double range");
}

TEST(Json, MalformedNumbers) {
  EXPECT_EQ(parseError("01"), "byte 1 (line 1, column 2): leading zero in number");
  EXPECT_CONTAINS(parseError("-01"), "leading zero");
  EXPECT_CONTAINS(parseError("+1"), "unexpected '+'");
  EXPECT_CONTAINS(parseError("1."), "expected a digit after '.'");
  EXPECT_CONTAINS(parseError(".5"), "unexpected '.'");
  EXPECT_CONTAINS(parseError("-"), "expected a digit");
  EXPECT_CONTAINS(parseError("1e"), "exponent");
  EXPECT_CONTAINS(parseError("1e+"), "exponent");
  EXPECT_CONTAINS(parseError("NaN"), "unexpected 'N'");
  EXPECT_CONTAINS(parseError("Infinity"), "unexpected 'I'");
  EXPECT_CONTAINS(parseError("-Infinity"), "expected a digit");
  EXPECT_CONTAINS(parseError("0x10"), "byte 1");
}

TEST(Json, StringEscapes) {
  Value v = parseOk(R"("a\"b\\c\/d\be\ff\ng\rh\ti")");
  ASSERT_TRUE(v.isString());
  EXPECT_EQ(v.asString(), "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9\u20AC")").asString(), "A\xC3\xA9\xE2\x82\xAC");
  // A surrogate pair becomes one 4-byte UTF-8 sequence (U+1F600).
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parseOk(R"("\uDBFF\uDFFF")").asString(), "\xF4\x8F\xBF\xBF");
  // \u0000 is a legal NUL inside the string.
  EXPECT_EQ(parseOk(R"("a\u0000b")").asString(), std::string("a\0b", 3));
  // Raw UTF-8 is copied through.
  EXPECT_EQ(parseOk("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").asString(),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(parseOk("\"\"").asString(), "");
}

TEST(Json, BadStrings) {
  EXPECT_EQ(parseError(R"("abc)"), "byte 0 (line 1, column 1): unterminated string");
  EXPECT_CONTAINS(parseError(R"(["ab\)"), "unterminated string");
  EXPECT_EQ(parseError(R"("a\x")"), "byte 2 (line 1, column 3): invalid escape '\\x' in string");
  EXPECT_CONTAINS(parseError(R"("\u12")"), "\\u escape");
  EXPECT_CONTAINS(parseError(R"("\u12G4")"), "invalid hex digit 'G'");
  EXPECT_CONTAINS(parseError(R"("\ud83d")"), "not followed by a low surrogate");
  EXPECT_CONTAINS(parseError(R"("\ud83dx")"), "not followed by a low surrogate");
  EXPECT_CONTAINS(parseError(R"("\ud83d\u0041")"), "not followed by a low surrogate");
  EXPECT_CONTAINS(parseError(R"("\ude00")"), "lone low surrogate");
  EXPECT_EQ(parseError("\"a\nb\""),
            "byte 2 (line 1, column 3): unescaped control character \\x0a in string");
  EXPECT_CONTAINS(parseError(std::string("\"a\0b\"", 5)), "unescaped control character");
  EXPECT_CONTAINS(parseError("'single'"), "unexpected '''");
}

TEST(Json, InvalidUtf8IsRejected) {
  const char *bad[] = {
      "\"\x80\"",             // stray continuation byte
      "\"\xC0\x80\"",         // overlong NUL
      "\"\xC1\xBF\"",         // overlong
      "\"\xE0\x80\x80\"",     // overlong 3-byte
      "\"\xED\xA0\x80\"",     // encoded surrogate U+D800
      "\"\xF0\x80\x80\x80\"", // overlong 4-byte
      "\"\xF4\x90\x80\x80\"", // > U+10FFFF
      "\"\xF5\x80\x80\x80\"", // invalid lead byte
      "\"\xFF\"",
      "\"\xC3\"",     // truncated before the quote
      "\"\xE2\x82\"", // truncated
  };
  for (const char *text : bad)
    EXPECT_CONTAINS(parseError(text), "invalid UTF-8") << "input bytes: " << text;
  // Outside strings, non-ASCII is just an unexpected byte.
  EXPECT_CONTAINS(parseError("\xEF\xBB\xBF{}"), "unexpected '\\xef'"); // a BOM
}

TEST(Json, ArraysAndObjectsKeepOrderAndOffsets) {
  Value v = parseOk(R"( {"b": [1, 2.5, "x", null, true, [], {}], "a": {"k": -3}} )");
  ASSERT_TRUE(v.isObject());
  EXPECT_EQ(v.offset(), 1u);
  const auto &members = v.asObject();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].key, "b");
  EXPECT_EQ(members[0].keyOffset, 2u);
  EXPECT_EQ(members[1].key, "a");
  const Value *b = v.find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->isArray());
  EXPECT_EQ(b->offset(), 7u);
  const auto &elements = b->asArray();
  ASSERT_EQ(elements.size(), 7u);
  EXPECT_EQ(elements[0].kind(), Kind::Int);
  EXPECT_EQ(elements[1].kind(), Kind::Double);
  EXPECT_EQ(elements[2].kind(), Kind::String);
  EXPECT_EQ(elements[3].kind(), Kind::Null);
  EXPECT_EQ(elements[4].kind(), Kind::Bool);
  EXPECT_TRUE(elements[5].isArray() && elements[5].asArray().empty());
  EXPECT_TRUE(elements[6].isObject() && elements[6].asObject().empty());
  EXPECT_EQ(elements[2].offset(), 16u);
  ASSERT_NE(v.find("a"), nullptr);
  ASSERT_NE(v.find("a")->find("k"), nullptr);
  EXPECT_EQ(v.find("a")->find("k")->asInt(), -3);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(elements[0].find("x"), nullptr); // find on a non-object
  EXPECT_STREQ(elements[1].kindName(), "number");
  EXPECT_STREQ(elements[0].kindName(), "integer");
}

TEST(Json, StructuralErrorsNameTheirOffset) {
  EXPECT_EQ(parseError("[1,\n 2,]"), "byte 7 (line 2, column 4): trailing comma in array");
  EXPECT_CONTAINS(parseError(R"({"a":1,})"), "trailing comma in object");
  EXPECT_EQ(parseError(R"({"a" 1})"),
            "byte 5 (line 1, column 6): expected ':' after object key \"a\"");
  EXPECT_CONTAINS(parseError(R"({"a":1 "b":2})"), "expected ',' or '}'");
  EXPECT_CONTAINS(parseError("[1 2]"), "expected ',' or ']'");
  EXPECT_CONTAINS(parseError("{a:1}"), "expected a string key");
  EXPECT_CONTAINS(parseError("{1:1}"), "expected a string key");
  EXPECT_CONTAINS(parseError("[1,2"), "unexpected end of input in array");
  EXPECT_CONTAINS(parseError(R"({"a":1)"), "unexpected end of input in object");
  EXPECT_CONTAINS(parseError(R"({"a":)"), "unexpected end of input, expected a value");
  EXPECT_CONTAINS(parseError("[,1]"), "unexpected ','");
  EXPECT_CONTAINS(parseError("// c\n{}"), "unexpected '/'");
  EXPECT_CONTAINS(parseError("{} /* c */"), "after the JSON value");
}

TEST(Json, WholeInputMustBeOneValue) {
  EXPECT_EQ(parseError(""), "byte 0 (line 1, column 1): unexpected end of input, expected a value");
  EXPECT_CONTAINS(parseError(" \n\t "), "unexpected end of input");
  EXPECT_EQ(parseError("{} x"), "byte 3 (line 1, column 4): unexpected 'x' after the JSON value");
  EXPECT_CONTAINS(parseError("1 2"), "byte 2");
  EXPECT_CONTAINS(parseError("{}}"), "after the JSON value");
  EXPECT_CONTAINS(parseError(std::string("{}\0", 3)), "unexpected '\\x00'");
  // JSON whitespace around the value is fine (safetensors pads headers with spaces).
  EXPECT_TRUE(parseOk(" \t\r\n{}  \n ").isObject());
  // Form feed and vertical tab are not JSON whitespace.
  EXPECT_CONTAINS(parseError("\f{}"), "unexpected '\\x0c'");
}

TEST(Json, DuplicateKeysAreAllReported) {
  Expected<Value> v = parse(R"({"a":1,"b":2,"a":3,"c":{"x":1,"x":2},"b":4})");
  ASSERT_FALSE(v.ok());
  const auto &messages = v.status().messages();
  ASSERT_EQ(messages.size(), 3u) << v.status().message();
  EXPECT_EQ(messages[0], "byte 13 (line 1, column 14): duplicate key \"a\" (first at byte 1)");
  EXPECT_CONTAINS(messages[1], "duplicate key \"x\"");
  EXPECT_CONTAINS(messages[2], "duplicate key \"b\" (first at byte 7)");
}

TEST(Json, DuplicateKeysCanBeKept) {
  ParseOptions keep;
  keep.duplicateKeys = DuplicateKeys::Keep;
  Value v = parseOk(R"({"a":1,"b":2,"a":3})", keep);
  ASSERT_EQ(v.asObject().size(), 3u);
  EXPECT_EQ(v.find("a")->asInt(), 1); // the first one
  EXPECT_EQ(v.asObject()[2].key, "a");
  EXPECT_EQ(v.asObject()[2].value.asInt(), 3);
  EXPECT_EQ(v.asObject()[2].keyOffset, 13u);
}

TEST(Json, DepthLimit) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parseOk(nested(128)).isArray());
  EXPECT_EQ(parseError(nested(129)),
            "byte 128 (line 1, column 129): nesting deeper than 128 levels");
  ParseOptions shallow;
  shallow.maxDepth = 2;
  EXPECT_TRUE(parseOk(R"({"a":[1]})", shallow).isObject());
  EXPECT_CONTAINS(parseError(R"({"a":[{}]})", shallow), "nesting deeper than 2");
  // Very deep input fails cleanly instead of exhausting the stack.
  EXPECT_CONTAINS(parseError(std::string(1000000, '[')), "nesting deeper");
  // Scalars have depth 0.
  shallow.maxDepth = 0;
  EXPECT_TRUE(parseOk("3", shallow).isInt());
  EXPECT_CONTAINS(parseError("[]", shallow), "nesting deeper than 0");
}

TEST(Json, QuoteRoundTrips) {
  std::string all;
  for (int c = 1; c < 128; ++c)
    all += static_cast<char>(c);
  all += std::string("\0", 1);
  all += "\xC3\xA9\xF0\x9F\x98\x80";
  std::string quoted = quote(all);
  EXPECT_EQ(quoted.front(), '"');
  EXPECT_EQ(quoted.back(), '"');
  EXPECT_EQ(parseOk(quoted).asString(), all);
  EXPECT_EQ(quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

TEST(Json, BuiltValues) {
  std::vector<ds4::json::Member> members;
  members.push_back({"n", Value::integer(4), 0});
  Value v = Value::object(std::move(members));
  EXPECT_EQ(v.find("n")->asInt(), 4);
  EXPECT_EQ(Value::number(0.5).asDouble(), 0.5);
  EXPECT_EQ(Value::string("s").asString(), "s");
  EXPECT_TRUE(Value::array({Value::boolean(true)}).asArray()[0].asBool());
}

} // namespace
