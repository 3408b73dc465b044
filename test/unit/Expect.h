// Assertions shared by the unit tests.
#ifndef DS4_TEST_UNIT_EXPECT_H
#define DS4_TEST_UNIT_EXPECT_H

#include <string>

namespace ds4::test {

inline bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace ds4::test

/// An error message (or any text) mentions `needle`; prints the text if not.
#define EXPECT_CONTAINS(haystack, needle)                                                          \
  EXPECT_TRUE(::ds4::test::contains(haystack, needle))                                            \
      << "missing '" << (needle) << "' in:\n"                                                      \
      << (haystack)

#endif // DS4_TEST_UNIT_EXPECT_H
