#pragma once
// A list of URLs that is almost always empty (HttpRequest::mirrors): one pointer, allocated only
// when the list has entries, with the value semantics of a vector (copies are deep, == compares
// the entries). ferryd keeps every task's request in memory, and an empty std::vector inline was
// 24 bytes per task (docs/architecture.md, "How ferryd holds its tasks").

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace ferry::model {

class UrlList {
 public:
  UrlList() = default;
  UrlList(std::vector<std::string> urls) { assign(std::move(urls)); }  // NOLINT: a list is a list
  UrlList(std::initializer_list<std::string> urls) : UrlList(std::vector<std::string>(urls)) {}
  UrlList(const UrlList& other) : UrlList(other.items()) {}
  UrlList(UrlList&&) noexcept = default;
  UrlList& operator=(const UrlList& other) {
    if (this != &other) assign(other.items());
    return *this;
  }
  UrlList& operator=(UrlList&&) noexcept = default;

  const std::vector<std::string>& items() const { return urls_ ? *urls_ : none(); }
  operator const std::vector<std::string>&() const { return items(); }  // NOLINT
  auto begin() const { return items().begin(); }
  auto end() const { return items().end(); }
  std::size_t size() const { return items().size(); }
  bool empty() const { return !urls_; }
  void push_back(std::string url) {
    if (!urls_) urls_ = std::make_unique<std::vector<std::string>>();
    urls_->push_back(std::move(url));
  }
  friend bool operator==(const UrlList& a, const UrlList& b) { return a.items() == b.items(); }

 private:
  static const std::vector<std::string>& none() {
    static const std::vector<std::string> no_urls;
    return no_urls;
  }
  void assign(std::vector<std::string> urls) {
    if (urls.empty()) urls_.reset();
    else urls_ = std::make_unique<std::vector<std::string>>(std::move(urls));
  }
  std::unique_ptr<std::vector<std::string>> urls_;
};

}  // namespace ferry::model
