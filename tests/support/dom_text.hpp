// Reading a dashboard page's DOM in tests (browser.hpp dumps it): the
// elements the dashboard marks with data-test="NAME", their text and
// attributes.
#pragma once

#include <string>
#include <vector>

namespace nagare::testing {

// `s` with the HTML entities the DOM serializer writes decoded.
std::string unescape(std::string s);
// The opening tags of the elements with data-test="name", in document order.
std::vector<std::string> tags(const std::string& dom, const std::string& name);
// The text of the elements with data-test="name" (their markup removed, entities decoded).
std::vector<std::string> texts(const std::string& dom, const std::string& name);
// The first of texts(); "" if none.
std::string text(const std::string& dom, const std::string& name);
// An attribute's value in an opening tag, decoded; empty if absent.
std::string attr(const std::string& tag, const std::string& name);
// The <body ...> opening tag.
std::string body_tag(const std::string& dom);
bool contains(const std::string& hay, const std::string& needle);

}  // namespace nagare::testing
